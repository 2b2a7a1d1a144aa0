#!/usr/bin/env bash
# eventhub: two `mdesiem run` instances (separate state files) in one
# consumer group share the partitions of a hub while records are produced;
# when one stops, the other takes its partitions over from the committed
# offsets. Together they deliver every record, and rebalances at a
# graceful stop duplicate nothing.
source "$(dirname "$0")/stream_lib.sh"

TOPIC=defender
start_stream_mock --topic "$TOPIC" --partitions 16 --events 0
GROUP=shared write_stream_config "$MDS_TEST_TMP/a.ini" a
GROUP=shared write_stream_config "$MDS_TEST_TMP/b.ini" b
start_run "$MDS_TEST_TMP/a.ini" "$MDS_TEST_TMP/a.err"
A=$RUN_PID
start_run "$MDS_TEST_TMP/b.ini" "$MDS_TEST_TMP/b.err"
B=$RUN_PID

# both members hold part of the hub
shared() {
    kill -0 "$A" && kill -0 "$B" || fail "an instance died"
    local a b
    a=$(sed -n 's/.*assigned \([0-9]*\) partitions.*/\1/p' "$MDS_TEST_TMP/a.err" | tail -1)
    b=$(sed -n 's/.*assigned \([0-9]*\) partitions.*/\1/p' "$MDS_TEST_TMP/b.err" | tail -1)
    [ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt 0 ] && [ $((a + b)) -eq 16 ]
}
wait_for 60 shared || fail "the two instances did not share the 16 partitions"
grep -h "assigned" "$MDS_TEST_TMP/a.err" "$MDS_TEST_TMP/b.err" | tail -2 | sed 's/.*\] /  /'

produce --topic "$TOPIC" --partitions 16 --events 12000 --eps 0 --seed 41
union_unique() { canon "$MDS_TEST_TMP/a.jsonl" "$MDS_TEST_TMP/b.jsonl" | uniq | wc -l; }
delivered() {
    [ $(($(lines "$MDS_TEST_TMP/a.jsonl") + $(lines "$MDS_TEST_TMP/b.jsonl"))) -ge "$1" ] || return 1
    [ "$(union_unique)" -ge "$1" ] && return 0
    sleep 1
    return 1
}
wait_for 120 delivered 12000 || fail "the group did not deliver the 12000 records"
a1=$(lines "$MDS_TEST_TMP/a.jsonl") b1=$(lines "$MDS_TEST_TMP/b.jsonl")
[ "$a1" -gt 0 ] && [ "$b1" -gt 0 ] || fail "one instance delivered nothing ($a1 / $b1): the partitions were not shared"
echo "shared: instance a delivered $a1, instance b $b1"

# a stops gracefully; b takes over every partition and the new records
stop_run "$A"
wait_for 60 grep -q "assigned 16 partitions" "$MDS_TEST_TMP/b.err" || fail "b did not take over a's partitions"
produce --topic "$TOPIC" --partitions 16 --events 4000 --eps 0 --seed 42 --base-time 2025-03-01T00:00:00Z
wait_for 120 delivered 16000 || fail "b did not deliver the records produced after a stopped"
stop_run "$B"

topic_records "$TOPIC" | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
[ "$(wc -l <"$MDS_TEST_TMP/want")" -eq 16000 ] || fail "ground truth has $(wc -l <"$MDS_TEST_TMP/want") records"
canon "$MDS_TEST_TMP/a.jsonl" "$MDS_TEST_TMP/b.jsonl" >"$MDS_TEST_TMP/got"
missing=$(comm -23 "$MDS_TEST_TMP/want" <(uniq "$MDS_TEST_TMP/got") | wc -l)
dups=$(($(wc -l <"$MDS_TEST_TMP/got") - $(uniq "$MDS_TEST_TMP/got" | wc -l)))
[ "$missing" -eq 0 ] || fail "$missing records lost in the group"
echo "group: 0 of 16000 missing, $dups duplicates; a $(lines "$MDS_TEST_TMP/a.jsonl"), b $(lines "$MDS_TEST_TMP/b.jsonl")"
[ "$dups" -eq 0 ] || fail "$dups duplicates although every rebalance was graceful"
