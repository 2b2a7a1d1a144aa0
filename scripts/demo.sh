#!/usr/bin/env bash
# `make run`: the built-in Defender emulator on a free loopback port,
# mdesiem collecting from it into the terminal and var/alerts.jsonl, and a
# feeder that creates and updates alerts every few seconds. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/mdesiem}
mkdir -p var
rm -f var/mdesiem.db var/mdesiem.db-wal var/mdesiem.db-shm var/emulator.port  # a demo starts fresh

"$bin" emulate --listen 127.0.0.1:0 --alerts 50 --port-file var/emulator.port >var/emulator.log 2>&1 &
emu=$!
pids=("$emu")
cleanup() {
    trap - INT TERM EXIT
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq 100); do [ -s var/emulator.port ] && break; sleep 0.1; done
[ -s var/emulator.port ] || { echo "demo: the emulator did not start; see var/emulator.log" >&2; exit 1; }
url="http://127.0.0.1:$(cat var/emulator.port)"

umask 077
printf '%s' emulator-secret >var/demo-secret
sed "s|@EMULATOR_URL@|$url|g" conf/demo.ini >var/demo.ini

echo "demo: emulator at $url; alerts below and in var/alerts.jsonl; Ctrl-C to stop"
(
    while sleep 4; do
        curl -fsS -X POST "$url/_emulator/create?count=2" >/dev/null || exit 0
        curl -fsS -X POST "$url/_emulator/update?count=1" >/dev/null || exit 0
    done
) &
pids+=("$!")

"$bin" run -c var/demo.ini &
pids+=("$!")
wait "${pids[2]}"
