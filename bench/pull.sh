#!/usr/bin/env bash
# bench/pull.sh - figure 2: `mdesiem once` against the emulator holding
# PULL_ALERTS alerts, into a file: alerts/s, CPU seconds, peak RSS.
#
# Two cases, interleaved round by round:
#   1 source   one [source] reading everything;
#   20 sources one emulator, 20 [source] sections, each with a `filter`
#              on createdDateTime that selects one twentieth of the
#              emulator's time range (the slices partition the universe,
#              so the 20 sources together deliver every alert once).
# Each run starts from an empty state file and must deliver exactly
# PULL_ALERTS lines.
source "$(dirname "$0")/lib.sh"

PULL_ALERTS=${PULL_ALERTS:-200000}
PULL_SOURCES=${PULL_SOURCES:-20}
D="$BENCH_TMP/pull"
mkdir -p "$D"

start_emulator --alerts "$PULL_ALERTS" --seed 7
note pull "$MDESIEM emulate --listen 127.0.0.1:0 --alerts $PULL_ALERTS --seed 7"
TOKEN=$(graph_token)
first=$(curl -fsS -H "Authorization: Bearer $TOKEN" \
    "$EMU_URL/v1.0/security/alerts_v2?\$orderby=createdDateTime%20asc&\$top=1" | jq -r '.value[0].createdDateTime')
last=$(curl -fsS -H "Authorization: Bearer $TOKEN" \
    "$EMU_URL/v1.0/security/alerts_v2?\$orderby=createdDateTime%20desc&\$top=1" | jq -r '.value[0].createdDateTime')

# PULL_SOURCES filters: [first, b1), [b1, b2), ..., [b19, ...)
mapfile -t FILTERS < <(python3 - "$first" "$last" "$PULL_SOURCES" <<'PY'
import datetime, sys
def parse(s):
    return datetime.datetime.strptime(s[:26], "%Y-%m-%dT%H:%M:%S.%f")
a, b, n = parse(sys.argv[1]), parse(sys.argv[2]), int(sys.argv[3])
step = (b - a) / n
bounds = [(a + step * i).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for i in range(1, n)]
for i in range(n):
    lo = f"createdDateTime ge {bounds[i - 1]}" if i > 0 else ""
    hi = f"createdDateTime lt {bounds[i]}" if i < n - 1 else ""
    print("filter = " + " and ".join(x for x in (lo, hi) if x))
PY
)

OUTPUT="[output out]
type = file
path = @DIR@/alerts.jsonl
format = json
rotate_bytes = 0"

# config CASE DIR: writes DIR/mdesiem.ini for the case
config() {
    local case=$1 dir=$2
    local out=${OUTPUT//@DIR@/$dir}
    if [ "$case" = 1 ]; then
        graph_config "$dir/mdesiem.ini" defender "$dir/state.db" "$out" ""
    else
        graph_config "$dir/mdesiem.ini" tenant "$dir/state.db" "$out" "${FILTERS[@]}"
    fi
}

mkdir -p "$D/example-1"
config 1 "$D/example-1"
note pull "/usr/bin/time -v $MDESIEM once -c mdesiem.ini   # 1 source; mdesiem.ini below"
note pull "/usr/bin/time -v $MDESIEM once -c mdesiem-$PULL_SOURCES.ini   # $PULL_SOURCES sources, each with one of the filters below"
while IFS= read -r line; do note pull "$line"; done < <(sed -e "s#$BENCH_TMP#\$TMP#g" -e "s#$EMU_URL#\$EMU#g" \
    -e '/^$/d' -e 's/^/; /' "$D/example-1/mdesiem.ini")
note pull ";   filters of the $PULL_SOURCES sources:"
for f in "${FILTERS[@]}"; do note pull ";     $f"; done

for run in $(seq "$BENCH_RUNS"); do
    for case in 1 "$PULL_SOURCES"; do
        dir="$D/run-$case"
        rm -rf "$dir"
        mkdir -p "$dir"
        config "$case" "$dir"
        emu0=$(cpu_ticks "$EMU_PID")
        timed "$dir/once.out" "$MDESIEM" once -c "$dir/mdesiem.ini"
        emu1=$(cpu_ticks "$EMU_PID")
        [ "$T_RC" -eq 0 ] || fail "mdesiem once ($case sources) failed"
        lines=$(wc -l <"$dir/alerts.jsonl")
        [ "$lines" -eq "$PULL_ALERTS" ] || fail "$case sources: delivered $lines lines, expected $PULL_ALERTS"
        bytes=$(stat -c %s "$dir/alerts.jsonl")
        label="1 source"
        [ "$case" = 1 ] || label="$case sources (createdDateTime slices)"
        result figure=pull case="sources-$case" label="$label" run="$run" wall="$T_WALL" user="$T_USER" \
            sys="$T_SYS" rss_kb="$T_RSS" items="$PULL_ALERTS" bytes="$bytes" \
            emu_cpu="$(python3 -c "print(($emu1 - $emu0) / $CLK_TCK)")"
        say "pull: $label run $run: ${T_WALL}s"
        rm -rf "$dir"
    done
done

result figure=pull-meta alerts="$PULL_ALERTS" \
    sources_note="The $PULL_SOURCES-source case uses one emulator and $PULL_SOURCES \`[source]\` sections whose \`filter\` (createdDateTime ge A and createdDateTime lt B) cuts the emulator's time range into $PULL_SOURCES equal slices, so together they deliver every alert exactly once; all $PULL_SOURCES source threads share the state file and the output."
