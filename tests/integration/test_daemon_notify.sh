#!/usr/bin/env bash
# systemd notifications (Type=notify): READY=1 once the engine runs,
# RELOADING=1 then READY=1 around a SIGHUP reload, WATCHDOG=1 pings when
# WATCHDOG_USEC asks for them, STOPPING=1 on SIGTERM, then exit 0.
# The notification socket is a unix datagram socket this test owns.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"

sock="$MDS_TEST_TMP/notify.sock"
msgs="$MDS_TEST_TMP/notify.log"
python3 "$(dirname "$0")/notify_listener.py" "$sock" "$msgs" &
MDS_PIDS+=("$!")
wait_for 10 test -e "$msgs.ready" || fail "listener did not start"
# at_least N PREFIX: the listener got N messages starting with PREFIX
at_least() {
    local n
    n=$(grep -c "^$2" "$msgs" 2>/dev/null) || true
    [ "${n:-0}" -ge "$1" ]
}

# The source points at a stopped emulator (its port now closed): readiness
# must not depend on the source answering (systemd would otherwise time
# the start out).
start_daemon_emulator --alerts 1
kill -TERM "$EMU_PID"
wait "$EMU_PID" || fail "the emulator did not stop cleanly"
! curl -fsS "$EMU_URL/_emulator/state" >/dev/null 2>&1 || fail "the emulator still answers"
{ service_section; emu_source defender out; file_output out "$MDS_TEST_TMP/out.jsonl"; } >"$MDS_TEST_TMP/mdesiem.ini"

NOTIFY_SOCKET="$sock" WATCHDOG_USEC=200000 bash -c 'export WATCHDOG_PID=$$; exec "$0" run -c "$1"' \
    "$MDESIEM" "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/run.err" &
run=$!
MDS_PIDS+=("$run")
wait_for 20 at_least 1 READY=1 || { cat "$MDS_TEST_TMP/run.err" >&2; fail "no READY=1"; }
grep '^READY=1' "$msgs" | head -1 | grep -q 'STATUS=running with' || fail "READY=1 without a STATUS line"
wait_for 10 at_least 3 WATCHDOG=1 || fail "no watchdog pings every WATCHDOG_USEC/2"

kill -HUP "$run"
wait_for 20 at_least 2 READY=1 || fail "no READY=1 after the reload"
grep -n '^RELOADING=1\|^READY=1' "$msgs" | cut -d'|' -f1 | tr '\n' ' ' |
    grep -q '^[0-9]*:READY=1 [0-9]*:RELOADING=1 [0-9]*:READY=1' || fail "expected READY, RELOADING, READY: $(cat "$msgs")"
grep '^RELOADING=1' "$msgs" | grep -q 'MONOTONIC_USEC=[0-9]' || fail "RELOADING=1 without MONOTONIC_USEC"

# an invalid configuration on reload: reported, old one keeps running, READY again
cp "$MDS_TEST_TMP/mdesiem.ini" "$MDS_TEST_TMP/good.ini"
echo "bogus_key = 1" >>"$MDS_TEST_TMP/mdesiem.ini"
kill -HUP "$run"
wait_for 20 at_least 3 READY=1 || fail "no READY=1 after a rejected reload"
grep '^READY=1' "$msgs" | tail -1 | grep -q 'reload was rejected' || fail "STATUS does not say the reload was rejected"
grep -q "unknown key 'bogus_key'" "$MDS_TEST_TMP/run.err" || fail "the invalid configuration was not reported"
kill -0 "$run" || fail "mdesiem exited on an invalid reload"

kill -TERM "$run"
set +e
wait "$run"
code=$?
set -e
[ "$code" -eq 0 ] || fail "run exited $code after SIGTERM, expected 0"
tail -1 "$msgs" | grep -q '^STOPPING=1' || fail "last message is not STOPPING=1: $(tail -1 "$msgs")"

# without NOTIFY_SOCKET nothing is sent and nothing breaks
"$MDESIEM" once -c "$MDS_TEST_TMP/good.ini" 2>/dev/null || true
echo "notify: $(cut -d'|' -f1 "$msgs" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
