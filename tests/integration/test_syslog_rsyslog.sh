#!/usr/bin/env bash
# graph source -> outbox -> syslog output -> a real rsyslog over UDP, TCP
# (octet counting), TCP (newline, RFC 3164) and TLS (verified): N alerts
# sent, N messages received on each, payloads byte-identical, PRI derived
# from each alert's severity. Then TLS against the wrong CA: nothing is
# delivered, the run fails, the records stay in the outbox. Defender is
# the emulator; the expected payloads are what `mdesiem convert` makes of
# the alerts its Graph API lists (quotes, backslashes, tabs, pipes, '='
# and non-ASCII text included, every severity).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

N=400
start_emulator --alerts $N
start_rsyslog
expected_events "$MDS_TEST_TMP/alerts.jsonl"
[ "$(wc -l <"$MDS_TEST_TMP/alerts.jsonl")" -eq $N ] || fail "expected $N alerts from the emulator"

outputs="[output rs-udp]
type = syslog
address = udp://127.0.0.1:$RS_UDP_PORT
format = json

[output rs-tcp]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = json

[output rs-tls]
type = syslog
address = tls://localhost:$RS_TLS_PORT
ca_file = $MDS_TEST_TMP/certs/ca.pem
format = json

[output archive]
type = file
path = $MDS_TEST_TMP/archive.jsonl"
write_graph_config "$MDS_TEST_TMP/mdesiem.ini" "$outputs" "" "batch_size = 50"
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/once.out" 2>"$MDS_TEST_TMP/once.err" ||
    { tail -20 "$MDS_TEST_TMP/once.err" >&2; fail "once failed"; }

check() { # FILE SKIP ARGS...: waits for N lines after the first SKIP, then compares them
    local f=$1 skip=$2; shift 2
    wait_for 30 lines_at_least $((skip + N)) "$f" ||
        fail "$f has $(count_lines "$f") lines, expected $((skip + N))"
    sleep 0.3
    tail -n +$((skip + 1)) "$f" >"$MDS_TEST_TMP/received"
    python3 "$(dirname "$0")/check_syslog.py" "$MDS_TEST_TMP/received" "$MDS_TEST_TMP/alerts.jsonl" "$@" \
        >"$MDS_TEST_TMP/check.out" || fail "$f does not match the alerts"
    echo "$(basename "$f"): $(cat "$MDS_TEST_TMP/check.out")"
}
# the file output (deliver, not deliver_batch) still gets every record as is
cmp <(sort "$MDS_TEST_TMP/archive.jsonl") <(sort "$MDS_TEST_TMP/alerts.jsonl") || fail "the file output differs"
check "$RS_DIR/udp.log" 0 --exact
check "$RS_DIR/tcp.log" 0 --exact
check "$RS_DIR/tls.log" 0 --exact

# Newline framing with RFC 3164 headers, facility auth, a custom tag.
rm -f "$MDS_TEST_TMP"/state.db*
outputs="[output rs-3164]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
protocol = rfc3164
framing = newline
facility = auth
app_name = defender
format = json"
write_graph_config "$MDS_TEST_TMP/mdesiem.ini" "$outputs"
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/once.out" 2>"$MDS_TEST_TMP/once.err" ||
    { tail -20 "$MDS_TEST_TMP/once.err" >&2; fail "once (rfc3164) failed"; }
check "$RS_DIR/tcp.log" $N --exact --protocol rfc3164 --facility 4 --app defender

# TLS with a CA that did not sign the receiver's certificate.
rm -f "$MDS_TEST_TMP"/state.db*
before=$(count_lines "$RS_DIR/tls.log")
outputs="[output rs-tls]
type = syslog
address = tls://localhost:$RS_TLS_PORT
ca_file = $MDS_TEST_TMP/certs/other.pem
format = json"
MDS_RETRY_LIMIT=2 write_graph_config "$MDS_TEST_TMP/mdesiem.ini" "$outputs"
if "$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/once.out" 2>"$MDS_TEST_TMP/once.err"; then
    fail "once succeeded although the receiver's certificate is not trusted"
fi
sleep 0.5
[ "$(count_lines "$RS_DIR/tls.log")" -eq "$before" ] || fail "events were delivered over an unverified TLS connection"
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json >"$MDS_TEST_TMP/status.json"
jq -e --argjson n $N '.outputs[0].outbox_records == $n' "$MDS_TEST_TMP/status.json" >/dev/null ||
    fail "the undelivered records are not all waiting in the outbox: $(cat "$MDS_TEST_TMP/status.json")"
jq -e '.outputs[0].last_error | test("certificate")' "$MDS_TEST_TMP/status.json" >/dev/null ||
    fail "status does not name the certificate problem: $(jq -c .outputs "$MDS_TEST_TMP/status.json")"
echo "wrong CA refused: $(jq -r '.outputs[0].last_error' "$MDS_TEST_TMP/status.json")"
