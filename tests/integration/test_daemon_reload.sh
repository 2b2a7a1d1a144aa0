#!/usr/bin/env bash
# SIGHUP applies added and removed sources and outputs without losing
# anything in flight: records waiting in the outbox for an output that
# still exists (here: one that could not write) are delivered after the
# reload; a new source and a new output start; a removed output stops
# getting records; an invalid configuration is reported and the running
# one carries on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

start_daemon_emulator --alerts 300
T=$MDS_TEST_TMP
cfg=$T/mdesiem.ini
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
ids() { if [ -f "$1" ]; then jq -r .id "$1" | sort -u | wc -l; else echo 0; fi; }
pending() { "$MDESIEM" status -c "$cfg" --json | jq -r ".outputs[] | select(.name == \"$1\") | .outbox_records"; }
# polled predicates (wait_for re-runs them)
lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }
ids_ge() { [ "$(ids "$1")" -ge "$2" ]; }
pending_is() { [ "$(pending "$1")" = "$2" ]; }

# v1: out1 cannot write (/dev/full: every write fails with ENOSPC)
{ service_section; emu_source a "out1, gone"
  printf '\n[output out1]\ntype = file\npath = /dev/full\n'
  file_output gone "$T/gone.jsonl"; } >"$cfg"

"$MDESIEM" run -c "$cfg" 2>"$T/run.err" &
run=$!
MDS_PIDS+=("$run")
wait_for 30 lines_ge "$T/gone.jsonl" 300 || { cat "$T/run.err" >&2; fail "first collection did not arrive"; }
wait_for 10 pending_is out1 300 || fail "out1 should hold 300 records in the outbox, has $(pending out1)"
emu_versions >"$T/want1"
delivered_versions "$T/gone.jsonl" >"$T/got"
same_versions "$T/want1" "$T/got" || fail "the first collection is not the emulator's 300 alerts"

# v2: out1 fixed, output gone removed, source b and output added added
{ service_section; emu_source a "out1, added"; emu_source b added
  file_output out1 "$T/out1.jsonl"; file_output added "$T/added.jsonl"; } >"$cfg"
kill -HUP "$run"
wait_for 30 ids_ge "$T/out1.jsonl" 300 || fail "records pending before the reload were not delivered after it"
wait_for 30 ids_ge "$T/added.jsonl" 300 || fail "the added source did not deliver to the added output"
emu_post "create?count=5"
wait_for 30 ids_ge "$T/out1.jsonl" 305 || fail "new alerts did not reach out1 after the reload"
wait_for 30 lines_ge "$T/added.jsonl" 310 || fail "new alerts did not reach the added output from both sources"
[ "$(lines "$T/gone.jsonl")" -eq 300 ] || fail "the removed output still received records"
[ "$(pending out1)" = 0 ] || fail "out1 outbox not empty after delivery"

# an invalid configuration: reported, the previous one keeps collecting
cp "$cfg" "$T/good.ini"
printf '\n[output broken]\ntype = nosuch\n' >>"$cfg"
kill -HUP "$run"
wait_for 20 grep -q "keeping the running one" "$T/run.err" || fail "the invalid configuration was not reported"
emu_post "create?count=3"
wait_for 30 ids_ge "$T/out1.jsonl" 308 || fail "collection stopped after an invalid reload"
kill -0 "$run" || fail "mdesiem exited after an invalid reload"

kill -TERM "$run"
set +e
wait "$run"
code=$?
set -e
[ "$code" -eq 0 ] || fail "run exited $code after SIGTERM"
dups=$(($(lines "$T/out1.jsonl") - $(ids "$T/out1.jsonl")))
[ "$dups" -eq 0 ] || fail "$dups duplicates in out1"
# out1 holds every version the emulator ever had, exactly once; the
# removed output only what existed before it was removed
emu_versions >"$T/want"
[ "$(wc -l <"$T/want")" -eq 308 ] || fail "the emulator should have 308 versions, has $(wc -l <"$T/want")"
delivered_versions "$T/out1.jsonl" >"$T/got"
same_versions "$T/want" "$T/got" || fail "out1 does not hold exactly the emulator's alerts"
delivered_versions "$T/gone.jsonl" >"$T/got"
same_versions "$T/want1" "$T/got" || fail "the removed output received records after its removal"
echo "reload: 300 in-flight records delivered after the reload, sources and outputs added/removed, invalid config rejected"
