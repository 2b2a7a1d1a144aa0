#!/usr/bin/env bash
# eventhub: N records produced (with messages re-sent on purpose) arrive
# exactly once, byte for byte as split from the messages; a second `once`
# resumes from the committed offsets and finds nothing new; new records
# produced later are the only ones the next `once` brings; `status` shows
# every partition with no lag; the categories filter keeps only its tables.
source "$(dirname "$0")/stream_lib.sh"

TOPIC=defender
start_stream_mock --topic "$TOPIC" --partitions 4 --events 3000 --eps 0 --seed 7 --duplicate 0.1
grep -q "([1-9][0-9]* duplicates" "$MOCK_OUT" || fail "the producer re-sent nothing; the test proves nothing"
write_stream_config "$MDS_TEST_TMP/a.ini" a
out="$MDS_TEST_TMP/a.jsonl"

"$MDESIEM" once -c "$MDS_TEST_TMP/a.ini" 2>"$MDS_TEST_TMP/once1.err" || { cat "$MDS_TEST_TMP/once1.err" >&2; fail "once exited non-zero"; }
topic_records "$TOPIC" | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
[ "$(wc -l <"$MDS_TEST_TMP/want")" -eq 3000 ] || fail "ground truth has $(wc -l <"$MDS_TEST_TMP/want") records, not 3000"
canon "$out" >"$MDS_TEST_TMP/got"
[ "$(lines "$out")" -eq 3000 ] || fail "$(lines "$out") records delivered, expected exactly 3000"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null || fail "delivered records differ from the produced ones"
# bodies are the records' bytes exactly as sent (not re-serialised)
kcat -C -b "$KAFKA" -t "$TOPIC" -o beginning -e -q >"$MDS_TEST_TMP/raw"
for n in 1 777 2999; do
    sed -n "${n}p" "$out" >"$MDS_TEST_TMP/line"
    grep -qF -f "$MDS_TEST_TMP/line" "$MDS_TEST_TMP/raw" || fail "record $n is not byte-identical to its bytes in the message"
done
echo "once: 3000 of 3000 records, 0 duplicates (re-sent messages dropped)"

# `check`: the hub, its partitions, the group's offsets, nothing waiting
"$MDESIEM" check -c "$MDS_TEST_TMP/a.ini" >"$MDS_TEST_TMP/check.out" || fail "check failed: $(cat "$MDS_TEST_TMP/check.out")"
grep -q "event hub $TOPIC has 4 partitions" "$MDS_TEST_TMP/check.out" || fail "check: $(cat "$MDS_TEST_TMP/check.out")"
grep -q "committed offsets on 4 of 4 partitions; 0 messages to read" "$MDS_TEST_TMP/check.out" ||
    fail "check does not see the committed offsets: $(cat "$MDS_TEST_TMP/check.out")"
sed "s/^eventhub = .*/eventhub = no-such-hub/" "$MDS_TEST_TMP/a.ini" >"$MDS_TEST_TMP/nohub.ini"
if "$MDESIEM" check -c "$MDS_TEST_TMP/nohub.ini" >"$MDS_TEST_TMP/check2.out"; then fail "check passed a missing hub"; fi
grep -q "no event hub no-such-hub" "$MDS_TEST_TMP/check2.out" || fail "check: $(cat "$MDS_TEST_TMP/check2.out")"

# a second once: nothing new
"$MDESIEM" once -c "$MDS_TEST_TMP/a.ini" 2>"$MDS_TEST_TMP/once2.err" || fail "second once failed"
[ "$(lines "$out")" -eq 3000 ] || fail "second once delivered $(($(lines "$out") - 3000)) records again"

# more records later: exactly those arrive
produce --topic "$TOPIC" --partitions 4 --events 500 --eps 0 --seed 8 --base-time 2025-02-01T00:00:00Z
"$MDESIEM" once -c "$MDS_TEST_TMP/a.ini" 2>"$MDS_TEST_TMP/once3.err" || fail "third once failed"
topic_records "$TOPIC" | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
canon "$out" >"$MDS_TEST_TMP/got"
[ "$(lines "$out")" -eq 3500 ] || fail "$(lines "$out") records after the second batch, expected 3500"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null || fail "records differ after the second batch"

# status: 4 partitions, each with a committed offset equal to its high watermark
"$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" --json >"$MDS_TEST_TMP/status.json" || fail "status failed"
[ "$(jq '.partitions | length' "$MDS_TEST_TMP/status.json")" -eq 4 ] || fail "status shows $(jq -c .partitions "$MDS_TEST_TMP/status.json")"
[ "$(jq '[.partitions[] | select(.lag == 0 and .committed > 0)] | length' "$MDS_TEST_TMP/status.json")" -eq 4 ] ||
    fail "partitions not caught up: $(jq -c .partitions "$MDS_TEST_TMP/status.json")"
"$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" | grep -q "PARTITION" || fail "text status has no partition table"

# categories: a second consumer group keeps two tables only
GROUP=filtered write_stream_config "$MDS_TEST_TMP/f.ini" f \
    "categories = AdvancedHunting-DeviceProcessEvents, AlertInfo"
"$MDESIEM" once -c "$MDS_TEST_TMP/f.ini" 2>"$MDS_TEST_TMP/f.err" || fail "filtered once failed"
grep -E '"category":"AdvancedHunting-(DeviceProcessEvents|AlertInfo)"' "$MDS_TEST_TMP/want" >"$MDS_TEST_TMP/want.f"
canon "$MDS_TEST_TMP/f.jsonl" >"$MDS_TEST_TMP/got.f"
[ -s "$MDS_TEST_TMP/want.f" ] || fail "no records of the filtered tables were produced"
diff -q "$MDS_TEST_TMP/want.f" "$MDS_TEST_TMP/got.f" >/dev/null ||
    fail "categories filter: $(wc -l <"$MDS_TEST_TMP/got.f") delivered, $(wc -l <"$MDS_TEST_TMP/want.f") expected"
echo "categories: $(wc -l <"$MDS_TEST_TMP/got.f") of 3500 records kept, exactly the two tables"
