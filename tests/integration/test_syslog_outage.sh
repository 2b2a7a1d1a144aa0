#!/usr/bin/env bash
# `mdesiem run` delivering to a real rsyslog over TCP and TLS while
# alerts trickle in (eps_throttle); rsyslog is stopped for ~10 s mid-run,
# then started again on the same ports: every alert arrives (the engine
# retries, the output reconnects), with at most a batch or two of
# duplicates per output (the documented at-least-once tail) plus what it
# announced it sent again after a reset, and the outbox is empty at the
# end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

N=600
BATCH=20
start_emulator --alerts $N
start_rsyslog
expected_events "$MDS_TEST_TMP/alerts.jsonl"
[ "$(wc -l <"$MDS_TEST_TMP/alerts.jsonl")" -eq $N ] || fail "expected $N alerts from the emulator"

outputs="[output rs-tcp]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = json
timeout = 5S

[output rs-tls]
type = syslog
address = tls://127.0.0.1:$RS_TLS_PORT
ca_file = $MDS_TEST_TMP/certs/ca.pem
format = json
timeout = 5S"
MDS_EPS_THROTTLE=30 write_graph_config "$MDS_TEST_TMP/mdesiem.ini" "$outputs" "page_size = 20" "batch_size = $BATCH"

"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/run.out" 2>"$MDS_TEST_TMP/run.err" &
RUN_PID=$!
MDS_PIDS+=("$RUN_PID")

running_and() { kill -0 "$RUN_PID" 2>/dev/null || { tail -5 "$MDS_TEST_TMP/run.err" >&2; fail "run exited"; }; "$@"; }
wait_for 60 running_and lines_at_least 100 "$RS_DIR/tcp.log" || fail "delivery did not start"
stop_rsyslog
at_stop=$(count_lines "$RS_DIR/tcp.log")
sleep 5
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json >"$MDS_TEST_TMP/status.json"
jq -e '[.outputs[].outbox_records] | min > 0' "$MDS_TEST_TMP/status.json" >/dev/null ||
    fail "records are not waiting in the outbox during the outage: $(jq -c .outputs "$MDS_TEST_TMP/status.json")"
sleep 5
start_rsyslog
echo "rsyslog was down for ~10 s after $at_stop messages; outbox then: $(jq -c '[.outputs[] | .outbox_records]' "$MDS_TEST_TMP/status.json")"

wait_for 120 running_and lines_at_least $N "$RS_DIR/tcp.log" "$RS_DIR/tls.log" ||
    fail "after the outage: tcp $(count_lines "$RS_DIR/tcp.log"), tls $(count_lines "$RS_DIR/tls.log") of $N"
wait_for 30 bash -c "\"$MDESIEM\" status -c \"$MDS_TEST_TMP/mdesiem.ini\" --json |
    jq -e '[.outputs[].outbox_records] | add == 0' >/dev/null" || fail "the outbox did not drain"
kill -TERM "$RUN_PID"
rc=0
wait "$RUN_PID" || rc=$?
forget_pid "$RUN_PID"
[ $rc -eq 0 ] || fail "run did not exit cleanly on SIGTERM"
sleep 0.5
for f in tcp tls; do
    resent=$(resent_messages "$MDS_TEST_TMP/run.err" "rs-$f")
    r=$(python3 "$(dirname "$0")/check_syslog.py" "$RS_DIR/$f.log" "$MDS_TEST_TMP/alerts.jsonl" \
        --at-least-once --max-dups $((2 * BATCH + resent))) || fail "$f: not every alert arrived: $r"
    echo "$f: messages, distinct, duplicates: $r; resent after a reset: $resent"
done
