#!/usr/bin/env bash
# Certificate credentials: a graph source with client_certificate and
# client_key signs its client assertions; the emulator, given the
# certificate with --client-cert, checks thumbprint, claims and signature.
# A different key with the same certificate is refused.
source "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mdesiem-app \
    -keyout "$MDS_TEST_TMP/app.key" -out "$MDS_TEST_TMP/app.crt" 2>/dev/null
openssl genrsa -out "$MDS_TEST_TMP/other.key" 2048 2>/dev/null
chmod 600 "$MDS_TEST_TMP/app.key" "$MDS_TEST_TMP/other.key"
start_emulator --alerts 300 --seed 41 --client-cert "$MDS_TEST_TMP/app.crt"

cert_config() { # FILE KEY
    write_config "$1" /dev/null "client_certificate = $MDS_TEST_TMP/app.crt
client_key = $2"
    sed -i '/^client_secret_file = /d; s/^retry_limit = .*/retry_limit = 2/' "$1"
}
cert_config "$MDS_TEST_TMP/good.ini" "$MDS_TEST_TMP/app.key"
"$MDESIEM" once -c "$MDS_TEST_TMP/good.ini" 2>"$MDS_TEST_TMP/good.err" || { tail -3 "$MDS_TEST_TMP/good.err" >&2; fail "certificate sign-in failed"; }
[ "$(wc -l <"$MDS_TEST_TMP/out.jsonl")" -eq 300 ] || fail "delivered $(wc -l <"$MDS_TEST_TMP/out.jsonl") of 300"
"$MDESIEM" check -c "$MDS_TEST_TMP/good.ini" >"$MDS_TEST_TMP/check.out" || fail "check with a certificate failed: $(cat "$MDS_TEST_TMP/check.out")"

cert_config "$MDS_TEST_TMP/bad.ini" "$MDS_TEST_TMP/other.key"
set +e
"$MDESIEM" once -c "$MDS_TEST_TMP/bad.ini" 2>"$MDS_TEST_TMP/bad.err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "a key that does not match the certificate exited $code"
grep -q 'signature validation' "$MDS_TEST_TMP/bad.err" || fail "signature failure not reported: $(tail -2 "$MDS_TEST_TMP/bad.err")"
grep -q 'BEGIN' "$MDS_TEST_TMP/good.err" "$MDS_TEST_TMP/bad.err" && fail "key material was logged"
echo "certificate: 300 alerts with a signed client assertion; a wrong key refused"
