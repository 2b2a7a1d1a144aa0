#!/usr/bin/env bash
# `mdesiem check`: each failure has its own verdict - a wrong secret, an
# unreachable host, a missing permission - and a good source passes. The
# secret is never printed.
source "$(dirname "$0")/lib.sh"

SECRET="check-secret-$RANDOM"
start_emulator --alerts 20 --client-secret "$SECRET"
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
printf 'not-the-secret' >"$MDS_TEST_TMP/wrong"
chmod 600 "$MDS_TEST_TMP/secret" "$MDS_TEST_TMP/wrong"
write_config "$MDS_TEST_TMP/good.ini" "$MDS_TEST_TMP/secret" "retry_limit = 2"
sed -i '/^retry_limit = 2$/d; s/^retry_limit = 60$/retry_limit = 2/' "$MDS_TEST_TMP/good.ini"
write_config "$MDS_TEST_TMP/wrong.ini" "$MDS_TEST_TMP/wrong"
dead="http://127.0.0.1:$(closed_port)"
sed "s#$EMU_URL#$dead#g" "$MDS_TEST_TMP/good.ini" >"$MDS_TEST_TMP/down.ini"

run_check() { # FILE EXPECTED_EXIT OUTFILE
    set +e
    "$MDESIEM" check -c "$1" >"$3" 2>&1
    local code=$?
    set -e
    [ "$code" -eq "$2" ] || { cat "$3" >&2; fail "check -c $1 exited $code, expected $2"; }
}

run_check "$MDS_TEST_TMP/good.ini" 0 "$MDS_TEST_TMP/good.out"
grep -q 'permission SecurityAlert.Read.All granted' "$MDS_TEST_TMP/good.out" || fail "no permission verdict"
grep -q 'verdict: ok' "$MDS_TEST_TMP/good.out" || fail "no ok verdict"

run_check "$MDS_TEST_TMP/wrong.ini" 1 "$MDS_TEST_TMP/wrong.out"
grep -q 'FAIL  token refused.*invalid_client' "$MDS_TEST_TMP/wrong.out" || fail "wrong secret not named: $(cat "$MDS_TEST_TMP/wrong.out")"

run_check "$MDS_TEST_TMP/down.ini" 1 "$MDS_TEST_TMP/down.out"
grep -q "FAIL  reach $dead" "$MDS_TEST_TMP/down.out" || fail "unreachable host not named"
grep -qE 'token (obtained|refused)|no token' "$MDS_TEST_TMP/down.out" && fail "went on to ask for a token although the host is unreachable"

# a token without the permission: the emulator drops the role
kill -TERM "$EMU_PID"
start_emulator --alerts 20 --client-secret "$SECRET" --roles Alert.Read.All
write_config "$MDS_TEST_TMP/norole.ini" "$MDS_TEST_TMP/secret"
run_check "$MDS_TEST_TMP/norole.ini" 1 "$MDS_TEST_TMP/norole.out"
grep -q 'FAIL  permission SecurityAlert.Read.All missing (token has: Alert.Read.All)' "$MDS_TEST_TMP/norole.out" ||
    fail "missing role not named: $(cat "$MDS_TEST_TMP/norole.out")"

# a broken configuration is reported as such (exit 3)
printf '[source x]\ntype = graph\nbogus = 1\n' >"$MDS_TEST_TMP/bad.ini"
run_check "$MDS_TEST_TMP/bad.ini" 3 "$MDS_TEST_TMP/bad.out"
grep -q "bad.ini:3:.*unknown key 'bogus'" "$MDS_TEST_TMP/bad.out" || fail "config error not reported with file:line"

if grep -l -- "$SECRET" "$MDS_TEST_TMP"/*.out; then fail "the secret was printed"; fi
echo "check: ok, wrong secret, unreachable host, missing permission and bad config each reported"
