#!/usr/bin/env bash
# bench/stream.sh - throughput of the eventhub source.
#
#   bench/stream.sh [RECORDS] [RUNS]        (default 100000 records, 5 runs)
#
# Produces RECORDS Streaming API records (about 2.5 KB each, up to 20 per
# message, six tables mixed) into librdkafka's mock cluster, spread over
# enough partitions that none exceeds the ~5 MB the mock keeps, then
# measures, RUNS times each, interleaved, median reported:
#   kcat -C -e       the topic to /dev/null, partitions assigned, no group
#                    (the ceiling of the Kafka hop)
#   mdesiem once     `partitions = all`: the same kind of consumer, into a
#                    `file` output (fsync on), fresh state file and group:
#                    every record is split, written, synced, and only then
#                    its offset committed (delivery = direct, the default)
#   kcat -G          a balanced consumer group member to /dev/null
#   mdesiem once     the default balanced group member, same output
# and prints records/s for each and the ratios of like to like. The mock's
# group coordinator holds a new group's first join for 3 s (Kafka's
# group.initial.rebalance.delay.ms); that wait is in both group figures.
# The "caught up" lines count from the partition assignment to the end of
# the stream (mdesiem's log line), i.e. without the join.
#
# Environment: MDESIEM (default build/mdesiem), KEEP=1 keeps the temp dir.
set -euo pipefail

N=${1:-100000}
RUNS=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
MDESIEM=${MDESIEM:-$here/../build/mdesiem}
for tool in kcat python3; do
    command -v $tool >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
[ -x "$MDESIEM" ] || { echo "bench: $MDESIEM not built (run make build)" >&2; exit 2; }
PARTS=$(((N + 1499) / 1500))
[ $PARTS -ge 4 ] || PARTS=4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mds-bench.XXXXXX")
mock=
cleanup() {
    [ -n "$mock" ] && kill -TERM "$mock" 2>/dev/null && wait "$mock" 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6f\n", b - a}'; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
rate() { awk -v n="$N" -v t="$1" 'BEGIN {printf "%.0f", n / t}'; }

"$MDESIEM" emulate --stream-mock --topic bench --partitions $PARTS --events "$N" --eps 0 --seed 1 \
    >"$tmp/mock.out" 2>"$tmp/mock.err" &
mock=$!
for _ in $(seq 600); do grep -qs "stream produced" "$tmp/mock.out" && break; sleep 0.1; done
grep -q "stream produced $N records" "$tmp/mock.out" || { cat "$tmp/mock.out" "$tmp/mock.err" >&2; exit 1; }
KAFKA=$(sed -n 's/^mdesiem emulate: stream bootstrap //p' "$tmp/mock.out")
have=$(kcat -C -b "$KAFKA" -t bench -o beginning -e -q | python3 -c '
import json, sys
print(sum(len(json.loads(l)["records"]) for l in sys.stdin if l.strip()))')
[ "$have" -eq "$N" ] || { echo "bench: the mock kept $have of $N records" >&2; exit 1; }
bytes=$(kcat -C -b "$KAFKA" -t bench -o beginning -e -q | wc -c)
echo "stream: $N records, $((bytes / 1048576)) MiB in $(grep -o '[0-9]* messages' "$tmp/mock.out") over $PARTS partitions; $RUNS runs each"

# one mdesiem run: $1 label, $2 run number, $3 extra source keys
run_mdesiem() {
    local d="$tmp/$1-$2"
    mkdir "$d"
    cat >"$d/bench.ini" <<CONF
[service]
state = $d/state.db
[source bench]
type = eventhub
bootstrap = $KAFKA
eventhub = bench
consumer_group = mdesiem-$1-$2
start = earliest
eps_throttle = 0
outputs = file
$3
[output file]
type = file
path = $d/out.jsonl
rotate_bytes = 0
CONF
    local t0 t1 got
    t0=$(now)
    "$MDESIEM" once -c "$d/bench.ini" 2>"$d/log"
    t1=$(now)
    elapsed "$t0" "$t1" >>"$tmp/mds-$1"
    got=$(wc -l <"$d/out.jsonl")
    [ "$got" -eq "$N" ] || { echo "bench: $1 run $2 delivered $got of $N records" >&2; exit 1; }
    sed -n 's/.*caught up: .*, \([0-9.]*\) s after the assignment.*/\1/p' "$d/log" >>"$tmp/mdsc-$1"
    rm -rf "$d"
}

# a JSON row for bench/report.py: case, label, seconds
result() {
    [ -n "${BENCH_RESULTS:-}" ] || return 0
    printf '{"figure":"stream","case":"%s","label":"%s","items":%s,"wall":%s,"run":%s}\n' "$1" "$2" "$N" "$3" "$4" \
        >>"$BENCH_RESULTS"
}

if [ -n "${BENCH_COMMANDS:-}" ]; then
    {
        printf 'stream\t%s\n' "build/mdesiem emulate --stream-mock --topic bench --partitions $PARTS --events $N --eps 0 --seed 1"
        printf 'stream\t%s\n' "kcat -C -b \$KAFKA -t bench -o beginning -e -q > /dev/null"
        printf 'stream\t%s\n' "build/mdesiem once -c bench.ini   # [source bench] type = eventhub, partitions = all, start = earliest, eps_throttle = 0; [output file] type = file, rotate_bytes = 0"
        printf 'stream\t%s\n' "kcat -b \$KAFKA -G kcat-RUN -X auto.offset.reset=earliest -X enable.auto.commit=false -e -q bench > /dev/null"
        printf 'stream\t%s\n' "build/mdesiem once -c bench.ini   # the same without partitions: a balanced group member"
    } >>"$BENCH_COMMANDS"
fi

for run in $(seq "$RUNS"); do
    t0=$(now)
    kcat -C -b "$KAFKA" -t bench -o beginning -e -q >/dev/null
    t1=$(now)
    elapsed "$t0" "$t1" >>"$tmp/kcat"
    result kcat-c "kcat -C -e (assigns partitions, no group) to /dev/null" "$(elapsed "$t0" "$t1")" "$run"

    t0=$(now)
    kcat -b "$KAFKA" -G "kcat-$run" -X auto.offset.reset=earliest -X enable.auto.commit=false -e -q bench >/dev/null 2>&1
    t1=$(now)
    elapsed "$t0" "$t1" >>"$tmp/kcatg"
    result kcat-g "kcat -G (balanced group member) to /dev/null" "$(elapsed "$t0" "$t1")" "$run"

    run_mdesiem assigned "$run" "partitions = all"
    result mds-assigned "mdesiem once, partitions = all -> file" "$(tail -1 "$tmp/mds-assigned")" "$run"
    run_mdesiem group "$run" ""
    result mds-group "mdesiem once, balanced group member -> file" "$(tail -1 "$tmp/mds-group")" "$run"
done

k=$(median <"$tmp/kcat") g=$(median <"$tmp/kcatg")
a=$(median <"$tmp/mds-assigned") m=$(median <"$tmp/mds-group")
ac=$(median <"$tmp/mdsc-assigned") c=$(median <"$tmp/mdsc-group")
printf '%-52s %8.3f s %10s records/s\n' "kcat -C -e (no group) to /dev/null" "$k" "$(rate "$k")"
printf '%-52s %8.3f s %10s records/s\n' "mdesiem once -> file, partitions = all" "$a" "$(rate "$a")"
printf '%-52s %8.3f s %10s records/s\n' "  of which assignment -> caught up" "$ac" "$(rate "$ac")"
printf '%-52s %8.3f s %10s records/s\n' "kcat -G (consumer group) to /dev/null" "$g" "$(rate "$g")"
printf '%-52s %8.3f s %10s records/s\n' "mdesiem once -> file, group member (default)" "$m" "$(rate "$m")"
printf '%-52s %8.3f s %10s records/s\n' "  of which assignment -> caught up" "$c" "$(rate "$c")"
awk -v k="$k" -v g="$g" -v a="$a" -v m="$m" 'BEGIN {
    printf "ratio mdesiem (partitions = all) / kcat -C: %.2f    mdesiem (group) / kcat -G: %.2f    mdesiem (group) / kcat -C: %.2f\n", k / a, g / m, k / m }'
