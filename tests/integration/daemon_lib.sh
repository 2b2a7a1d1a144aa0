# Helpers for the daemon tests (sourced after lib.sh): a stand-in Graph
# source (fake_graph.py) so these tests need neither a tenant nor the
# emulator, and a configuration that collects from it.

# start_fake_graph ARGS...: sets FAKE_URL and FAKE_PID.
start_fake_graph() {
    local portfile="$MDS_TEST_TMP/fake.port.$RANDOM"
    python3 "$(dirname "${BASH_SOURCE[0]}")/fake_graph.py" --port-file "$portfile" "$@" \
        >"$MDS_TEST_TMP/fake_graph.log" 2>&1 &
    FAKE_PID=$!
    MDS_PIDS+=("$FAKE_PID")
    wait_for 20 test -s "$portfile" || { cat "$MDS_TEST_TMP/fake_graph.log" >&2; fail "fake graph did not start"; }
    FAKE_URL="http://127.0.0.1:$(cat "$portfile")"
}

fake_add() { curl -fsS -X POST "$FAKE_URL/_fake/add?count=$1" >/dev/null; }

# fake_source NAME OUTPUTS [EXTRA]: a [source] section reading the fake.
fake_source() {
    cat <<CONF

[source $1]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $FAKE_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $FAKE_URL
eps_throttle = 0
recurrence = 1S
outputs = $2
${3:-}
CONF
}

# service_section [EXTRA]: the [service] section with a state in the test dir.
service_section() {
    cat <<CONF
[service]
state = $MDS_TEST_TMP/state.db
retry_initial = 50ms
retry_max = 500ms
retry_limit = 5
${1:-}
CONF
}

# file_output NAME PATH
file_output() {
    printf '\n[output %s]\ntype = file\npath = %s\nformat = json\n' "$1" "$2"
}

write_secret() {
    printf '%s' "fake-secret-$RANDOM$RANDOM" >"$MDS_TEST_TMP/secret"
    chmod 600 "$MDS_TEST_TMP/secret"
}
