#!/usr/bin/env bash
# `mdesiem status`: a table and --json with cursor, lag, last success,
# last error, outbox depth and deliveries today per source and output;
# configured-but-never-run and no-longer-configured names are marked;
# the secret never appears.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

start_daemon_emulator --alerts 120
T=$MDS_TEST_TMP
{ service_section; emu_source a "out, old"; file_output out "$T/out.jsonl"; file_output old "$T/old.jsonl"; } >"$T/v1.ini"
"$MDESIEM" once -c "$T/v1.ini" 2>"$T/once.err" || { cat "$T/once.err" >&2; fail "once failed"; }
emu_versions >"$T/want"
delivered_versions "$T/out.jsonl" >"$T/got"
same_versions "$T/want" "$T/got" || fail "once did not deliver the emulator's alerts"

# v2: output old removed, source b added (not run yet); a's new alerts go to out only
{ service_section; emu_source a out; emu_source b out; file_output out "$T/out.jsonl"; } >"$T/v2.ini"
"$MDESIEM" status -c "$T/v2.ini" --json >"$T/status.json" || fail "status --json failed"
jq -e . "$T/status.json" >/dev/null || fail "status --json is not JSON"
q() { jq -r "$1" "$T/status.json"; }
[ "$(q '.sources[] | select(.name=="a") | .delivered_today')" = 120 ] || fail "source a delivered_today: $(q .sources)"
[ "$(q '.sources[] | select(.name=="a") | .outbox_records')" = 0 ] || fail "source a outbox not empty"
[ "$(q '.sources[] | select(.name=="a") | .lag_seconds | type')" = number ] || fail "no lag"
[ "$(q '.sources[] | select(.name=="a") | .last_success | test("^20..-..-..T")')" = true ] || fail "no last_success"
[ "$(q '.sources[] | select(.name=="b") | .never_run')" = true ] || fail "source b (configured, not run) missing"
[ "$(q '.outputs[] | select(.name=="out") | .delivered_today')" = 120 ] || fail "output out delivered_today"
[ "$(q '.outputs[] | select(.name=="old") | .configured')" = false ] || fail "removed output not marked"

# an output that cannot deliver: its outbox depth and last error show
{ service_section; emu_source a "out, full"; file_output out "$T/out.jsonl"
  printf '\n[output full]\ntype = file\npath = /dev/full\n'; } >"$T/v3.ini"
emu_post "create?count=7"
"$MDESIEM" once -c "$T/v3.ini" 2>"$T/once3.err" && fail "once should fail when an output cannot deliver"
"$MDESIEM" status -c "$T/v3.ini" >"$T/status.txt" || fail "status failed"
"$MDESIEM" status -c "$T/v3.ini" --json >"$T/status.json"
[ "$(q '.outputs[] | select(.name=="full") | .outbox_records')" = 7 ] || fail "outbox depth of a failing output"
[ "$(q '.outputs[] | select(.name=="full") | .last_error | test("No space left")')" = true ] || fail "last error"
[ "$(q '.sources[] | select(.name=="a") | .outbox_records')" = 7 ] || fail "source outbox depth"
[ "$(q '.sources[] | select(.name=="a") | .delivered_today')" = 120 ] || fail "partly delivered records counted"
head -1 "$T/status.txt" | grep -q '^SOURCE *CURSOR *LAG *LAST SUCCESS *OUTBOX *TODAY *LAST ERROR' || fail "table header"
grep -q '^a  .* 20..-..-..T..:..:..Z .*  7  *120  -' "$T/status.txt" || fail "source row: $(cat "$T/status.txt")"
grep -q '^full  *7 .*No space left' "$T/status.txt" || fail "output row"
emu_versions >"$T/want"
[ "$(wc -l <"$T/want")" -eq 127 ] || fail "the emulator should have 127 versions, has $(wc -l <"$T/want")"
delivered_versions "$T/out.jsonl" >"$T/got"
same_versions "$T/want" "$T/got" || fail "the working output did not get the 7 new alerts exactly once"
! grep -qF "$(cat "$T/secret")" "$T/status.txt" "$T/status.json" "$T/once.err" "$T/once3.err" || fail "secret printed"
echo "status: table and JSON with outbox depth and deliveries today"
