#!/usr/bin/env bash
# Reliability scenario 7, TLS: certificate verification is on by default
# (the emulator's self-signed HTTPS certificate is refused unless the
# source names it in ca_file); `insecure = true` is warned about at every
# start (run, once, and each SIGHUP reload); and TLS 1.2 is the minimum:
# an `openssl s_server -tls1_1` is refused by the Graph source (libcurl)
# and by the syslog output (OpenSSL), while the same server with -tls1_2
# is accepted (so the refusal is the protocol version, nothing else).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

SECRET="rel-tls-$RANDOM$RANDOM"
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
make_certs "$MDS_TEST_TMP/certs"
C="$MDS_TEST_TMP/certs"

# 1) HTTPS emulator, self-signed
start_emulator --alerts 50 --seed 61 --client-secret "$SECRET" --tls "$MDS_TEST_TMP/emu.pem"
EMU_URL=${EMU_URL/http:/https:}
tls_conf() { # FILE EXTRA_SOURCE_KEYS
    write_config "$1" "$MDS_TEST_TMP/secret" "eps_throttle = 0
$2"
    sed -i 's/^retry_limit = 60$/retry_limit = 2/' "$1"
}
tls_conf "$MDS_TEST_TMP/verify.ini" ""
code=0
"$MDESIEM" once -c "$MDS_TEST_TMP/verify.ini" 2>"$MDS_TEST_TMP/verify.err" || code=$?
[ "$code" -ne 0 ] || fail "a self-signed certificate was accepted without ca_file"
grep -qi 'certificate' "$MDS_TEST_TMP/verify.err" || fail "refusal does not name the certificate: $(tail -2 "$MDS_TEST_TMP/verify.err")"
[ ! -s "$MDS_TEST_TMP/out.jsonl" ] || fail "something was delivered through an unverified connection"
echo "default: self-signed emulator refused, once exit $code: $(grep -m1 -io '[^:]*certificate[^;]*' "$MDS_TEST_TMP/verify.err")"
code=0
"$MDESIEM" check -c "$MDS_TEST_TMP/verify.ini" >"$MDS_TEST_TMP/check.out" 2>&1 || code=$?
[ "$code" -ne 0 ] || fail "check passed an unverifiable certificate"
grep -qi 'certificate' "$MDS_TEST_TMP/check.out" || fail "check does not name the certificate"

tls_conf "$MDS_TEST_TMP/ca.ini" "ca_file = $MDS_TEST_TMP/emu.pem"
"$MDESIEM" once -c "$MDS_TEST_TMP/ca.ini" 2>"$MDS_TEST_TMP/ca.err" || fail "ca_file = the emulator's certificate: once failed"
[ "$(count_lines "$MDS_TEST_TMP/out.jsonl")" -eq 50 ] || fail "ca_file: not all 50 alerts"
echo "ca_file = emulator certificate: accepted, 50 alerts"

# 2) insecure = true: a warning at every start
rm -f "$MDS_TEST_TMP/state.db"* "$MDS_TEST_TMP/out.jsonl"
tls_conf "$MDS_TEST_TMP/insecure.ini" "insecure = true"
"$MDESIEM" once -c "$MDS_TEST_TMP/insecure.ini" 2>"$MDS_TEST_TMP/insecure.err" || fail "insecure once failed"
grep -q 'warn.*insecure = true' "$MDS_TEST_TMP/insecure.err" || fail "once did not warn about insecure"
"$MDESIEM" run -c "$MDS_TEST_TMP/insecure.ini" 2>"$MDS_TEST_TMP/insecure-run.err" &
run=$!
MDS_PIDS+=("$run")
wait_for 20 grep -qs 'running' "$MDS_TEST_TMP/insecure-run.err" || fail "run did not start"
for i in 1 2; do
    kill -HUP "$run"
    sleep 1
done
kill -TERM "$run"
wait "$run" || fail "run exited non-zero"
# each start and reload warns; the log folds identical lines within its
# rate-limit window into "(repeated N more times ...)", so count both
warned=$(grep 'warn.*insecure = true' "$MDS_TEST_TMP/insecure-run.err" |
    sed -n 's/.*(repeated \([0-9]*\) more time.*/\1/p; t; s/.*/1/p' | awk '{ s += $1 } END { print s + 0 }')
[ "$warned" -ge 3 ] || fail "insecure warned $warned times for a start and 2 reloads"
echo "insecure = true: warned by once, and $warned times by run for its start and 2 reloads (repeats folded by the log)"
kill -TERM "$EMU_PID"
wait "$EMU_PID" 2>/dev/null || true

# 3) TLS 1.1-only servers are refused, TLS 1.2 ones accepted
start_s_server() { # VERSION_FLAG MODE(www|raw) -> SRV_PORT, SRV_LOG
    SRV_PORT=$(free_port)
    SRV_LOG="$MDS_TEST_TMP/s_server.$1.$2.log"
    local extra=()
    [ "$2" = www ] && extra=(-www)
    # OpenSSL 3 allows TLS 1.1 only at security level 0
    # (stdin stays open: s_server closes the connection at its EOF)
    timeout 60 openssl s_server -accept "127.0.0.1:$SRV_PORT" -cert "$C/srv.pem" -key "$C/srv.key" \
        "-$1" -cipher 'DEFAULT:@SECLEVEL=0' "${extra[@]}" -quiet < <(sleep 30) >"$SRV_LOG" 2>&1 &
    SRV_PID=$!
    MDS_PIDS+=("$SRV_PID")
    wait_for 20 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$SRV_PORT) 2>/dev/null" || fail "s_server did not start"
}
stop_s_server() { kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; }

start_s_server tls1_1 www
# control: the server really speaks TLS 1.1
echo | timeout 10 openssl s_client -connect "127.0.0.1:$SRV_PORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    -CAfile "$C/ca.pem" 2>&1 | grep -q 'Protocol *: TLSv1.1' || fail "control: s_server does not speak TLS 1.1"
EMU_URL="https://127.0.0.1:$SRV_PORT"
tls_conf "$MDS_TEST_TMP/v11.ini" "ca_file = $C/ca.pem"
code=0
"$MDESIEM" once -c "$MDS_TEST_TMP/v11.ini" 2>"$MDS_TEST_TMP/v11.err" || code=$?
[ "$code" -ne 0 ] || fail "graph source: a TLS 1.1 server was accepted"
grep -qiE 'protocol|version' "$MDS_TEST_TMP/v11.err" || fail "graph source: no protocol error: $(tail -2 "$MDS_TEST_TMP/v11.err")"
echo "graph source vs TLS 1.1 s_server: refused (exit $code): $(grep -m1 -ioE '[^:]*(protocol|version)[^;]*' "$MDS_TEST_TMP/v11.err")"
stop_s_server

# the syslog output, with a plain-HTTP emulator as its source
start_emulator --alerts 5 --seed 62 --client-secret "$SECRET"
syslog_case() { # VERSION_FLAG -> exit code in SYS_CODE
    start_s_server "$1" raw
    write_config "$MDS_TEST_TMP/sys.$1.ini" "$MDS_TEST_TMP/secret" "eps_throttle = 0"
    rm -f "$MDS_TEST_TMP/state.db"*
    sed -i 's/^retry_limit = 60$/retry_limit = 2/; /^\[output out\]/,$d' "$MDS_TEST_TMP/sys.$1.ini"
    cat >>"$MDS_TEST_TMP/sys.$1.ini" <<CONF
[output out]
type = syslog
address = tls://127.0.0.1:$SRV_PORT
ca_file = $C/ca.pem
timeout = 3S
CONF
    SYS_CODE=0
    timeout 60 "$MDESIEM" once -c "$MDS_TEST_TMP/sys.$1.ini" 2>"$MDS_TEST_TMP/sys.$1.err" || SYS_CODE=$?
    sleep 0.5
    stop_s_server
}
syslog_case tls1_1
[ "$SYS_CODE" -ne 0 ] || fail "syslog output: a TLS 1.1 receiver was accepted"
grep -qiE 'protocol|version' "$MDS_TEST_TMP/sys.tls1_1.err" || fail "syslog: no protocol error: $(tail -2 "$MDS_TEST_TMP/sys.tls1_1.err")"
! grep -qs '"id"' "$SRV_LOG" || fail "syslog output: events reached the TLS 1.1 receiver"
echo "syslog output vs TLS 1.1 s_server: refused (exit $SYS_CODE), nothing sent:" \
    "$(grep -m1 -ioE '[^:]*(protocol|version)[^;]*' "$MDS_TEST_TMP/sys.tls1_1.err")"
syslog_case tls1_2
[ "$SYS_CODE" -eq 0 ] || fail "syslog output: TLS 1.2 receiver refused: $(tail -2 "$MDS_TEST_TMP/sys.tls1_2.err")"
[ "$(grep -o '"id"' "$SRV_LOG" | wc -l)" -ge 5 ] || fail "syslog output: events missing at the TLS 1.2 receiver"
echo "syslog output vs TLS 1.2 s_server (control): accepted, 5 events received"
