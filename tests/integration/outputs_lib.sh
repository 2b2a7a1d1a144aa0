# Helpers for output integration tests (sourced after lib.sh): the
# emulator's alerts as the events they must become, a real rsyslog with
# UDP, TCP and TLS inputs, and test certificates. Every server binds
# 127.0.0.1, is registered in MDS_PIDS and is killed on exit.

# free_port [udp]: a port nothing listens on right now.
free_port() {
    python3 - "$@" <<'PY'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1:] == ["udp"] else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# emu_token: a Graph access token from the emulator at $EMU_URL.
emu_token() {
    curl -fsS -X POST "$EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token" \
        -d grant_type=client_credentials -d client_id=11111111-2222-3333-4444-555555555555 \
        --data-urlencode client_secret=emulator-secret \
        --data-urlencode scope=https://graph.microsoft.com/.default | jq -er .access_token
}

# emu_alert_pages: every alert the emulator's Graph API lists, as the
# pages it answers (one JSON object per page, following @odata.nextLink).
emu_alert_pages() {
    local tok url page="$MDS_TEST_TMP/emu_page.json"
    tok=$(emu_token) || fail "no token from the emulator"
    url="$EMU_URL/v1.0/security/alerts_v2?\$top=2000"
    while [ -n "$url" ]; do
        curl -fsS -H "Authorization: Bearer $tok" "$url" >"$page" || fail "cannot list the emulator's alerts"
        cat "$page"
        echo
        url=$(jq -r '."@odata.nextLink" // empty' "$page")
    done
}

# expected_events FILE: the events `mdesiem convert --to json` makes of
# every alert the emulator has (one per line), written to FILE; checks
# that they are as many as the emulator's versions and that they hold
# characters formats must escape.
expected_events() {
    local f=$1 n
    emu_alert_pages | "$MDESIEM" convert --to json >"$f" || fail "convert failed on the emulator's alerts"
    n=$(emu_versions | wc -l)
    [ "$(wc -l <"$f")" -eq "$n" ] || fail "the API listed $(wc -l <"$f") alerts, the emulator has $n versions"
    [ "$(jq -r '[.id, .lastUpdateDateTime] | @tsv' "$f" | sort)" = "$(emu_versions)" ] ||
        fail "the API's alerts are not the emulator's versions"
    # the strings hold quotes, backslashes, tabs, pipes, '=' and non-ASCII
    # text, and every severity occurs (each has its own syslog PRI)
    local c
    for c in '"' \\ $'\t' '|' '='; do
        jq -se --arg c "$c" 'any(.[]; [.. | strings] | any(contains($c)))' "$f" >/dev/null ||
            fail "no alert holds '$c': the test would prove less"
    done
    jq -se 'any(.[]; [.. | strings] | any(test("[^\\u0000-\\u007f]")))' "$f" >/dev/null ||
        fail "no alert holds non-ASCII text"
    for c in high medium low informational; do
        jq -se --arg c "$c" 'any(.[]; .severity == $c)' "$f" >/dev/null || fail "no alert of severity $c"
    done
}

# write_graph_config FILE OUTPUT_SECTIONS [SOURCE_EXTRA] [SERVICE_EXTRA]:
# one graph source against the emulator ($EMU_URL, default client secret),
# routed to every [output] in OUTPUT_SECTIONS (INI text).
write_graph_config() {
    local file=$1 outputs=$2 src_extra=${3:-} svc_extra=${4:-}
    local names
    names=$(printf '%s\n' "$outputs" | sed -n 's/^\[output \(.*\)\]$/\1/p' | paste -sd, -)
    printf 'emulator-secret\n' >"$MDS_TEST_TMP/secret"
    chmod 600 "$MDS_TEST_TMP/secret"
    cat >"$file" <<CONF
[service]
state = $MDS_TEST_TMP/state.db
retry_initial = 100ms
retry_max = 1S
retry_limit = ${MDS_RETRY_LIMIT:-1000}
$svc_extra

[source defender]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
eps_throttle = ${MDS_EPS_THROTTLE:-0}
recurrence = 1S
outputs = $names
$src_extra

$outputs
CONF
}

# make_certs DIR: ca.pem/ca.key (the CA), other.pem (an unrelated CA),
# srv.pem/srv.key (localhost and 127.0.0.1, signed by ca).
make_certs() {
    local d=$1
    mkdir -p "$d"
    (
        cd "$d"
        for ca in ca other; do
            openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=mds-test-$ca"
        done
        openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext
    ) >/dev/null 2>&1 || fail "cannot make test certificates"
}

# start_rsyslog: a real rsyslogd (foreground, never a daemon) with
# inputs udp RS_UDP_PORT, tcp RS_TCP_PORT, tls RS_TLS_PORT (gtls,
# certificate srv.pem from make_certs in $MDS_TEST_TMP/certs), writing the
# raw message of each to $RS_DIR/udp.log, tcp.log, tls.log. Ports are kept
# across restarts (restart_rsyslog). The UDP input has a 16 MB socket
# buffer: the emulator's alerts are about 5 KB each, and a burst of a few
# hundred of them overflows the default one (UDP drops what does not fit).
start_rsyslog() {
    RS_DIR="$MDS_TEST_TMP/rsyslog"
    mkdir -p "$RS_DIR"
    [ -f "$MDS_TEST_TMP/certs/srv.pem" ] || make_certs "$MDS_TEST_TMP/certs"
    : "${RS_UDP_PORT:=$(free_port udp)}" "${RS_TCP_PORT:=$(free_port)}" "${RS_TLS_PORT:=$(free_port)}"
    local c="$MDS_TEST_TMP/certs"
    cat >"$RS_DIR/rsyslog.conf" <<CONF
global(workDirectory="$RS_DIR" maxMessageSize="512k" parser.escapeControlCharactersOnReceive="off"
       defaultNetstreamDriverCAFile="$c/ca.pem" defaultNetstreamDriverCertFile="$c/srv.pem"
       defaultNetstreamDriverKeyFile="$c/srv.key")
module(load="imudp")
module(load="imtcp" maxSessions="200")
input(type="imudp" address="127.0.0.1" port="$RS_UDP_PORT" ruleset="udp" rcvbufSize="16m")
input(type="imtcp" address="127.0.0.1" port="$RS_TCP_PORT" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$RS_TLS_PORT" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="udp") { action(type="omfile" file="$RS_DIR/udp.log" template="raw") }
ruleset(name="tcp") { action(type="omfile" file="$RS_DIR/tcp.log" template="raw") }
ruleset(name="tls") { action(type="omfile" file="$RS_DIR/tls.log" template="raw") }
CONF
    # timeout bounds it even if this script is killed before its cleanup runs
    timeout 900 rsyslogd -n -f "$RS_DIR/rsyslog.conf" -i "$RS_DIR/rsyslogd.pid" >>"$RS_DIR/rsyslogd.out" 2>&1 &
    RS_PID=$!
    MDS_PIDS+=("$RS_PID")
    wait_for 20 rs_listening || { cat "$RS_DIR/rsyslogd.out" >&2; fail "rsyslogd did not start"; }
}

rs_listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$RS_TCP_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$RS_TLS_PORT") 2>/dev/null
}

# forget_pid PID: drops a process that has ended from MDS_PIDS, so the
# cleanup on exit cannot signal whatever process reuses its number (pids
# wrap quickly when tests run in parallel).
forget_pid() {
    local keep=() p
    for p in "${MDS_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    MDS_PIDS=("${keep[@]}")
}

stop_rsyslog() {
    stop_pid "$RS_PID"
    rm -f "$RS_DIR/rsyslogd.pid"
}

restart_rsyslog() { stop_rsyslog; start_rsyslog; }

# resent_messages LOG OUTPUT: how many messages output OUTPUT sent again
# after connections were reset (its "sending the last N messages" warnings
# in LOG): duplicates it announced, on top of the at-least-once tail.
resent_messages() {
    sed -n "s/.*\[output:$2\] the last connection .* sending the last \([0-9]*\) messages.*/\1/p" "$1" |
        awk '{n += $1} END {print n + 0}'
}

# count_lines FILE: lines in FILE (0 when it does not exist).
count_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# lines_at_least N FILE...: every FILE has at least N lines (for wait_for,
# which re-runs its command but expands its arguments only once).
lines_at_least() {
    local n=$1 f; shift
    for f in "$@"; do [ "$(count_lines "$f")" -ge "$n" ] || return 1; done
}

# start_http_receiver NAME MODE [AUTH] [PORT]: http_receiver.py in MODE
# (generic, hec, es); sets <NAME>_URL and <NAME>_PID. Reusing PORT
# restarts a receiver where a stopped one was.
start_http_receiver() {
    local name=$1 mode=$2 auth=${3:-} port=${4:-0}
    local portfile="$MDS_TEST_TMP/$name.port.$RANDOM"
    local args=(--port-file "$portfile" --mode "$mode" --port "$port" --lifetime 600)
    [ -n "$auth" ] && args+=(--auth "$auth")
    python3 "$MDS_SOURCE_DIR/tests/integration/http_receiver.py" "${args[@]}" >>"$MDS_TEST_TMP/$name.log" 2>&1 &
    local pid=$!
    MDS_PIDS+=("$pid")
    wait_for 20 test -s "$portfile" || { cat "$MDS_TEST_TMP/$name.log" >&2; fail "$name receiver did not start"; }
    printf -v "${name}_URL" 'http://127.0.0.1:%s' "$(cat "$portfile")"
    printf -v "${name}_PID" '%s' "$pid"
}

# stop_pid PID: TERM, then KILL after 20 s; reaps it and forgets it.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    timeout 20 tail --pid="$1" -f /dev/null || kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget_pid "$1"
}
