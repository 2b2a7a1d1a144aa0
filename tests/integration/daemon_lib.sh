# Helpers for the daemon tests (sourced after lib.sh): Defender is
# `mdesiem emulate` (start_emulator from lib.sh), with a per-test random
# client secret, and configurations that collect from it.

# start_daemon_emulator ARGS...: writes a random client secret to
# $MDS_TEST_TMP/secret and starts the emulator accepting only it (sets
# EMU_URL and EMU_PID, see start_emulator).
start_daemon_emulator() {
    write_secret
    start_emulator --client-secret "$(cat "$MDS_TEST_TMP/secret")" "$@"
}

# emu_source NAME OUTPUTS [EXTRA]: a graph [source] section reading the
# emulator at $EMU_URL.
emu_source() {
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
    printf '%s' "it-secret-$RANDOM$RANDOM-daemon" >"$MDS_TEST_TMP/secret"
    chmod 600 "$MDS_TEST_TMP/secret"
}

# same_versions WANT GOT: GOT (sorted `id<TAB>lastUpdateDateTime` lines,
# see delivered_versions) holds exactly the versions in WANT, each once.
same_versions() {
    local dups
    dups=$(uniq -d "$2" | wc -l)
    [ "$dups" -eq 0 ] || { echo "$dups versions delivered more than once" >&2; return 1; }
    diff -q "$1" "$2" >/dev/null ||
        { echo "delivered $(wc -l <"$2") versions, expected $(wc -l <"$1"): $(diff "$1" "$2" | head -5)" >&2; return 1; }
}
