#!/usr/bin/env bash
# eventhub: kill -9 twice in the middle of a stream, restart each time:
# nothing is lost, and duplicates come only from the uncommitted tail.
# Two consumer groups read the same topic at the same time: one with the
# message dedupe (the default), where a re-read message is dropped and
# duplicates can only come from the output's last unacknowledged batch;
# one without it, which shows the offset-commit discipline alone.
source "$(dirname "$0")/stream_lib.sh"

TOPIC=defender
N=30000
EPS=2000
start_stream_mock --topic "$TOPIC" --partitions 32 --events $N --eps 0 --seed 31
EPS_THROTTLE=$EPS GROUP=dedupe write_stream_config "$MDS_TEST_TMP/a.ini" a
EPS_THROTTLE=$EPS GROUP=plain write_stream_config "$MDS_TEST_TMP/b.ini" b "dedupe = false"
topic_records "$TOPIC" | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
[ "$(wc -l <"$MDS_TEST_TMP/want")" -eq $N ] || fail "ground truth has $(wc -l <"$MDS_TEST_TMP/want") records"

start_both() {
    start_run "$MDS_TEST_TMP/a.ini" "$MDS_TEST_TMP/a.$1.err"
    A=$RUN_PID
    start_run "$MDS_TEST_TMP/b.ini" "$MDS_TEST_TMP/b.$1.err"
    B=$RUN_PID
}
alive() { kill -0 "$A" 2>/dev/null && kill -0 "$B" 2>/dev/null || fail "mdesiem died: $(tail -3 "$MDS_TEST_TMP"/*.err)"; }
both_at_least() {
    alive
    [ "$(lines "$MDS_TEST_TMP/a.jsonl")" -ge "$1" ] && [ "$(lines "$MDS_TEST_TMP/b.jsonl")" -ge "$1" ]
}
kill_both_at() {
    wait_for 120 both_at_least "$1" || fail "delivery did not reach $1 records"
    kill -KILL "$A" "$B"
    wait "$A" "$B" 2>/dev/null || true
    echo "kill -9 at $(lines "$MDS_TEST_TMP/a.jsonl") / $(lines "$MDS_TEST_TMP/b.jsonl") lines"
}

start_both 1
kill_both_at 3000
a_lines=$(lines "$MDS_TEST_TMP/a.jsonl") b_lines=$(lines "$MDS_TEST_TMP/b.jsonl")
start_both 2
kill_both_at $(( (a_lines > b_lines ? a_lines : b_lines) + 2000 ))
[ "$(lines "$MDS_TEST_TMP/a.jsonl")" -lt $N ] && [ "$(lines "$MDS_TEST_TMP/b.jsonl")" -lt $N ] ||
    fail "the stream was finished before the second kill; the test proves nothing"
start_both 3
unique() { canon "$1" | uniq | wc -l; }
caught_up() {
    alive
    [ "$(lines "$MDS_TEST_TMP/a.jsonl")" -ge $N ] && [ "$(lines "$MDS_TEST_TMP/b.jsonl")" -ge $N ] || return 1
    [ "$(unique "$MDS_TEST_TMP/a.jsonl")" -ge $N ] && [ "$(unique "$MDS_TEST_TMP/b.jsonl")" -ge $N ] && return 0
    sleep 2
    return 1
}
wait_for 180 caught_up || fail "the restarted instances did not catch up"
stop_run "$A"
stop_run "$B"

check() {
    local name=$1 limit=$2
    canon "$MDS_TEST_TMP/$name.jsonl" >"$MDS_TEST_TMP/$name.got"
    local missing dups
    missing=$(comm -23 "$MDS_TEST_TMP/want" <(uniq "$MDS_TEST_TMP/$name.got") | wc -l)
    dups=$(($(wc -l <"$MDS_TEST_TMP/$name.got") - $(uniq "$MDS_TEST_TMP/$name.got" | wc -l)))
    [ "$missing" -eq 0 ] || fail "$name: $missing records lost after kill -9"
    comm -13 "$MDS_TEST_TMP/want" <(uniq "$MDS_TEST_TMP/$name.got") | grep -q . && fail "$name: records that were never produced"
    echo "$name: 0 of $N missing, $dups duplicates (limit $limit)"
    [ "$dups" -le "$limit" ] || fail "$name: $dups duplicates, more than the uncommitted tail allows ($limit)"
}
# dedupe: only the output's unacknowledged batch (batch_size 500) per kill
check a 1000
# no dedupe: per kill, what was stored but not yet committed (commit_interval 1S at EPS records/s, one
# transaction of batch_records) plus the output's batch
check b $((2 * (2 * EPS + 500)))
