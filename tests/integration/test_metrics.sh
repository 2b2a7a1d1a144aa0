#!/usr/bin/env bash
# /metrics numbers equal what was delivered; /healthz turns 503, naming
# the source, once the Defender API has been unreachable for three
# recurrences, and 200 again when it is back.
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 700 --seed 3
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
write_config "$MDS_TEST_TMP/mdesiem.ini" "$MDS_TEST_TMP/secret" "recurrence = 1S
page_size = 100"
sed -i 's/^retry_limit = 60$/retry_limit = 2\nmetrics_listen = 127.0.0.1:0/' "$MDS_TEST_TMP/mdesiem.ini"

"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/run.err" &
MDS_PIDS+=("$!")
wait_for 20 grep -q 'on port [0-9]' "$MDS_TEST_TMP/run.err" || fail "metrics server did not start"
murl="http://127.0.0.1:$(grep -o 'on port [0-9]*' "$MDS_TEST_TMP/run.err" | awk '{print $3}')"
metric() { curl -fsS "$murl/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
delivered_all() { [ "$(metric 'mdesiem_output_delivered_total{output="out"}')" = 700 ]; }
wait_for 30 delivered_all || fail "delivered_total never reached 700: $(metric 'mdesiem_output_delivered_total{output="out"}')"

[ "$(wc -l <"$MDS_TEST_TMP/out.jsonl")" -eq 700 ] || fail "file has $(wc -l <"$MDS_TEST_TMP/out.jsonl") lines"
[ "$(metric 'mdesiem_source_records_new_total{source="defender"}')" = 700 ] || fail "records_new_total wrong"
[ "$(metric 'mdesiem_output_outbox_records{output="out"}')" = 0 ] || fail "outbox not empty"
fetched=$(metric 'mdesiem_source_records_fetched_total{source="defender"}')
dedup=$(metric 'mdesiem_source_records_deduplicated_total{source="defender"}')
[ $((fetched - dedup)) -eq 700 ] || fail "fetched $fetched - deduplicated $dedup != 700"
code=$(curl -s -o /dev/null -w '%{http_code}' "$murl/healthz")
[ "$code" = 200 ] || fail "healthz $code while healthy"

# the Defender API goes away: 503 within a few recurrences, naming the source
kill -TERM "$EMU_PID"
unhealthy() { [ "$(curl -s -o "$MDS_TEST_TMP/health" -w '%{http_code}' "$murl/healthz")" = 503 ]; }
wait_for 30 unhealthy || fail "healthz still 200 with the API down"
grep -q 'source defender' "$MDS_TEST_TMP/health" || fail "503 body does not name the source: $(cat "$MDS_TEST_TMP/health")"
echo "metrics: 700 delivered, $fetched fetched, $dedup deduplicated; healthz 200 -> 503"
