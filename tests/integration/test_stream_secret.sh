#!/usr/bin/env bash
# eventhub: the connection string (its SAS key) never appears in logs,
# errors, `status` or the state file - neither when the namespace cannot
# be reached nor when the configuration is wrong. Configuration mistakes
# are reported with file, line and key. (The "namespace" is 127.0.0.1,
# where nothing listens on 9093: no traffic leaves the machine.)
source "$(dirname "$0")/stream_lib.sh"

KEY="c2VjcmV0LWtleS0$RANDOM$RANDOM"
CS="Endpoint=sb://127.0.0.1/;SharedAccessKeyName=mdesiem-listen;SharedAccessKey=$KEY;EntityPath=defender"
printf '%s\n' "$CS" >"$MDS_TEST_TMP/cs"
chmod 600 "$MDS_TEST_TMP/cs"
cat >"$MDS_TEST_TMP/a.ini" <<CONF
[service]
state = $MDS_TEST_TMP/a.db
log_level = debug

[source eh]
type = eventhub
connection_string_file = $MDS_TEST_TMP/cs
stall_timeout = 3S
outputs = out

[output out]
type = file
path = $MDS_TEST_TMP/a.jsonl
CONF
set +e
"$MDESIEM" once -c "$MDS_TEST_TMP/a.ini" >"$MDS_TEST_TMP/once.out" 2>"$MDS_TEST_TMP/once.err"
code=$?
"$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" >"$MDS_TEST_TMP/status.out" 2>&1
"$MDESIEM" status -c "$MDS_TEST_TMP/a.ini" --json >>"$MDS_TEST_TMP/status.out" 2>&1
"$MDESIEM" check -c "$MDS_TEST_TMP/a.ini" >"$MDS_TEST_TMP/check.out" 2>&1
check_code=$?
CS_ENV="$CS" "$MDESIEM" once -c <(sed "s|connection_string_file = .*|connection_string_env = CS_ENV|" "$MDS_TEST_TMP/a.ini") \
    >>"$MDS_TEST_TMP/once.out" 2>>"$MDS_TEST_TMP/once.err"
set -e
[ "$code" -eq 1 ] || fail "once against an unreachable namespace exited $code, expected 1"
[ "$check_code" -eq 1 ] || fail "check against an unreachable namespace exited $check_code, expected 1"
grep -q "FAIL  brokers did not answer over sasl_ssl" "$MDS_TEST_TMP/check.out" || fail "check: $(cat "$MDS_TEST_TMP/check.out")"
grep -q "127.0.0.1:9093" "$MDS_TEST_TMP/once.err" || fail "the log does not say which broker was tried"
grep -q "no progress" "$MDS_TEST_TMP/status.out" || fail "status does not show the failure: $(cat "$MDS_TEST_TMP/status.out")"
for f in "$MDS_TEST_TMP/once.out" "$MDS_TEST_TMP/once.err" "$MDS_TEST_TMP/status.out" "$MDS_TEST_TMP/check.out" \
    "$MDS_TEST_TMP"/a.db*; do
    if grep -qaF "$KEY" "$f"; then fail "the SAS key leaked into $(basename "$f")"; fi
done
echo "unreachable namespace: once and check exit 1, key in no log, check, status or state file"

# configuration mistakes: clear messages, still no key
bad() {
    local want=$1
    shift
    printf '%s\n' "$@" >"$MDS_TEST_TMP/bad.ini"
    set +e
    "$MDESIEM" once -c "$MDS_TEST_TMP/bad.ini" 2>"$MDS_TEST_TMP/bad.err"
    local c=$?
    set -e
    [ "$c" -eq 3 ] || fail "expected exit 3 (config) for '$want', got $c: $(cat "$MDS_TEST_TMP/bad.err")"
    grep -q -- "$want" "$MDS_TEST_TMP/bad.err" || fail "expected '$want' in: $(cat "$MDS_TEST_TMP/bad.err")"
    grep -qaF "$KEY" "$MDS_TEST_TMP/bad.err" && fail "the SAS key leaked into a configuration error"
    return 0
}
base=("[service]" "state = $MDS_TEST_TMP/b.db" "[output out]" "type = file" "path = $MDS_TEST_TMP/b.jsonl"
      "[source eh]" "type = eventhub" "outputs = out")
bad "no secret: set connection_string_file" "${base[@]}" "eventhub = x"
bad "bad.ini:10: .*bootstrap" "${base[@]}" "connection_string_file = $MDS_TEST_TMP/cs" "bootstrap = 127.0.0.1:1"
bad "key 'connection_string' is not accepted" "${base[@]}" "connection_string = $CS"
bad "event hub defender" "${base[@]}" "connection_string_file = $MDS_TEST_TMP/cs" "eventhub = other"
bad "eventhub (the topic) is required" "${base[@]}" "bootstrap = 127.0.0.1:1"
bad "sasl_username" "${base[@]}" "bootstrap = 127.0.0.1:1" "eventhub = x" "security_protocol = sasl_ssl"
bad "proxy does not apply" "${base[@]}" "bootstrap = 127.0.0.1:1" "eventhub = x" "proxy = http://127.0.0.1:3128"
printf 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=%s\n' "$KEY" >"$MDS_TEST_TMP/cs2"
bad "SharedAccessKeyName" "${base[@]}" "connection_string_file = $MDS_TEST_TMP/cs2"
echo "configuration mistakes: named with file, line and key; the key never printed"
