#!/usr/bin/env bash
# Reliability scenario 1, crash safety: `kill -9` at random moments of a
# backfill from the emulator (429 and 500 faults) into a real rsyslog over
# TCP, restarting each time, with alerts created between the kills (and
# updated, once the connector has caught up: a version replaced before
# anything read it exists for no poller). At the end every
# (id, lastUpdateDateTime) the emulator ever had arrived, no line is
# broken, and the duplicates are at most one unacknowledged batch per kill.
#
# eps_throttle (MDS_REL_EPS, 1500) stretches the backfill over the kills.
# Fast (make check): MDS_REL_ALERTS=10000 MDS_REL_KILLS=5.
# Soak (make soak):  MDS_REL_ALERTS=100000 MDS_REL_KILLS=50.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

N=${MDS_REL_ALERTS:-10000}
KILLS=${MDS_REL_KILLS:-5}
BATCH=${MDS_REL_BATCH:-500}
SECRET="rel-crash-$RANDOM$RANDOM"
start_emulator --alerts "$N" --seed 21 --client-secret "$SECRET" --faults 429=0.1,500=0.05 --retry-after 0.05
start_rsyslog
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
cat >"$MDS_TEST_TMP/mdesiem.ini" <<CONF
[service]
state = $MDS_TEST_TMP/state.db
retry_initial = 50ms
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
page_size = 500
eps_throttle = ${MDS_REL_EPS:-1500}
recurrence = 1S
outputs = rs

[output rs]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = json
timeout = 5S
CONF
log="$RS_DIR/tcp.log"
# random delay in [lo, hi) seconds, 2 decimals
rand_delay() { python3 -c "import random,sys; print('%.2f' % random.uniform(float(sys.argv[1]), float(sys.argv[2])))" "$@"; }

# distinct messages received (each version renders to one payload)
distinct() { if [ -f "$log" ]; then sed 's/^.* - - - //' "$log" | sort -u | wc -l; else echo 0; fi; }
mid=0 created=0 updated=0 upd_rounds=0
for k in $(seq "$KILLS"); do
    "$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>>"$MDS_TEST_TMP/run.err" &
    pid=$!
    MDS_PIDS+=("$pid")
    sleep "$(rand_delay 0.3 1.5)"
    kill -KILL "$pid" 2>/dev/null || fail "run $k exited before its kill: $(tail -3 "$MDS_TEST_TMP/run.err")"
    wait "$pid" 2>/dev/null || true
    lines=$(count_lines "$log")
    [ "$lines" -lt "$N" ] && mid=$((mid + 1))
    # the API moves on between the crashes: new alerts, and new versions
    # of alerts once everything so far was read
    if [ "$(distinct)" -ge $((N + created + updated)) ]; then
        emu_post "update?count=20"
        updated=$((updated + 20)) upd_rounds=$((upd_rounds + 1))
    fi
    emu_post "create?count=20"
    created=$((created + 20))
done
echo "$KILLS kills, $mid of them before the initial $N alerts had all arrived; $created alerts created" \
    "and $updated updated ($upd_rounds rounds) between kills"
[ "$mid" -ge $(((KILLS + 1) / 2)) ] || fail "most kills came after the backfill; the test proves little"

# updates under kills: catch up, then new versions of 200 alerts and a
# kill while they are being collected and delivered
for k in 1 2; do
    timeout 300 "$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>>"$MDS_TEST_TMP/run.err" || fail "catch-up once failed"
    emu_post "update?count=200"
    updated=$((updated + 200))
    "$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>>"$MDS_TEST_TMP/run.err" &
    pid=$!
    MDS_PIDS+=("$pid")
    sleep "$(rand_delay 0.05 0.5)"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    KILLS=$((KILLS + 1))
done
echo "2 more kills while 200 updated alerts each were being collected ($updated updated in all)"

# the last start: one `once` cycle collects what is left and drains the outbox
timeout 300 "$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>>"$MDS_TEST_TMP/run.err" || fail "final once failed"
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json >"$MDS_TEST_TMP/status.json"
jq -e '[.outputs[].outbox_records] | add == 0' "$MDS_TEST_TMP/status.json" >/dev/null || fail "outbox not empty"
stop_rsyslog # flushes omfile
emu_versions >"$MDS_TEST_TMP/versions"
r=$(python3 "$(dirname "$0")/rel_check.py" "$log" "$MDS_TEST_TMP/versions" --max-dups $((KILLS * BATCH))) ||
    fail "after $KILLS kills: $r"
echo "crash: $KILLS x kill -9 (batch_size $BATCH), $(wc -l <"$MDS_TEST_TMP/versions") versions: $r"
