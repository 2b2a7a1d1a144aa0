#!/usr/bin/env bash
# eventhub: malformed messages (not JSON, truncated, no records, an entry
# that is not an object, empty, too large) go to the dead-letter file with
# their partition and offset and exact bytes; every well-formed record
# still arrives exactly once; `once` succeeds; nothing stalls.
source "$(dirname "$0")/stream_lib.sh"

TOPIC=defender
start_stream_mock --topic "$TOPIC" --partitions 3 --events 2000 --eps 0 --seed 21 --malformed 0.1
emu_bad=$(sed -n 's/.*(\([0-9]*\) duplicates, \([0-9]*\) malformed).*/\2/p' "$MOCK_OUT")
[ "${emu_bad:-0}" -gt 5 ] || fail "the emulator produced only ${emu_bad:-0} malformed messages"
# a few more, by hand, with kcat: NULL value, empty value, binary, oversized
printf 'k:\n' | kcat -P -b "$KAFKA" -t "$TOPIC" -p 0 -K: -Z
printf 'k:\n' | kcat -P -b "$KAFKA" -t "$TOPIC" -p 0 -K:
printf '\x00\xff\xfe{"records":[' | kcat -P -b "$KAFKA" -t "$TOPIC" -p 1
python3 -c 'import sys; sys.stdout.write("{\"records\":[" + ",".join(["{\"x\":\"" + "y"*1000 + "\"}"]*200) + "]}")' |
    kcat -P -b "$KAFKA" -t "$TOPIC" -p 2
bad=$((emu_bad + 4))

write_stream_config "$MDS_TEST_TMP/a.ini" a "max_message_bytes = 100K
dead_letter = $MDS_TEST_TMP/dead.jsonl"
"$MDESIEM" once -c "$MDS_TEST_TMP/a.ini" 2>"$MDS_TEST_TMP/once.err" || { tail "$MDS_TEST_TMP/once.err" >&2; fail "once failed"; }

# every well-formed record, exactly once
topic_records "$TOPIC" | grep -v '"x":"yyy' | LC_ALL=C sort -u >"$MDS_TEST_TMP/want"
canon "$MDS_TEST_TMP/a.jsonl" >"$MDS_TEST_TMP/got"
[ "$(wc -l <"$MDS_TEST_TMP/want")" -eq 2000 ] || fail "ground truth has $(wc -l <"$MDS_TEST_TMP/want") records"
[ "$(lines "$MDS_TEST_TMP/a.jsonl")" -eq 2000 ] || fail "$(lines "$MDS_TEST_TMP/a.jsonl") records delivered, expected 2000"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null || fail "delivered records differ from the well-formed ones"

# every malformed message in the dead-letter file, with its exact bytes
dead="$MDS_TEST_TMP/dead.jsonl"
[ "$(lines "$dead")" -eq "$bad" ] || fail "$(lines "$dead") dead letters, expected $bad"
jq -e 'select((.partition | type) != "number" or (.offset | type) != "number" or (.reason | length) == 0)' "$dead" >/dev/null &&
    fail "a dead letter lacks partition, offset or reason"
while IFS=$'\t' read -r p o b64; do
    kcat -C -b "$KAFKA" -t "$TOPIC" -p "$p" -o "$o" -c 1 -e -q -f '%s' >"$MDS_TEST_TMP/orig"
    printf '%s' "$b64" | base64 -d >"$MDS_TEST_TMP/saved"
    cmp -s "$MDS_TEST_TMP/orig" "$MDS_TEST_TMP/saved" || fail "dead letter at $p:$o does not hold the message's bytes"
done < <(jq -r '[.partition, .offset, .body_base64] | @tsv' "$dead")
jq -r .reason "$dead" | sort | uniq -c | sed 's/^/  /'
grep -q "larger than max_message_bytes" "$dead" || fail "the oversized message was not refused"
grep -q "empty message" "$dead" || fail "the empty message was not dead-lettered"
echo "malformed: $bad messages dead-lettered with their bytes, 2000 of 2000 records delivered"

# the same again: offsets past the malformed messages were committed
"$MDESIEM" once -c "$MDS_TEST_TMP/a.ini" 2>"$MDS_TEST_TMP/once2.err" || fail "second once failed"
[ "$(lines "$dead")" -eq "$bad" ] || fail "malformed messages were read again"
[ "$(lines "$MDS_TEST_TMP/a.jsonl")" -eq 2000 ] || fail "records were delivered again"
