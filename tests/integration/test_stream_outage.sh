#!/usr/bin/env bash
# eventhub: the brokers become unreachable for longer than the session
# timeout while records keep being produced; `status` shows the outage,
# and when the brokers return `run` resumes and delivers everything,
# exactly once. SIGTERM stops `run` promptly, even during an outage.
source "$(dirname "$0")/stream_lib.sh"

TOPIC=defender
start_stream_mock --topic "$TOPIC" --partitions 4 --events 2000 --eps 0 --seed 51
write_stream_config "$MDS_TEST_TMP/a.ini" a
out="$MDS_TEST_TMP/a.jsonl"
start_run "$MDS_TEST_TMP/a.ini" "$MDS_TEST_TMP/a.err"
A=$RUN_PID
wait_for 60 at_least "$out" 2000 || fail "the first 2000 records did not arrive"

# outage: brokers refuse connections; a producer waits for them meanwhile
kill -USR1 "$MOCK_PID"
produce_bg() {
    "$MDESIEM" emulate --stream "kafka://$KAFKA" --topic "$TOPIC" --partitions 4 --events 2000 --eps 0 \
        --seed 52 --base-time 2025-04-01T00:00:00Z >"$MDS_TEST_TMP/produce.out" 2>"$MDS_TEST_TMP/produce.err"
}
produce_bg &
P=$!
MDS_PIDS+=("$P")
outage_seen() {
    kill -0 "$A" || fail "mdesiem run died during the outage"
    "$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" --json | jq -e '.sources[0].last_error != null' >/dev/null
}
wait_for 40 outage_seen || fail "status never showed the outage"
echo "during the outage, status says: $("$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" --json | jq -r '.sources[0].last_error')"
sleep 3 # past the 6 s session timeout: the group forgot this member
kill -USR2 "$MOCK_PID"

wait "$P" || fail "the producer failed after the outage: $(tail -3 "$MDS_TEST_TMP/produce.err")"
wait_for 90 at_least "$out" 4000 || fail "run did not resume after the outage ($(lines "$out") of 4000)"
recovered() { "$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" --json | jq -e '.sources[0].last_error == null' >/dev/null; }
wait_for 30 recovered || fail "status still shows an error after recovery"
topic_records "$TOPIC" | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
canon "$out" >"$MDS_TEST_TMP/got"
[ "$(wc -l <"$MDS_TEST_TMP/want")" -eq 4000 ] || fail "ground truth has $(wc -l <"$MDS_TEST_TMP/want") records"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null ||
    fail "after the outage: $(wc -l <"$MDS_TEST_TMP/got") delivered, not the 4000 produced"
echo "outage: resumed, 4000 of 4000 records, 0 duplicates"

# SIGTERM during a second outage: stops within a few seconds, exit 0
kill -USR1 "$MOCK_PID"
sleep 2
start=$SECONDS
stop_run "$A"
[ $((SECONDS - start)) -le 5 ] || fail "run took $((SECONDS - start)) s to stop during an outage"
echo "stopped $((SECONDS - start)) s after SIGTERM while the brokers were down"
