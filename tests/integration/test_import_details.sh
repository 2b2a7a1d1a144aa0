#!/usr/bin/env bash
# `mdesiem import-details`: the portal's saved connector details become a
# [source] section that validates; the secret and refresh token go to new
# 0600 files and are not printed; existing files are never overwritten.
source "$(dirname "$0")/lib.sh"

SECRET="imp-secret-$RANDOM~x"
REFRESH="imp-refresh-$RANDOM"
cat >"$MDS_TEST_TMP/details.txt" <<TXT
Tenant ID: 6f4a2b1c-0000-4000-8000-000000000abc
Client ID: 35e0f735-5fe4-4693-9e68-3de80f1d3745
Client secret: $SECRET
Authorization server URL: https://login.microsoftonline.com/6f4a2b1c-0000-4000-8000-000000000abc/oauth2/authorize
OAuth 2.0 token refresh URL: https://login.microsoftonline.com/6f4a2b1c-0000-4000-8000-000000000abc/oauth2/token
Resource: https://graph.windows.net
Events URL: https://wdatp-alertexporter-eu.windows.com/api/alerts
Access token: eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30.
Refresh token: $REFRESH
TXT
mkdir -p "$MDS_TEST_TMP/secrets"
"$MDESIEM" import-details "$MDS_TEST_TMP/details.txt" --name eu-siem --secret-dir "$MDS_TEST_TMP/secrets" \
    >"$MDS_TEST_TMP/section.ini" 2>"$MDS_TEST_TMP/import.err" || fail "import-details failed: $(cat "$MDS_TEST_TMP/import.err")"

grep -q '^\[source eu-siem\]$' "$MDS_TEST_TMP/section.ini" || fail "no section header"
grep -q '^regions = eu$' "$MDS_TEST_TMP/section.ini" || fail "region not taken from the Events URL"
grep -q '^tenant_id = 6f4a2b1c-0000-4000-8000-000000000abc$' "$MDS_TEST_TMP/section.ini" || fail "tenant"
[ "$(cat "$MDS_TEST_TMP/secrets/eu-siem.secret")" = "$SECRET" ] || fail "secret file content"
[ "$(stat -c %a "$MDS_TEST_TMP/secrets/eu-siem.secret")" = 600 ] || fail "secret file mode"
[ "$(cat "$MDS_TEST_TMP/secrets/eu-siem.refresh-token")" = "$REFRESH" ] || fail "refresh token file"
if grep -q -e "$SECRET" -e "$REFRESH" "$MDS_TEST_TMP/section.ini" "$MDS_TEST_TMP/import.err"; then
    fail "a secret was printed"
fi

# the section is a valid configuration once an output is named
{ sed 's/^outputs = .*/outputs = out/' "$MDS_TEST_TMP/section.ini"; printf '[output out]\ntype = stdout\n'; } \
    >"$MDS_TEST_TMP/full.ini"
sed -i "1i [service]\nstate = $MDS_TEST_TMP/state.db" "$MDS_TEST_TMP/full.ini"
"$MDESIEM" help config >/dev/null
set +e
"$MDESIEM" check -c "$MDS_TEST_TMP/full.ini" nosuchsource >"$MDS_TEST_TMP/check.out" 2>&1
set -e
grep -q 'configuration .*: ok' "$MDS_TEST_TMP/check.out" || fail "imported section does not validate: $(cat "$MDS_TEST_TMP/check.out")"

# a second import never overwrites the secret files
set +e
"$MDESIEM" import-details "$MDS_TEST_TMP/details.txt" --name eu-siem --secret-dir "$MDS_TEST_TMP/secrets" >/dev/null 2>&1
code=$?
set -e
[ "$code" -ne 0 ] || fail "second import overwrote existing secret files"
echo "import-details: section validates, secrets in 0600 files, nothing printed"
