#!/usr/bin/env bash
# Every request of a source goes through its HTTP proxy: a real tinyproxy
# on 127.0.0.1 counts the requests it relayed to the emulator and they
# match the emulator's own count; once with proxy authentication (the
# QRadar-style proxy_server/proxy_port/proxy_user/proxy_password_file
# keys), once without; a wrong proxy password fails with the proxy's 407.
source "$(dirname "$0")/lib.sh"
command -v tinyproxy >/dev/null || fail "tinyproxy is not installed (scripts/install-deps.sh installs it)"

start_emulator --alerts 800 --seed 4
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
printf 'proxy-pass-%s' "$RANDOM" >"$MDS_TEST_TMP/proxy-pass"
printf 'wrong' >"$MDS_TEST_TMP/bad-pass"
chmod 600 "$MDS_TEST_TMP/secret" "$MDS_TEST_TMP/proxy-pass" "$MDS_TEST_TMP/bad-pass"
emu_port=${EMU_URL##*:}

start_proxy() { # NAME [BASIC_AUTH_LINE]
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$MDS_TEST_TMP/$1.conf" <<CONF
Port $port
Listen 127.0.0.1
Timeout 30
LogFile "$MDS_TEST_TMP/$1.log"
LogLevel Info
PidFile "$MDS_TEST_TMP/$1.pid"
MaxClients 50
Allow 127.0.0.1
${2:-}
CONF
    tinyproxy -d -c "$MDS_TEST_TMP/$1.conf" >"$MDS_TEST_TMP/$1.out" 2>&1 &
    MDS_PIDS+=("$!")
    wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null || fail "tinyproxy did not start"
    PROXY_PORT=$port
}
relayed() { grep -c "Request (file descriptor [0-9]*): [A-Z]* http://127.0.0.1:$emu_port/" "$MDS_TEST_TMP/$1.log" || true; }
emu_requests() { emu_state | jq '[.requests[]] | add // 0'; }

# 1) plain proxy URL, no authentication
start_proxy open
write_config "$MDS_TEST_TMP/open.ini" "$MDS_TEST_TMP/secret" "proxy = http://127.0.0.1:$PROXY_PORT
page_size = 100"
before=$(emu_requests)
"$MDESIEM" once -c "$MDS_TEST_TMP/open.ini" 2>"$MDS_TEST_TMP/open.err" || fail "once through the proxy failed"
after=$(emu_requests)
[ "$(wc -l <"$MDS_TEST_TMP/out.jsonl")" -eq 800 ] || fail "800 alerts expected through the proxy"
n=$(relayed open)
[ "$n" -gt 5 ] && [ "$n" -eq $((after - before)) ] || fail "proxy relayed $n requests, emulator answered $((after - before))"

# 2) QRadar-style keys with proxy authentication
start_proxy auth "BasicAuth mdesiem $(cat "$MDS_TEST_TMP/proxy-pass")"
rm -f "$MDS_TEST_TMP/state.db"* "$MDS_TEST_TMP/out.jsonl"
write_config "$MDS_TEST_TMP/auth.ini" "$MDS_TEST_TMP/secret" "proxy_server = 127.0.0.1
proxy_port = $PROXY_PORT
proxy_user = mdesiem
proxy_password_file = $MDS_TEST_TMP/proxy-pass
page_size = 100"
before=$(emu_requests)
"$MDESIEM" once -c "$MDS_TEST_TMP/auth.ini" 2>"$MDS_TEST_TMP/auth.err" || fail "once through the authenticating proxy failed"
after=$(emu_requests)
[ "$(wc -l <"$MDS_TEST_TMP/out.jsonl")" -eq 800 ] || fail "800 alerts expected through the authenticating proxy"
n=$(relayed auth)
[ "$n" -eq $((after - before)) ] || fail "auth proxy relayed $n requests, emulator answered $((after - before))"

# 3) a wrong proxy password: refused by the proxy (tinyproxy answers 407 or
#    drops the connection), reported, and nothing reaches the API
sed "s#^proxy_password_file = .*#proxy_password_file = $MDS_TEST_TMP/bad-pass#; s#^retry_limit = .*#retry_limit = 2#" \
    "$MDS_TEST_TMP/auth.ini" >"$MDS_TEST_TMP/bad.ini"
before=$(emu_requests)
set +e
"$MDESIEM" once -c "$MDS_TEST_TMP/bad.ini" 2>"$MDS_TEST_TMP/bad.err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "a wrong proxy password exited $code"
grep -q 'collection failed: token request' "$MDS_TEST_TMP/bad.err" || fail "the failure is not reported: $(tail -3 "$MDS_TEST_TMP/bad.err")"
[ "$(emu_requests)" -eq "$before" ] || fail "requests reached the emulator without the proxy"
grep -q -- "$(cat "$MDS_TEST_TMP/proxy-pass")" "$MDS_TEST_TMP"/*.err && fail "the proxy password was logged"
echo "proxy: every request relayed ($n with authentication); a wrong password refused, nothing leaked"
