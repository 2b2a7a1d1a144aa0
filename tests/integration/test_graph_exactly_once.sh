#!/usr/bin/env bash
# Graph alerts_v2 -> SQLite outbox -> file, against the emulator with
# injected 429s and 500s: every (id, lastUpdateDateTime) exactly once;
# updates and new alerts delivered by the next cycle; the client secret in
# no output, log or state file.
source "$(dirname "$0")/lib.sh"

SECRET="it-secret-$RANDOM-$RANDOM-graph"
start_emulator --alerts 10000 --seed 7 --client-secret "$SECRET" --faults 429=0.1,500=0.05 --retry-after 0.05
printf '%s\n' "$SECRET" >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
write_config "$MDS_TEST_TMP/mdesiem.ini" "$MDS_TEST_TMP/secret" "page_size = 500
eps_throttle = 0"

check_exact() {
    delivered_versions "$MDS_TEST_TMP/out.jsonl" >"$MDS_TEST_TMP/got"
    emu_versions >"$MDS_TEST_TMP/want"
    local got want dups
    got=$(wc -l <"$MDS_TEST_TMP/got")
    want=$(wc -l <"$MDS_TEST_TMP/want")
    dups=$(uniq -d "$MDS_TEST_TMP/got" | wc -l)
    [ "$dups" -eq 0 ] || fail "$dups versions delivered more than once"
    diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null ||
        fail "delivered $got versions, emulator has $want: $(diff "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" | head -5)"
    echo "$got"
}

"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/once1.out" 2>"$MDS_TEST_TMP/once1.err" ||
    { tail -20 "$MDS_TEST_TMP/once1.err" >&2; fail "first once failed"; }
n1=$(check_exact)
[ "$n1" -eq 10000 ] || fail "expected 10000 versions after the first cycle, got $n1"
faults=$(emu_state | jq '[.faults[]] | add')
[ "$faults" -gt 0 ] || fail "the emulator injected no faults: the test proves nothing"

emu_post "update?count=300"
emu_post "create?count=200"
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/once2.out" 2>"$MDS_TEST_TMP/once2.err" ||
    { tail -20 "$MDS_TEST_TMP/once2.err" >&2; fail "second once failed"; }
n2=$(check_exact)
[ $((n2 - n1)) -eq 500 ] || fail "second cycle delivered $((n2 - n1)) new versions, expected 500"

"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/status.out"
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json | jq -e '.outputs[0].outbox_records == 0' >/dev/null ||
    fail "outbox not empty after once"

# The secret appears nowhere but in its own file and the emulator's log.
if grep -rl --binary-files=text -- "$SECRET" "$MDS_TEST_TMP" | grep -v -e '/secret$' -e '/emulator.log$'; then
    fail "the client secret leaked into the files above"
fi
echo "exactly once: $n1 versions, then $((n2 - n1)) more; $faults faults injected"
