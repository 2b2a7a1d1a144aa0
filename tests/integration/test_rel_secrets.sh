#!/usr/bin/env bash
# Reliability scenario 6, secrets: every command (run with a reload,
# once, check, status, convert, import-details, emulate, help, version)
# runs with known secrets - a client secret (from an environment variable
# and from a file), a proxy password, a wrong secret the API refuses, and
# a refresh token in saved portal details - and none of them may appear in
# any output, log file, the state database (with its -wal and -shm, copied
# while `run` runs), or /metrics and /healthz. Only the files meant to
# hold them (the secret files) may.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"

T=$MDS_TEST_TMP
SECRET="Sx7-secret-$RANDOM$RANDOM-kq"
PROXYPW="Pw9-proxy-$RANDOM$RANDOM-zz"
WRONG="Wr0-wrong-$RANDOM$RANDOM-yy"
REFRESH="Rf5-refresh-$RANDOM$RANDOM-rr"
mkdir -p "$T/secrets" "$T/out"
printf '%s' "$SECRET" >"$T/secrets/client"
printf '%s' "$PROXYPW" >"$T/secrets/proxy"
printf '%s' "$WRONG" >"$T/secrets/wrong"
chmod 600 "$T"/secrets/*
export MDS_REL_SECRET="$SECRET"

start_emulator --alerts 300 --seed 71 --client-secret "$SECRET"
METRICS_PORT=$(free_port)
cat >"$T/mdesiem.ini" <<CONF
[service]
state = $T/state.db
log_file = $T/out/mdesiem.log
metrics_listen = 127.0.0.1:$METRICS_PORT
retry_initial = 50ms
retry_max = 200ms
retry_limit = 2

[source env-secret]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_env = MDS_REL_SECRET
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
recurrence = 1S
outputs = out

[source file-secret]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $T/secrets/client
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
recurrence = 1S
outputs = out

[source wrong-secret]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $T/secrets/wrong
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
recurrence = 1S
outputs = out

[source via-proxy]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $T/secrets/client
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
proxy = http://127.0.0.1:1
proxy_user = mds
proxy_password_file = $T/secrets/proxy
recurrence = 1S
outputs = out

[output out]
type = file
path = $T/out/alerts.jsonl
CONF

# run: collect, scrape /metrics, copy the state with its WAL, reload, stop
"$MDESIEM" run -c "$T/mdesiem.ini" >"$T/out/run.stdout" 2>"$T/out/run.stderr" &
RUN=$!
MDS_PIDS+=("$RUN")
wait_for 30 lines_at_least 300 "$T/out/alerts.jsonl" || fail "run delivered nothing"
wait_for 30 grep -qs 'via-proxy' "$T/out/mdesiem.log" || fail "the proxy source logged nothing"
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" >"$T/out/metrics" || fail "no /metrics"
curl -sS "http://127.0.0.1:$METRICS_PORT/healthz" >"$T/out/healthz" || true
for f in state.db state.db-wal state.db-shm; do [ -f "$T/$f" ] && cp "$T/$f" "$T/out/running.$f"; done
[ -f "$T/out/running.state.db-wal" ] || fail "no WAL to inspect while running"
kill -HUP "$RUN"
sleep 1
kill -TERM "$RUN"
wait "$RUN" || fail "run exited non-zero"

# the other commands
c=0
"$MDESIEM" once -c "$T/mdesiem.ini" >"$T/out/once.stdout" 2>"$T/out/once.stderr" || c=$?
[ "$c" -eq 1 ] || fail "once exited $c (expected 1: the wrong secret and the proxy fail)"
"$MDESIEM" check -c "$T/mdesiem.ini" >"$T/out/check.stdout" 2>"$T/out/check.stderr" || true
grep -q 'invalid_client' "$T/out/check.stdout" "$T/out/check.stderr" || fail "check did not report the wrong secret"
"$MDESIEM" status -c "$T/mdesiem.ini" >"$T/out/status.stdout" 2>&1 || true
"$MDESIEM" status -c "$T/mdesiem.ini" --json >"$T/out/status.json" 2>&1 || true
head -5 "$T/out/alerts.jsonl" | "$MDESIEM" convert --from graph --to cef >"$T/out/convert.cef" 2>&1
head -5 "$T/out/alerts.jsonl" | "$MDESIEM" convert --from graph --to leef >"$T/out/convert.leef" 2>&1
cat >"$T/details.txt" <<TXT
Tenant ID: 6f4a2b1c-0000-4000-8000-000000000abc
Client ID: 35e0f735-5fe4-4693-9e68-3de80f1d3745
Client secret: $SECRET
OAuth 2.0 token refresh URL: https://login.microsoftonline.com/6f4a2b1c-0000-4000-8000-000000000abc/oauth2/token
Resource: https://graph.windows.net
Events URL: https://wdatp-alertexporter-eu.windows.com/api/alerts
Refresh token: $REFRESH
TXT
"$MDESIEM" import-details "$T/details.txt" --name imported --secret-dir "$T/secrets" \
    >"$T/out/import.stdout" 2>"$T/out/import.stderr" || fail "import-details failed"
for h in "" config formats; do "$MDESIEM" help $h >"$T/out/help.$h.stdout" 2>&1 || true; done
"$MDESIEM" version >"$T/out/version.stdout" 2>&1
"$MDESIEM" emulate --help >"$T/out/emulate-help.stdout" 2>&1 || true
cp "$T/emulator.log" "$T/out/emulator.log"
for f in state.db state.db-wal state.db-shm; do [ -f "$T/$f" ] && cp "$T/$f" "$T/out/stopped.$f"; done

# search everything; only the secret files may hold a secret
files=$(find "$T/out" -type f | wc -l)
bytes=$(cat "$T"/out/* | wc -c)
hits=$(grep -a -l -r -e "$SECRET" -e "$PROXYPW" -e "$WRONG" -e "$REFRESH" "$T/out" || true)
[ -z "$hits" ] || fail "a secret appears in: $hits"
[ -n "$(grep -a -rl -e "$SECRET" "$T/secrets")" ] || fail "self-check: the search would not find the secret"
grep -q 'invalid_client' "$T/out/mdesiem.log" || fail "self-check: the wrong secret was never tried"
grep -q 'via-proxy' "$T/out/mdesiem.log" || fail "self-check: the proxy source was never tried"
echo "secrets: 4 secrets, $files files ($bytes bytes: run/once/check/status/convert/import-details/help/version/" \
    "emulate output, log file, /metrics, /healthz, state db + WAL + SHM while running and after): 0 hits"
