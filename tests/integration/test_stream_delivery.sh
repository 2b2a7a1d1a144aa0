#!/usr/bin/env bash
# eventhub delivery modes and partition assignment:
# - delivery = direct (the default): records never touch the outbox, and a
#   message's offset is committed only after the outputs acknowledged it:
#   with the output down, `once` fails and commits nothing; with the
#   output back, every record arrives, exactly once;
# - delivery = outbox: the records pass through the outbox, exactly once;
# - partitions = all | list: read without group balancing, offsets still
#   committed to the group (a second run reads nothing), only the listed
#   partitions are read; a malformed value is a configuration error.
source "$(dirname "$0")/stream_lib.sh"

TOPIC=defender
start_stream_mock --topic "$TOPIC" --partitions 4 --events 2000 --eps 0 --seed 11
topic_records "$TOPIC" | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
[ "$(wc -l <"$MDS_TEST_TMP/want")" -eq 2000 ] || fail "ground truth has $(wc -l <"$MDS_TEST_TMP/want") records"

outbox_rows_ever() { # records ever written to the outbox of state file $1
    python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
print(row[0] if row else 0)
PY
}

committed_sum() { # sum of the committed offsets `status` shows
    "$MDESIEM" status -c "$1" --json | jq '[.partitions[].committed | select(. != null and . > 0)] | add // 0'
}

# --- direct: the output is down, nothing is committed ---
GROUP=direct write_stream_config "$MDS_TEST_TMP/down.ini" direct
port=$(closed_port)
python3 - "$MDS_TEST_TMP/down.ini" "$port" <<'PY'
import sys
path, port = sys.argv[1], sys.argv[2]
text = open(path).read()
text = text.replace("retry_limit = 60", "retry_limit = 2")
head, _, _ = text.partition("[output out]")
open(path, "w").write(head + "[output out]\ntype = syslog\naddress = tcp://127.0.0.1:%s\nformat = json\n" % port)
PY
if "$MDESIEM" once -c "$MDS_TEST_TMP/down.ini" 2>"$MDS_TEST_TMP/down.err"; then
    fail "once succeeded with its only output down"
fi
grep -q "delivery failed" "$MDS_TEST_TMP/down.err" || fail "no delivery failure logged: $(tail -3 "$MDS_TEST_TMP/down.err")"
[ "$(committed_sum "$MDS_TEST_TMP/down.ini")" -eq 0 ] ||
    fail "offsets were committed although no output acknowledged: $("$MDESIEM" status -c "$MDS_TEST_TMP/down.ini" --json | jq -c .partitions)"
[ "$(outbox_rows_ever "$MDS_TEST_TMP/direct.db")" -eq 0 ] || fail "direct delivery wrote to the outbox"
echo "direct, output down: once failed, 0 offsets committed, outbox untouched"

# --- direct: the output is back (same state, same group): everything, once ---
GROUP=direct write_stream_config "$MDS_TEST_TMP/direct.ini" direct
"$MDESIEM" once -c "$MDS_TEST_TMP/direct.ini" 2>"$MDS_TEST_TMP/direct.err" ||
    fail "once failed: $(tail -3 "$MDS_TEST_TMP/direct.err")"
canon "$MDS_TEST_TMP/direct.jsonl" >"$MDS_TEST_TMP/got"
[ "$(lines "$MDS_TEST_TMP/direct.jsonl")" -eq 2000 ] || fail "direct: $(lines "$MDS_TEST_TMP/direct.jsonl") records, expected 2000"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null || fail "direct: records differ from the produced ones"
[ "$(outbox_rows_ever "$MDS_TEST_TMP/direct.db")" -eq 0 ] || fail "direct delivery wrote to the outbox"
[ "$(committed_sum "$MDS_TEST_TMP/direct.ini")" -gt 0 ] || fail "direct: no offsets committed after delivery"
echo "direct, output back: 2000 of 2000 records, 0 duplicates, outbox untouched"

# --- outbox mode ---
GROUP=outbox write_stream_config "$MDS_TEST_TMP/outbox.ini" outbox "delivery = outbox"
"$MDESIEM" once -c "$MDS_TEST_TMP/outbox.ini" 2>"$MDS_TEST_TMP/outbox.err" ||
    fail "outbox once failed: $(tail -3 "$MDS_TEST_TMP/outbox.err")"
canon "$MDS_TEST_TMP/outbox.jsonl" >"$MDS_TEST_TMP/got"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null || fail "outbox: records differ from the produced ones"
[ "$(lines "$MDS_TEST_TMP/outbox.jsonl")" -eq 2000 ] || fail "outbox: $(lines "$MDS_TEST_TMP/outbox.jsonl") records"
[ "$(outbox_rows_ever "$MDS_TEST_TMP/outbox.db")" -eq 2000 ] || fail "outbox mode did not use the outbox"
echo "outbox: 2000 of 2000 records through the outbox"

# --- partitions = all: no group balancing, offsets still committed ---
GROUP=assigned write_stream_config "$MDS_TEST_TMP/all.ini" all "partitions = all"
"$MDESIEM" once -c "$MDS_TEST_TMP/all.ini" 2>"$MDS_TEST_TMP/all.err" || fail "partitions = all: $(tail -3 "$MDS_TEST_TMP/all.err")"
grep -q "partitions assigned by configuration" "$MDS_TEST_TMP/all.err" || fail "no assignment by configuration logged"
grep -q "assigned 4 partitions" "$MDS_TEST_TMP/all.err" && fail "partitions = all joined the group's balancing"
canon "$MDS_TEST_TMP/all.jsonl" >"$MDS_TEST_TMP/got"
[ "$(lines "$MDS_TEST_TMP/all.jsonl")" -eq 2000 ] || fail "partitions = all: $(lines "$MDS_TEST_TMP/all.jsonl") records"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null || fail "partitions = all: records differ"
"$MDESIEM" once -c "$MDS_TEST_TMP/all.ini" 2>"$MDS_TEST_TMP/all2.err" || fail "second once failed"
[ "$(lines "$MDS_TEST_TMP/all.jsonl")" -eq 2000 ] || fail "the second run read $(($(lines "$MDS_TEST_TMP/all.jsonl") - 2000)) records again"
[ "$(jq '[.partitions[] | select(.lag == 0)] | length' <("$MDESIEM" status -c "$MDS_TEST_TMP/all.ini" --json))" -eq 4 ] ||
    fail "status: $("$MDESIEM" status -c "$MDS_TEST_TMP/all.ini" --json | jq -c .partitions)"
echo "partitions = all: 2000 of 2000, the second run resumed from the committed offsets and read none"

# --- partitions = 1,3: only those ---
GROUP=some write_stream_config "$MDS_TEST_TMP/some.ini" some "partitions = 1, 3"
"$MDESIEM" once -c "$MDS_TEST_TMP/some.ini" 2>"$MDS_TEST_TMP/some.err" || fail "partitions = 1,3: $(tail -3 "$MDS_TEST_TMP/some.err")"
for p in 1 3; do kcat -C -b "$KAFKA" -t "$TOPIC" -p $p -o beginning -e -q; done | $STREAM_RECORDS split | LC_ALL=C sort -u >"$MDS_TEST_TMP/want.some"
canon "$MDS_TEST_TMP/some.jsonl" >"$MDS_TEST_TMP/got.some"
[ -s "$MDS_TEST_TMP/want.some" ] || fail "partitions 1 and 3 hold nothing; the test proves nothing"
diff -q "$MDS_TEST_TMP/want.some" "$MDS_TEST_TMP/got.some" >/dev/null ||
    fail "partitions = 1,3: $(wc -l <"$MDS_TEST_TMP/got.some") records, expected $(wc -l <"$MDS_TEST_TMP/want.some")"
echo "partitions = 1, 3: exactly the $(wc -l <"$MDS_TEST_TMP/got.some") records of those partitions"

# --- a malformed list is a configuration error naming the key ---
for bad in "1-" "x" "3-1" "1,,2" "-1"; do
    write_stream_config "$MDS_TEST_TMP/bad.ini" bad "partitions = $bad"
    code=0
    "$MDESIEM" once -c "$MDS_TEST_TMP/bad.ini" 2>"$MDS_TEST_TMP/bad.err" || code=$?
    [ "$code" -eq 3 ] || fail "partitions = $bad: exit $code, expected 3 (invalid configuration)"
    grep -q "bad.ini:[0-9]*: \[source eh\]: partitions must be" "$MDS_TEST_TMP/bad.err" ||
        fail "partitions = $bad: $(cat "$MDS_TEST_TMP/bad.err")"
done
echo "malformed partitions lists: configuration errors with file:line"
