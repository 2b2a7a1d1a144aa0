#!/usr/bin/env bash
# bench/syslog.sh - figure 4: records/s from the outbox into a real rsyslog
# over TCP and TLS, beside a ceiling (the same framed bytes from a minimal
# Python sender).
#
# Setup (untimed): the emulator holds SYSLOG_ALERTS alerts; `mdesiem once`
# collects them with its syslog output pointed at a closed port, so they
# all wait in the outbox; that state file is the template of every run.
# A run copies the template, runs `mdesiem once` against rsyslog and stops
# the clock when rsyslog has written every message to its file.
source "$(dirname "$0")/lib.sh"

SYSLOG_ALERTS=${SYSLOG_ALERTS:-50000}
SYSLOG_FORMAT=${SYSLOG_FORMAT:-cef}
D="$BENCH_TMP/syslog"
mkdir -p "$D/certs" "$D/rsyslog"

# ---- certificates and rsyslog (as tests/integration/outputs_lib.sh) -------
(
    cd "$D/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=mds-bench-ca
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext
) >/dev/null 2>&1 || fail "cannot make certificates"
RS_TCP_PORT=$(free_port)
RS_TLS_PORT=$(free_port)
C="$D/certs"
R="$D/rsyslog"
cat >"$R/rsyslog.conf" <<CONF
global(workDirectory="$R" maxMessageSize="512k" parser.escapeControlCharactersOnReceive="off"
       defaultNetstreamDriverCAFile="$C/ca.pem" defaultNetstreamDriverCertFile="$C/srv.pem"
       defaultNetstreamDriverKeyFile="$C/srv.key")
module(load="imtcp" maxSessions="200")
input(type="imtcp" address="127.0.0.1" port="$RS_TCP_PORT" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$RS_TLS_PORT" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="tcp") { action(type="omfile" file="$R/tcp.log" template="raw") }
ruleset(name="tls") { action(type="omfile" file="$R/tls.log" template="raw") }
CONF
rsyslogd -n -f "$R/rsyslog.conf" -i "$R/rsyslogd.pid" >>"$R/rsyslogd.out" 2>&1 &
RS_PID=$!
BENCH_PIDS+=("$RS_PID")
rs_listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$RS_TCP_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$RS_TLS_PORT") 2>/dev/null
}
wait_for 30 rs_listening || { cat "$R/rsyslogd.out" >&2; fail "rsyslogd did not start"; }
note syslog "rsyslogd -n -f rsyslog.conf   # imtcp on 127.0.0.1 (plain, and gtls with a test CA), omfile %rawmsg%"

# ---- fill the outbox -----------------------------------------------------
start_emulator --alerts "$SYSLOG_ALERTS" --seed 7
note syslog "$MDESIEM emulate --listen 127.0.0.1:0 --alerts $SYSLOG_ALERTS --seed 7"
CLOSED_PORT=$(free_port)

# config DIR ADDRESS [EXTRA]: one source, one syslog output named siem
config() {
    local dir=$1 address=$2 extra=${3:-}
    BENCH_SERVICE_EXTRA="retry_limit = 1
retry_initial = 100ms" graph_config "$dir/mdesiem.ini" defender "$dir/state.db" "[output siem]
type = syslog
address = $address
format = $SYSLOG_FORMAT
$extra" "overlap = 1S"
}
mkdir -p "$D/fill"
config "$D/fill" "tcp://127.0.0.1:$CLOSED_PORT"
"$MDESIEM" once -c "$D/fill/mdesiem.ini" >"$D/fill/once.out" 2>&1 || true
depth=$("$MDESIEM" status -c "$D/fill/mdesiem.ini" --json | jq '[.outputs[]? | .outbox_records] | add // 0')
say "syslog: outbox filled with $depth records"
[ "$depth" -eq "$SYSLOG_ALERTS" ] || { cat "$D/fill/once.out" >&2; fail "outbox holds $depth records, expected $SYSLOG_ALERTS"; }
[ -f "$D/fill/state.db-wal" ] && fail "state file not checkpointed"
cp "$D/fill/state.db" "$D/template.db"
note syslog "$MDESIEM once -c fill.ini   # output siem -> a closed port: all $SYSLOG_ALERTS alerts stay in the outbox; state.db is the template"

# wait_lines FILE N: polls until FILE has N lines (bounded); prints the time.
wait_lines() {
    local f=$1 n=$2 end=$((SECONDS + 120))
    while [ "$(wc -l <"$f" 2>/dev/null || echo 0)" -lt "$n" ]; do
        [ $SECONDS -lt $end ] || fail "rsyslog wrote $(wc -l <"$f") of $n messages to $f"
        sleep 0.02
    done
    date +%s.%N
}

secs() { python3 -c "print(round($2 - $1, 3))"; }

# run_mdesiem TRANSPORT RUN
run_mdesiem() {
    local t=$1 run=$2 dir="$D/run-$1" port log
    [ "$t" = tcp ] && port=$RS_TCP_PORT || port=$RS_TLS_PORT
    log="$R/$t.log"
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$t" = tcp ]; then
        config "$dir" "tcp://127.0.0.1:$port"
    else
        config "$dir" "tls://127.0.0.1:$port" "ca_file = $C/ca.pem"
    fi
    cp "$D/template.db" "$dir/state.db"
    : >"$log"
    local t0 t1
    t0=$(date +%s.%N)
    timed "$dir/once.out" "$MDESIEM" once -c "$dir/mdesiem.ini"
    [ "$T_RC" -eq 0 ] || fail "mdesiem once -> rsyslog $t failed"
    t1=$(wait_lines "$log" "$SYSLOG_ALERTS")
    local wall bytes
    wall=$(secs "$t0" "$t1")
    bytes=$(stat -c %s "$log")
    result figure=syslog case="$t" label="mdesiem once → rsyslog ($(echo "$t" | tr a-z A-Z))" run="$run" \
        wall="$wall" once_wall="$T_WALL" sender_cpu="$(python3 -c "print($T_USER + $T_SYS)")" \
        rss_kb="$T_RSS" items="$SYSLOG_ALERTS" bytes="$bytes"
    say "syslog: $t run $run: ${wall}s"
}

# run_ceiling TRANSPORT RUN
run_ceiling() {
    local t=$1 run=$2 port log
    [ "$t" = tcp ] && port=$RS_TCP_PORT || port=$RS_TLS_PORT
    log="$R/$t.log"
    : >"$log"
    local t0 t1
    t0=$(date +%s.%N)
    timed /dev/null python3 "$BENCH_HERE/syslog_send.py" "$t" 127.0.0.1 "$port" "$D/framed" "$C/ca.pem"
    [ "$T_RC" -eq 0 ] || fail "ceiling sender ($t) failed"
    t1=$(wait_lines "$log" "$SYSLOG_ALERTS")
    result figure=syslog case="$t-ceiling" label="ceiling: Python sendall → rsyslog ($(echo "$t" | tr a-z A-Z))" \
        run="$run" wall="$(secs "$t0" "$t1")" sender_cpu="$(python3 -c "print($T_USER + $T_SYS)")" \
        rss_kb="$T_RSS" items="$SYSLOG_ALERTS" bytes="$(stat -c %s "$log")"
}

note syslog "$MDESIEM once -c tcp.ini   # [output siem] type = syslog, address = tcp://127.0.0.1:PORT, format = $SYSLOG_FORMAT"
note syslog "$MDESIEM once -c tls.ini   # address = tls://127.0.0.1:PORT, ca_file = ca.pem"
note syslog "python3 bench/syslog_send.py tcp|tls 127.0.0.1 PORT framed [ca.pem]   # the ceiling"

for run in $(seq "$BENCH_RUNS"); do
    run_mdesiem tcp "$run"
    if [ "$run" = 1 ]; then
        # the ceiling's input: exactly what mdesiem sent, octet-counted
        python3 - "$R/tcp.log" "$D/framed" <<'PY'
import sys
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for line in f:
        msg = line[:-1] if line.endswith(b"\n") else line
        out.write(b"%d " % len(msg) + msg)
PY
    fi
    run_ceiling tcp "$run"
    run_mdesiem tls "$run"
    run_ceiling tls "$run"
done

result figure=syslog-meta records="$SYSLOG_ALERTS" format="$SYSLOG_FORMAT" \
    rsyslog="$(rsyslogd -v | head -1 | awk '{print $2}')" outbox_depth="$depth"
