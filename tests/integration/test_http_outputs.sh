#!/usr/bin/env bash
# graph source -> outbox -> http outputs, end to end with the real binary:
#  - Splunk HEC answering 429 (Retry-After: 2) then 503 before accepting:
#    every alert accepted exactly once, the 2 s wait honoured, the token
#    in no log, status or state file;
#  - Elasticsearch bulk (gzip) with a 429 item: the batch is retried with
#    the same _ids, one _id per alert;
#  - a generic receiver that is down for ~5 s while `run` delivers new
#    alerts: all of them arrive once it is back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

N=300
TOKEN="hec-token-$RANDOM-$RANDOM"
start_emulator --alerts $N
start_http_receiver HEC hec "Splunk $TOKEN"
start_http_receiver ES es
printf '%s\n' "$TOKEN" >"$MDS_TEST_TMP/hec.token"
chmod 600 "$MDS_TEST_TMP/hec.token"
curl -fsS -X POST "$HEC_URL/_ctl/plan" -d '[{"status":429,"retry_after":"2","body":"{\"text\":\"Server is busy\",\"code\":9}"},{"status":503}]' >/dev/null
curl -fsS -X POST "$ES_URL/_ctl/plan" -d '[{"es_items":[201,429]}]' >/dev/null

outputs="[output hec]
type = http
preset = splunk_hec
url = $HEC_URL/services/collector/event
token_file = $MDS_TEST_TMP/hec.token
format = json

[output es]
type = http
preset = elasticsearch
url = $ES_URL
index = defender-test
gzip = true
format = json"
write_graph_config "$MDS_TEST_TMP/mdesiem.ini" "$outputs" "" "batch_size = 100"
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/once.out" 2>"$MDS_TEST_TMP/once.err" ||
    { tail -20 "$MDS_TEST_TMP/once.err" >&2; fail "once failed"; }
expected_events "$MDS_TEST_TMP/alerts.jsonl"

curl -fsS "$HEC_URL/_ctl/requests" >"$MDS_TEST_TMP/hec.requests"
r=$(python3 "$(dirname "$0")/check_http.py" "$MDS_TEST_TMP/hec.requests" "$MDS_TEST_TMP/alerts.jsonl" hec) ||
    fail "HEC did not receive every alert exactly once: $r"
echo "hec: events, distinct, duplicates, requests, failed: $r"
# Retry-After: 2 on the first answer: the next request came no sooner.
gap=$(jq -s '.[1].t - .[0].t' "$MDS_TEST_TMP/hec.requests")
jq -e -s '.[0].status == 429 and .[1].status == 503' "$MDS_TEST_TMP/hec.requests" >/dev/null ||
    fail "the receiver's plan did not run"
python3 -c "import sys; sys.exit(0 if $gap >= 1.9 else 1)" || fail "retried after ${gap}s despite Retry-After: 2"
echo "hec: retried ${gap}s after the 429"

curl -fsS "$ES_URL/_ctl/requests" >"$MDS_TEST_TMP/es.requests"
r=$(python3 "$(dirname "$0")/check_http.py" "$MDS_TEST_TMP/es.requests" "$MDS_TEST_TMP/alerts.jsonl" es) ||
    fail "Elasticsearch did not index every alert under one stable _id: $r"
jq -e -s 'all(.gzip) and .[0].path == "/_bulk"' "$MDS_TEST_TMP/es.requests" >/dev/null || fail "bulk requests not gzipped"
jq -e -s '.[0].body == .[1].body' "$MDS_TEST_TMP/es.requests" >/dev/null ||
    fail "the retried bulk request differs from the first attempt"
echo "es: documents, distinct, re-sent, requests, failed: $r"

if grep -rl --binary-files=text -- "$TOKEN" "$MDS_TEST_TMP" | grep -v -e '/hec.token$' -e '/hec.requests$' -e '/HEC.log$'; then
    fail "the HEC token leaked into the files above"
fi
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json | grep -q -- "$TOKEN" && fail "status shows the token"

# A receiver that is down for a while under `run`.
rm -f "$MDS_TEST_TMP"/state.db*
start_http_receiver GEN generic
gen_port=${GEN_URL##*:}
outputs="[output gen]
type = http
url = $GEN_URL/ingest
format = json
timeout = 2S"
write_graph_config "$MDS_TEST_TMP/run.ini" "$outputs"
"$MDESIEM" run -c "$MDS_TEST_TMP/run.ini" >"$MDS_TEST_TMP/run.out" 2>"$MDS_TEST_TMP/run.err" &
RUN_PID=$!
MDS_PIDS+=("$RUN_PID")
accepted() { curl -fsS "$GEN_URL/_ctl/requests" | jq -s '[.[] | select(.status == 200) | .body | split("\n")[] | select(length > 0)] | length'; }
gen_has() { [ "$(accepted)" -ge "$1" ]; }
wait_for 60 gen_has $N || fail "run did not deliver the first $N alerts"
stop_pid "$GEN_PID"
emu_post "create?count=100"
outbox_full() { "$MDESIEM" status -c "$MDS_TEST_TMP/run.ini" --json | jq -e '.outputs[0].outbox_records == 100' >/dev/null; }
wait_for 20 outbox_full || fail "the new alerts are not waiting in the outbox while the receiver is down"
sleep 3
start_http_receiver GEN generic "" "$gen_port"
wait_for 60 gen_has 100 || fail "the alerts added during the outage never arrived"
kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "run did not exit cleanly"
cp "$MDS_TEST_TMP/alerts.jsonl" "$MDS_TEST_TMP/before.jsonl"
expected_events "$MDS_TEST_TMP/alerts.jsonl"
# the 100 alerts created during the outage: those the first listing lacked
jq -r .id "$MDS_TEST_TMP/before.jsonl" | sort >"$MDS_TEST_TMP/before.ids"
jq -c --rawfile old "$MDS_TEST_TMP/before.ids" '. as $a | select(($old | split("\n") | index([$a.id])) == null)' \
    "$MDS_TEST_TMP/alerts.jsonl" >"$MDS_TEST_TMP/new.jsonl"
[ "$(wc -l <"$MDS_TEST_TMP/new.jsonl")" -eq 100 ] || fail "expected 100 new alerts, found $(wc -l <"$MDS_TEST_TMP/new.jsonl")"
curl -fsS "$GEN_URL/_ctl/requests" >"$MDS_TEST_TMP/gen.requests"
r=$(python3 "$(dirname "$0")/check_http.py" "$MDS_TEST_TMP/gen.requests" "$MDS_TEST_TMP/new.jsonl" lines) ||
    fail "after the outage: $r"
echo "generic after a 5 s outage: events, distinct, duplicates, requests, failed: $r"
