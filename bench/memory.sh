#!/usr/bin/env bash
# bench/memory.sh - figure 5: RSS of `mdesiem run` with 1, 10 and 100
# graph sources, idle and under load, from /proc/PID/status.
#
# A run: a fresh emulator with no alerts; `mdesiem run` with N sources
# (each its own [source] section: token, HTTP connection, cursor, thread);
# once every source has finished MEM_IDLE_CYCLES cycles with nothing to
# collect, VmRSS is the idle figure. Then the emulator creates MEM_LOAD
# alerts and every source collects all of them (N x MEM_LOAD records
# through the outbox into one file); VmHWM when the last one is delivered
# is the peak under load, VmRSS after MEM_IDLE_CYCLES more idle cycles the
# "after" figure.
source "$(dirname "$0")/lib.sh"

MEM_SOURCES=${MEM_SOURCES:-1 10 100}
MEM_LOAD=${MEM_LOAD:-1000}
MEM_RECURRENCE_S=${MEM_RECURRENCE_S:-2}
MEM_IDLE_CYCLES=${MEM_IDLE_CYCLES:-2}
D="$BENCH_TMP/memory"
mkdir -p "$D"

# delivered DIR: records the file output acknowledged so far
delivered() {
    "$MDESIEM" status -c "$1/mdesiem.ini" --json 2>/dev/null | jq '[.outputs[]? | .delivered // 0] | add // 0'
}

# cycles_done DIR N: every one of the N sources succeeded at least once
all_succeeded() {
    local n
    n=$("$MDESIEM" status -c "$1/mdesiem.ini" --json 2>/dev/null |
        jq '[.sources[]? | select(.last_success != null)] | length')
    [ "${n:-0}" -ge "$2" ]
}

one_run() {
    local n=$1 run=$2 dir="$D/run-$n"
    rm -rf "$dir"
    mkdir -p "$dir"
    start_emulator --alerts 0 --seed 7
    local extras=() i
    for i in $(seq "$n"); do extras+=("recurrence = ${MEM_RECURRENCE_S}S"); done
    graph_config "$dir/mdesiem.ini" tenant "$dir/state.db" "[output out]
type = file
path = $dir/alerts.jsonl
format = json
rotate_bytes = 0" "${extras[@]}"
    "$MDESIEM" run -c "$dir/mdesiem.ini" >"$dir/run.log" 2>&1 &
    local pid=$!
    BENCH_PIDS+=("$pid")
    wait_for 120 all_succeeded "$dir" "$n" || { tail "$dir/run.log" >&2; fail "$n sources did not all succeed"; }
    sleep $((MEM_RECURRENCE_S * MEM_IDLE_CYCLES + 1))
    local idle threads
    idle=$(status_kb "$pid" VmRSS)
    threads=$(status_kb "$pid" Threads)

    local want=$((n * MEM_LOAD)) t0 t1 got=0 end=$((SECONDS + 600))
    t0=$(date +%s.%N)
    curl -fsS -X POST "$EMU_URL/_emulator/create?count=$MEM_LOAD" >/dev/null
    while :; do
        got=$(delivered "$dir")
        [ "${got:-0}" -ge "$want" ] && break
        [ $SECONDS -lt $end ] || fail "$n sources: delivered $got of $want"
        sleep 0.2
    done
    t1=$(date +%s.%N)
    local peak after
    peak=$(status_kb "$pid" VmHWM)
    sleep $((MEM_RECURRENCE_S * MEM_IDLE_CYCLES + 1))
    after=$(status_kb "$pid" VmRSS)
    stop_pid "$pid"
    stop_pid "$EMU_PID"
    local lines
    lines=$(wc -l <"$dir/alerts.jsonl")
    [ "$lines" -eq "$want" ] || fail "$n sources: file holds $lines lines, expected $want"
    result figure=memory case="sources-$n" sources="$n" run="$run" idle_kb="$idle" peak_kb="$peak" \
        after_kb="$after" threads="$threads" items="$want" \
        load_wall="$(python3 -c "print(round($t1 - $t0, 2))")"
    say "memory: $n sources run $run: idle $((idle / 1024)) MB, peak $((peak / 1024)) MB, after $((after / 1024)) MB"
    rm -rf "$dir"
}

note memory "$MDESIEM emulate --listen 127.0.0.1:0 --alerts 0 --seed 7"
note memory "$MDESIEM run -c mdesiem.ini &   # N [source] sections (recurrence = ${MEM_RECURRENCE_S}S, eps_throttle = 0), one [output] type = file"
note memory "grep -E 'VmRSS|VmHWM' /proc/\$PID/status   # idle: after $MEM_IDLE_CYCLES idle cycles of every source"
note memory "curl -X POST \"\$EMU/_emulator/create?count=$MEM_LOAD\"   # load: every source collects them; VmHWM when all are delivered"

for run in $(seq "$BENCH_RUNS"); do
    for n in $MEM_SOURCES; do
        one_run "$n" "$run"
    done
done

result figure=memory-meta load="$MEM_LOAD" recurrence="${MEM_RECURRENCE_S}S" idle_cycles="$MEM_IDLE_CYCLES"
