# Helpers for the daemon tests (sourced after lib.sh): the emulator as the
# Graph source, and configurations assembled from sections.

# start_source ARGS...: the emulator with the test's client secret; sets
# EMU_URL. Call write_secret first.
start_source() {
    start_emulator --client-secret "$(cat "$MDS_TEST_TMP/secret")" "$@"
}

emu_create() { emu_post "create?count=$1"; }

# graph_source NAME OUTPUTS [EXTRA]: a [source] section reading the emulator.
graph_source() {
    cat <<CONF

[source $1]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
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
    printf '%s' "daemon-secret-$RANDOM$RANDOM" >"$MDS_TEST_TMP/secret"
    chmod 600 "$MDS_TEST_TMP/secret"
}
