#!/usr/bin/env bash
# Reliability scenario 2, sink outage: a real rsyslog (TCP) is stopped in
# the middle of `mdesiem run` for MDS_REL_OUTAGE seconds (10 here, 60 in
# `make soak`). The output's spool_max_bytes is small, so the outbox
# reaches its cap during the outage: the source must pause (status says
# why, its cursor stops), then resume when rsyslog is back. Every
# (id, lastUpdateDateTime) arrives, nothing is broken, and the duplicates
# are at most the batches in flight when rsyslog went away plus what the
# output announced it sent again because rsyslog reset the connection
# with messages it had not read (resend_bytes).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

OUTAGE=${MDS_REL_OUTAGE:-10}
N=${MDS_REL_ALERTS:-3000}
EPS=${MDS_REL_EPS:-200}
SPOOL=500000 # ~100 alerts of ~5 KB
BATCH=50
SECRET="rel-outage-$RANDOM$RANDOM"
start_emulator --alerts "$N" --seed 22 --client-secret "$SECRET"
start_rsyslog
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
cat >"$MDS_TEST_TMP/mdesiem.ini" <<CONF
[service]
state = $MDS_TEST_TMP/state.db
retry_initial = 100ms
retry_max = 1S
retry_limit = 1000
batch_size = $BATCH

[source defender]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
page_size = 50
eps_throttle = $EPS
recurrence = 1S
outputs = rs

[output rs]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = json
timeout = 5S
spool_max_bytes = $SPOOL
CONF
log="$RS_DIR/tcp.log"
st() { "$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json; }

"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/run.err" &
RUN=$!
MDS_PIDS+=("$RUN")
alive_and() { kill -0 "$RUN" 2>/dev/null || fail "run exited: $(tail -3 "$MDS_TEST_TMP/run.err")"; "$@"; }
wait_for 60 alive_and lines_at_least 300 "$log" || fail "delivery did not start"
stop_rsyslog
t0=$SECONDS
at_stop=$(count_lines "$log")

# the cap is reached and the source pauses, saying why
paused() { st | jq -e '.sources[0].last_error // "" | test("paused: output rs")' >/dev/null; }
wait_for $((OUTAGE > 5 ? OUTAGE - 3 : 3)) alive_and paused || fail "the source did not pause: $(st | jq -c .sources)"
st >"$MDS_TEST_TMP/paused1.json"
sleep 2
st >"$MDS_TEST_TMP/paused2.json"
c1=$(jq -r '.sources[0].cursor' "$MDS_TEST_TMP/paused1.json")
c2=$(jq -r '.sources[0].cursor' "$MDS_TEST_TMP/paused2.json")
[ "$c1" = "$c2" ] || fail "the cursor moved while paused ($c1 -> $c2)"
bytes=$(jq '.outputs[0].outbox_bytes' "$MDS_TEST_TMP/paused2.json")
[ "$bytes" -le $((SPOOL + 50 * 8000)) ] || fail "outbox holds $bytes bytes, more than the cap plus one page"
why=$(jq -r '.sources[0].last_error' "$MDS_TEST_TMP/paused2.json")
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" | grep -q 'paused' || fail "the status table does not say paused"
while [ $((SECONDS - t0)) -lt "$OUTAGE" ]; do alive_and sleep 1; done
start_rsyslog
down=$((SECONDS - t0))
echo "rsyslog down ${down}s after $at_stop messages; outbox then $bytes bytes (cap $SPOOL); status: $why"

# resumes and delivers everything
resumed() { st | jq -e '.sources[0].last_error == null and ([.outputs[].outbox_records] | add == 0)' >/dev/null; }
wait_for 300 alive_and lines_at_least "$N" "$log" || fail "after the outage only $(count_lines "$log") of $N"
wait_for 60 alive_and resumed || fail "did not resume: $(st | jq -c .)"
grep -q 'resumed' "$MDS_TEST_TMP/run.err" || fail "no 'resumed' log line"
kill -TERM "$RUN"
wait "$RUN" || fail "run did not exit 0 on SIGTERM"
stop_rsyslog
emu_versions >"$MDS_TEST_TMP/versions"
resent=$(resent_messages "$MDS_TEST_TMP/run.err" rs)
r=$(python3 "$(dirname "$0")/rel_check.py" "$log" "$MDS_TEST_TMP/versions" --max-dups $((2 * BATCH + resent))) ||
    fail "after the outage: $r (resent after a reset: $resent)"
echo "outage: ${down}s down, spool cap reached and resumed: $r; resent after a reset: $resent"
