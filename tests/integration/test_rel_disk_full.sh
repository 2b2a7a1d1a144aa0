#!/usr/bin/env bash
# Reliability scenario 2c, a full disk under the state file: the state
# lives on a 2 MiB tmpfs while the receiver (rsyslog) is down and the spool
# has no cap, so the outbox fills the disk. mdesiem must say so clearly
# (log and status), keep running, leave a database that passes
# `PRAGMA integrity_check`, and recover once space returns: when the
# receiver comes back (acknowledged rows free pages) or, when that is not
# enough, when the filesystem is grown. Meanwhile a delivered batch whose
# acknowledgement cannot be written is not delivered again and again.
# Every version arrives.
# Needs root to mount a tmpfs; without it the test says so and skips.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

SMALL="$MDS_TEST_TMP/small"
mkdir -p "$SMALL"
if ! mount -t tmpfs -o size=2m mds-rel-full "$SMALL" 2>"$MDS_TEST_TMP/mount.err"; then
    echo "SKIP: cannot mount a tmpfs here ($(cat "$MDS_TEST_TMP/mount.err")); the full-disk scenario needs root"
    exit 0
fi
unmount_small() { umount "$SMALL" 2>/dev/null || umount -l "$SMALL" 2>/dev/null || true; }
trap 'mds_cleanup_all' EXIT
mds_cleanup_all() {
    local p
    for p in "${MDS_PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
    for p in "${MDS_PIDS[@]:-}"; do [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true; done
    unmount_small # before mds_cleanup removes the mount point
    mds_cleanup
}

N=${MDS_REL_ALERTS:-1500}
SECRET="rel-disk-$RANDOM$RANDOM"
start_emulator --alerts "$N" --seed 23 --client-secret "$SECRET"
RS_TCP_PORT=$(free_port)
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
cat >"$MDS_TEST_TMP/mdesiem.ini" <<CONF
[service]
state = $SMALL/state.db
retry_initial = 100ms
retry_max = 1S
retry_limit = 1000
batch_size = 100

[source defender]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
page_size = 100
eps_throttle = 0
recurrence = 1S
outputs = rs

[output rs]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = json
timeout = 5S
spool_max_bytes = 0
CONF
st() { "$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json; }

"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/run.err" &
RUN=$!
MDS_PIDS+=("$RUN")
alive_and() { kill -0 "$RUN" 2>/dev/null || fail "run exited: $(tail -3 "$MDS_TEST_TMP/run.err")"; "$@"; }
wait_for 60 alive_and grep -q 'disk is full' "$MDS_TEST_TMP/run.err" ||
    fail "no clear full-disk error: $(tail -3 "$MDS_TEST_TMP/run.err")"
err_line=$(grep -m1 'disk is full' "$MDS_TEST_TMP/run.err")
sleep 2
alive_and true
df_used=$(df --output=pcent "$SMALL" | tail -1 | tr -d ' ')
integrity=$(sqlite3 "$SMALL/state.db" 'PRAGMA integrity_check' 2>&1)
[ "$integrity" = ok ] || fail "integrity_check while the disk is full: $integrity"
st >"$MDS_TEST_TMP/full.json" || fail "status fails while the disk is full"
srcerr=$(jq -r '.sources[0].last_error // ""' "$MDS_TEST_TMP/full.json")
held=$(jq '.outputs[0].outbox_records' "$MDS_TEST_TMP/full.json")
echo "disk full ($df_used used): run alive, integrity ok, $held records held; log: ${err_line#*] }"
echo "status last_error: ${srcerr:-none}"

# 1) the receiver comes back while the disk is still full: what cannot be
# acknowledged is not sent again and again (at most one batch repeats)
start_rsyslog
log="$RS_DIR/tcp.log"
distinct() { if [ -f "$log" ]; then sed 's/^.* - - - //' "$log" | sort -u | wc -l; else echo 0; fi; }
distinct_at_least() { [ "$(distinct)" -ge "$1" ]; }
if wait_for 20 alive_and distinct_at_least "$N"; then
    how="by itself once the receiver was back"
else
    got=$(distinct)
    r=$(python3 "$(dirname "$0")/rel_check.py" "$log" <(emu_versions) --partial --max-dups 100) ||
        fail "while the disk stays full: $r"
    echo "receiver back, disk still full, 20 s: $r"
    # 2) room again, as an operator would make it
    mount -o remount,size=64m "$SMALL" || fail "cannot grow the tmpfs"
    wait_for 120 alive_and distinct_at_least "$N" || fail "no recovery after growing the disk: $(distinct) of $N"
    how="after the filesystem was grown ($got of $N had arrived before)"
fi
wait_for 30 bash -c "\"$MDESIEM\" status -c \"$MDS_TEST_TMP/mdesiem.ini\" --json |
    jq -e '[.outputs[].outbox_records] | add == 0' >/dev/null" || fail "the outbox did not drain"
kill -TERM "$RUN"
wait "$RUN" || fail "run did not exit 0 on SIGTERM"
integrity=$(sqlite3 "$SMALL/state.db" 'PRAGMA integrity_check' 2>&1)
[ "$integrity" = ok ] || fail "integrity_check after recovery: $integrity"
stop_rsyslog
emu_versions >"$MDS_TEST_TMP/versions"
r=$(python3 "$(dirname "$0")/rel_check.py" "$log" "$MDS_TEST_TMP/versions" --max-dups 200) || fail "after the full disk: $r"
echo "disk full: recovered $how; integrity ok; $r"
