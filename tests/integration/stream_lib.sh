# Helpers for the eventhub (Streaming API) integration tests; sourced after
# lib.sh. The broker is librdkafka's mock cluster, started in-process by
# `mdesiem emulate --stream-mock` on 127.0.0.1; the ground truth is
# read back from it with kcat, a program independent of mdesiem.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v kcat >/dev/null || fail "kcat is not installed"

# start_stream_mock ARGS...: starts the mock cluster (and its producer when
# ARGS has --topic and --events); sets KAFKA (bootstrap) and MOCK_PID, and
# waits until the producer reported.
start_stream_mock() {
    MOCK_OUT="$MDS_TEST_TMP/mock.out.$RANDOM"
    "$MDESIEM" emulate --stream-mock "$@" >"$MOCK_OUT" 2>>"$MDS_TEST_TMP/mock.err" &
    MOCK_PID=$!
    MDS_PIDS+=("$MOCK_PID")
    wait_for 30 grep -qs "stream bootstrap" "$MOCK_OUT" || { cat "$MDS_TEST_TMP/mock.err" >&2; fail "mock cluster did not start"; }
    KAFKA=$(sed -n 's/^mdesiem emulate: stream bootstrap //p' "$MOCK_OUT" | head -1)
    local events
    events=$(printf '%s\n' "$@" | sed -n '/^--events$/{n;p}')
    if [ "${events:-0}" -gt 0 ]; then
        wait_for 120 grep -q "stream produced" "$MOCK_OUT" || fail "mock producer did not finish"
        grep -q "FAILED" "$MOCK_OUT" && fail "mock producer failed: $(cat "$MOCK_OUT")"
    fi
    return 0
}

# produce ARGS...: one more producer run against the mock (foreground).
produce() {
    "$MDESIEM" emulate --stream "kafka://$KAFKA" "$@" >>"$MDS_TEST_TMP/produce.out" 2>>"$MDS_TEST_TMP/produce.err" ||
        fail "producer failed: $(tail -3 "$MDS_TEST_TMP/produce.err")"
}

# topic_records TOPIC: every record of every well-formed message in the
# topic, one compact JSON object per line (duplicates kept).
STREAM_RECORDS="python3 $(dirname "${BASH_SOURCE[0]}")/stream_records.py"
topic_records() {
    kcat -C -b "$KAFKA" -t "$1" -o beginning -e -q | $STREAM_RECORDS split
}

# canon FILE...: the records of JSON-lines files in canonical form, sorted.
canon() { cat "$@" 2>/dev/null | $STREAM_RECORDS canon | LC_ALL=C sort; }

# write_stream_config FILE NAME EXTRA_SOURCE_KEYS: an eventhub source on
# the mock delivering to $MDS_TEST_TMP/NAME.jsonl, state NAME.db.
write_stream_config() {
    local file=$1 name=$2 extra=${3:-}
    cat >"$file" <<CONF
[service]
state = $MDS_TEST_TMP/$name.db
retry_initial = 50ms
retry_max = 1S
retry_limit = 60

[source eh]
type = eventhub
bootstrap = $KAFKA
eventhub = ${TOPIC:-defender}
consumer_group = ${GROUP:-mdesiem-test}
start = earliest
session_timeout = 6S
eps_throttle = ${EPS_THROTTLE:-0}
outputs = out
$extra

[output out]
type = file
path = $MDS_TEST_TMP/$name.jsonl
rotate_bytes = 0
CONF
}

lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# at_least FILE N: FILE has N lines or more (for wait_for, which would
# otherwise see a $(...) expanded once).
at_least() { [ "$(lines "$1")" -ge "$2" ]; }

# start_run CONFIG LOG: `mdesiem run` in the background; sets RUN_PID.
start_run() {
    "$MDESIEM" run -c "$1" 2>"$2" &
    RUN_PID=$!
    MDS_PIDS+=("$RUN_PID")
}

# stop_run PID: SIGTERM, and the exit code must be 0.
stop_run() {
    kill -TERM "$1"
    local code=0
    wait "$1" || code=$?
    [ "$code" -eq 0 ] || fail "mdesiem run (pid $1) exited $code after SIGTERM"
}
