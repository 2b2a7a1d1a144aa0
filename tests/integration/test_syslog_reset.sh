#!/usr/bin/env bash
# A real rsyslog that dies with messages its kernel acknowledged but it
# never read (it is frozen with SIGSTOP while a batch arrives, then
# killed): its kernel resets the connection and those messages are gone. The syslog output must notice the reset and send what it
# delivered last again on its next connection: every alert arrives, the
# duplicates are exactly the messages it announced. With resend_bytes = 0
# the same scenario loses the frozen batch (the check that the scenario
# really loses bytes).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

start_emulator --alerts 50 --seed 5
start_rsyslog
log="$RS_DIR/tcp.log"

# one_run NAME RESEND: the scenario with resend_bytes = RESEND; prints the
# rel_check line; sets RESENT to what the output announced.
one_run() {
    local name=$1 resend=$2 before
    : >"$log"
    rm -f "$MDS_TEST_TMP"/state.db*
    write_graph_config "$MDS_TEST_TMP/$name.ini" "[output rs]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = json
timeout = 5S
resend_bytes = $resend" "" "batch_size = 20"
    "$MDESIEM" run -c "$MDS_TEST_TMP/$name.ini" 2>"$MDS_TEST_TMP/$name.err" &
    local run=$!
    MDS_PIDS+=("$run")
    before=$(emu_versions | wc -l)
    wait_for 30 lines_at_least "$before" "$log" || fail "$name: delivery did not start"
    local rs
    rs=$(cat "$RS_DIR/rsyslogd.pid")
    kill -STOP "$rs"
    emu_post "create?count=8" # one batch, ~40 kB: fits the receive buffer
    drained() {
        "$MDESIEM" status -c "$MDS_TEST_TMP/$name.ini" --json |
            jq -e --argjson n $((before + 8)) '.outputs[0].delivered >= $n and .outputs[0].outbox_records == 0' \
                >/dev/null
    }
    wait_for 30 drained || fail "$name: the batch was not acknowledged by rsyslog's kernel"
    kill -KILL "$rs" # a SIGTERM may let it read first; a crash never does
    stop_rsyslog
    start_rsyslog
    emu_post "create?count=1" # the next batch finds the connection reset
    wait_for 30 lines_at_least 1 "$log" || fail "$name: nothing arrived after the restart"
    sleep 3 # the resent messages and the new one are written by now
    kill -TERM "$run"
    wait "$run" || fail "$name: run did not exit 0"
    forget_pid "$run"
    RESENT=$(resent_messages "$MDS_TEST_TMP/$name.err" rs)
}

one_run resend 4M
[ "$RESENT" -gt 0 ] || fail "the reset was not noticed: no resend announced"
r=$(python3 "$(dirname "$0")/rel_check.py" "$log" <(emu_versions) --max-dups "$RESENT") ||
    fail "with resend_bytes = 4M: $r"
echo "rsyslog reset with a batch unread; resend_bytes = 4M: $r, $RESENT announced"

one_run noresend 0
r=$(python3 "$(dirname "$0")/rel_check.py" "$log" <(emu_versions) 2>/dev/null) &&
    fail "with resend_bytes = 0 nothing was lost: the scenario does not reset with unread bytes ($r)"
case $r in *missing=0*) fail "with resend_bytes = 0: $r" ;; esac
echo "the same with resend_bytes = 0: $r"
