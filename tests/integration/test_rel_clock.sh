#!/usr/bin/env bash
# Reliability scenario 3b, clock skew: `mdesiem run` with its local clock
# 10 minutes ahead of and 10 minutes behind the API's (libfaketime, from
# the faketime package; the emulator keeps the real clock). A backfill,
# then new and updated alerts while it runs: every version arrives exactly
# once, within seconds (the cursor follows the API's timestamps, not the
# local clock).
source "$(dirname "$0")/lib.sh"
# libfaketime preloaded directly (the faketime wrapper forks, and a signal
# to it would not reach mdesiem); multi-threaded variant for the engine
FAKELIB=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT\.so') ||
    fail "libfaketime is missing (scripts/install-deps.sh installs faketime)"

N=${MDS_REL_ALERTS:-500}
SECRET="rel-clock-$RANDOM$RANDOM"
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"

skew_case() {
    local name=$1 offset=$2
    start_emulator --alerts "$N" --seed 41 --client-secret "$SECRET"
    rm -f "$MDS_TEST_TMP/state.db"* "$MDS_TEST_TMP/out.jsonl"
    write_config "$MDS_TEST_TMP/$name.ini" "$MDS_TEST_TMP/secret" "recurrence = 1S
eps_throttle = 0"
    local shown
    shown=$(LD_PRELOAD=$FAKELIB FAKETIME=$offset date -u +%H:%M:%S)
    # (an ASan build wants its runtime first; libfaketime is preloaded before it)
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        LD_PRELOAD=$FAKELIB FAKETIME=$offset "$MDESIEM" run -c "$MDS_TEST_TMP/$name.ini" 2>"$MDS_TEST_TMP/$name.err" &
    local run=$!
    MDS_PIDS+=("$run")
    all_in() {
        kill -0 "$run" 2>/dev/null || fail "$name: run exited: $(tail -3 "$MDS_TEST_TMP/$name.err")"
        [ -f "$MDS_TEST_TMP/out.jsonl" ] &&
            [ -z "$(comm -23 "$MDS_TEST_TMP/want" <(delivered_versions "$MDS_TEST_TMP/out.jsonl" | uniq))" ]
    }
    emu_versions >"$MDS_TEST_TMP/want"
    wait_for 60 all_in || fail "$name: backfill incomplete"
    local t0=$SECONDS
    emu_post "create?count=30"
    emu_versions >"$MDS_TEST_TMP/want"
    wait_for 60 all_in || fail "$name: new alerts missing after 60 s (local clock $offset)"
    emu_post "update?count=30"
    emu_versions >"$MDS_TEST_TMP/want"
    wait_for 60 all_in || fail "$name: updated alerts missing after 60 s (local clock $offset)"
    local took=$((SECONDS - t0))
    kill -TERM "$run"
    wait "$run" || fail "$name: run exited non-zero on SIGTERM"
    local dups
    dups=$(delivered_versions "$MDS_TEST_TMP/out.jsonl" | uniq -d | wc -l)
    [ "$dups" -eq 0 ] || fail "$name: $dups duplicates"
    echo "clock $offset (local $shown UTC vs real $(date -u +%H:%M:%S)): $(wc -l <"$MDS_TEST_TMP/want") versions" \
        "exactly once; 30 new + 30 updated arrived within ${took}s"
    kill -TERM "$EMU_PID"
    wait "$EMU_PID" 2>/dev/null || true
}

skew_case ahead +10m
skew_case behind -10m
