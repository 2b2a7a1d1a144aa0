#!/usr/bin/env bash
# bench/emulator.sh - figure 6: alerts/s the emulator serves to a client
# paging through EMU_ALERTS alerts, and its memory.
#
# One curl process per run fetches EMU_PAGES consecutive pages of EMU_TOP
# alerts over one kept-alive connection, with the query the graph source
# sends ($filter on lastUpdateDateTime, $orderby, $top) and $skip advanced
# page by page, which is exactly the URL sequence @odata.nextLink gives.
# Run i starts at offset (i-1) * EMU_ALERTS / runs, so the runs spread
# over the whole universe.
source "$(dirname "$0")/lib.sh"

EMU_ALERTS=${EMU_ALERTS:-1000000}
EMU_TOP=${EMU_TOP:-2000}
EMU_PAGES=${EMU_PAGES:-50}
D="$BENCH_TMP/emulator"
mkdir -p "$D"

t0=$(date +%s.%N)
start_emulator --alerts "$EMU_ALERTS" --seed 7
t1=$(date +%s.%N)
note emulator "$MDESIEM emulate --listen 127.0.0.1:0 --alerts $EMU_ALERTS --seed 7"
START_S=$(python3 -c "print(round($t1 - $t0, 2))")
START_RSS=$(status_kb "$EMU_PID" VmRSS)
TOKEN=$(graph_token)
SINCE=$(date -u -d '-24 hours' +%Y-%m-%dT%H:%M:%S.0000000Z)

stride=$((EMU_ALERTS / BENCH_RUNS))
for run in $(seq "$BENCH_RUNS"); do
    cfg="$D/curl.$run.cfg"
    first=$(((run - 1) * stride))
    {
        printf 'header = "Authorization: Bearer %s"\n' "$TOKEN"
        printf 'write-out = "%%{size_download} %%{http_code}\\n"\n'
        for p in $(seq 0 $((EMU_PAGES - 1))); do
            printf 'url = "%s/v1.0/security/alerts_v2?$filter=lastUpdateDateTime%%20ge%%20%s&$orderby=lastUpdateDateTime%%20asc&$top=%d&$skip=%d"\n' \
                "$EMU_URL" "$SINCE" "$EMU_TOP" $((first + p * EMU_TOP))
            printf 'output = "/dev/null"\n'
        done
    } >"$cfg"
    emu0=$(cpu_ticks "$EMU_PID")
    timed "$D/sizes.$run" curl -sS --globoff -K "$cfg"
    emu1=$(cpu_ticks "$EMU_PID")
    [ "$T_RC" -eq 0 ] || fail "curl failed"
    awk '$2 != 200 {bad = 1} END {exit bad}' "$D/sizes.$run" || fail "a page was not 200"
    bytes=$(awk '{s += $1} END {print s}' "$D/sizes.$run")
    result figure=emulator case=paging label="curl, $EMU_TOP-alert pages, one connection" run="$run" \
        wall="$T_WALL" user="$T_USER" sys="$T_SYS" rss_kb="$T_RSS" items=$((EMU_PAGES * EMU_TOP)) \
        bytes="$bytes" pages="$EMU_PAGES" emu_cpu="$(python3 -c "print(($emu1 - $emu0) / $CLK_TCK)")"
    say "emulator: run $run: ${T_WALL}s for $EMU_PAGES pages"
done
note emulator "curl -sS --globoff -K pages.cfg   # header = \"Authorization: Bearer \$TOKEN\"; $EMU_PAGES x url = \"\$EMU/v1.0/security/alerts_v2?\$filter=lastUpdateDateTime%20ge%20<now-24h>&\$orderby=lastUpdateDateTime%20asc&\$top=$EMU_TOP&\$skip=<offset + page * $EMU_TOP>\", output = /dev/null"

result figure=emulator-meta alerts="$EMU_ALERTS" top="$EMU_TOP" pages="$EMU_PAGES" start_s="$START_S" \
    start_rss_kb="$START_RSS" hwm_kb="$(status_kb "$EMU_PID" VmHWM)"
stop_pid "$EMU_PID"
