#!/usr/bin/env bash
# spool_max_bytes: while an output's receiver is down, the source that
# routes to it stops collecting once the output's outbox passes the
# limit (by at most one page), `status` says why, and nothing is lost:
# when the receiver comes back every alert arrives exactly once. In
# `once` mode a full spool in front of an output that gave up ends the
# run with a failure instead of waiting forever.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

N=400
LIMIT=200000
start_emulator --alerts $N
port=$(free_port)
outputs="[output gen]
type = http
url = http://127.0.0.1:$port/ingest
format = json
timeout = 2S
spool_max_bytes = $LIMIT"
write_graph_config "$MDS_TEST_TMP/mdesiem.ini" "$outputs" "page_size = 20"

"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/run.out" 2>"$MDS_TEST_TMP/run.err" &
RUN_PID=$!
MDS_PIDS+=("$RUN_PID")
status() { "$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json 2>/dev/null; }
paused() { status | jq -e '.sources[0].last_error // "" | test("spool_max_bytes")' >/dev/null; }
wait_for 30 paused || fail "the source did not pause: $(status | jq -c .)"
b1=$(status | jq '.outputs[0].outbox_bytes')
sleep 3
b2=$(status | jq '.outputs[0].outbox_bytes')
rows=$(status | jq '.outputs[0].outbox_records')
page=$((20 * 12000))   # a page: 20 alerts of the emulator's (at most ~10 KB each)
[ "$b1" -eq "$b2" ] || fail "the outbox kept growing while paused: $b1 -> $b2 bytes"
[ "$b2" -gt "$LIMIT" ] && [ "$b2" -le $((LIMIT + page)) ] ||
    fail "outbox holds $b2 bytes; expected just above the $LIMIT limit (at most one page more)"
[ "$rows" -lt $N ] || fail "all $rows records were collected despite the limit"
echo "paused with $rows records, $b2 bytes waiting (limit $LIMIT): $(status | jq -r '.sources[0].last_error')"

start_http_receiver GEN generic "" "$port"
accepted() { curl -fsS "$GEN_URL/_ctl/requests" | jq -s '[.[] | select(.status == 200) | .body | split("\n")[] | select(length > 0)] | length'; }
all_in() { [ "$(accepted)" -ge $N ]; }
wait_for 90 all_in || fail "after the receiver came back only $(accepted) of $N alerts arrived"
kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "run did not exit cleanly"
expected_events "$MDS_TEST_TMP/alerts.jsonl"
curl -fsS "$GEN_URL/_ctl/requests" >"$MDS_TEST_TMP/gen.requests"
r=$(python3 "$(dirname "$0")/check_http.py" "$MDS_TEST_TMP/gen.requests" "$MDS_TEST_TMP/alerts.jsonl" lines) ||
    fail "not every alert arrived exactly once: $r"
echo "resumed and delivered: events, distinct, duplicates, requests, failed: $r"

# once: the output gives up after retry_limit; the paused source must not wait forever.
stop_pid "$GEN_PID"
rm -f "$MDS_TEST_TMP"/state.db*
MDS_RETRY_LIMIT=3 write_graph_config "$MDS_TEST_TMP/once.ini" "$outputs" "page_size = 20"
rc=0
timeout 60 "$MDESIEM" once -c "$MDS_TEST_TMP/once.ini" >"$MDS_TEST_TMP/once.out" 2>"$MDS_TEST_TMP/once.err" || rc=$?
[ $rc -ne 0 ] || fail "once succeeded although nothing could be delivered"
[ $rc -ne 124 ] || fail "once hung behind a full spool"
echo "once with a full spool and a dead receiver failed promptly"
