#!/usr/bin/env bash
# bench/convert.sh - `mdesiem convert` throughput, per format.
#
# Alerts come from the emulator (seed 1): one alerts_v2 page of 1000, and
# the subset of those between 3 and 4 KB, each repeated to ~30,000 alerts
# as JSON lines of pages. Streaming records are 1 KB DeviceProcessEvents
# rows (200,000). Prints records per second of CPU time (user + system,
# best of 3), which is steadier than wall time on a busy machine.
#
#   bench/convert.sh [path/to/mdesiem]
set -euo pipefail

bin=${1:-${MDESIEM:-$(cd "$(dirname "$0")/.." && pwd)/build/mdesiem}}
tmp=$(mktemp -d)
emu_pid=
cleanup() {
    [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" emulate --listen 127.0.0.1:0 --port-file "$tmp/port" --alerts 1000 --client-secret bench-secret \
    > "$tmp/emu.log" 2>&1 &
emu_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
tenant=00000000-0000-0000-0000-000000000001
client=11111111-2222-3333-4444-555555555555
token=$(curl -fsS -X POST "http://127.0.0.1:$port/$tenant/oauth2/v2.0/token" \
    -d "grant_type=client_credentials&client_id=$client&client_secret=bench-secret&scope=https://graph.microsoft.com/.default" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1.0/security/alerts_v2?\$top=1000" > "$tmp/page.json"

python3 - "$tmp" <<'EOF'
import json, sys
d = sys.argv[1]
alerts = json.load(open(d + '/page.json'))['value']
def write(name, sel, total):
    page = json.dumps({"value": sel}, separators=(',', ':'))
    reps = total // len(sel) + 1
    open(d + '/' + name, 'w').write((page + '\n') * reps)
    size = sum(len(json.dumps(a, separators=(',', ':'))) for a in sel) / len(sel)
    open(d + '/' + name + '.info', 'w').write('%d %d\n' % (reps * len(sel), size))
write('all.jsonl', alerts, 30000)
write('mid.jsonl', [a for a in alerts if 3000 <= len(json.dumps(a, separators=(',', ':'))) <= 4000], 30000)
row = {"time": "2022-11-08T08:44:15.0Z", "tenantId": "t1", "operationName": "Publish",
       "category": "AdvancedHunting-DeviceProcessEvents",
       "properties": {"Timestamp": "2022-11-08T08:40:00.1234567Z", "DeviceId": "d", "DeviceName": "pc1.contoso.com",
                      "ActionType": "ProcessCreated", "FileName": "powershell.exe",
                      "FolderPath": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                      "SHA1": "a" * 40, "SHA256": "b" * 64, "MD5": "c" * 32, "FileSize": 450560, "ProcessId": 1,
                      "ProcessCommandLine": "powershell -enc AAAA=" + "x" * 200, "AccountDomain": "contoso",
                      "AccountName": "bob", "InitiatingProcessFileName": "cmd.exe", "InitiatingProcessId": 999,
                      "InitiatingProcessCommandLine": "cmd /c x", "ReportId": 1, "MachineGroup": "G1",
                      "AdditionalFields": None}}
body = json.dumps({"records": [row] * 5000}, separators=(',', ':'))
open(d + '/stream.jsonl', 'w').write((body + '\n') * 40)
open(d + '/stream.jsonl.info', 'w').write('200000 %d\n' % len(json.dumps(row, separators=(',', ':'))))
EOF

cpu() { # best user+sys seconds of 3 runs of: convert ARGS
    local best=
    for _ in 1 2 3; do
        local t
        t=$({ /usr/bin/time -f '%U %S' "$bin" convert "$@" > /dev/null; } 2>&1 | awk '{ print $1 + $2 }')
        best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
    done
    echo "$best"
}

for set in mid all stream; do
    read -r n size < "$tmp/$set.jsonl.info"
    case $set in stream) formats="json cef leef ecs" ;; *) formats="json legacy cef leef ecs" ;; esac
    for fmt in $formats; do
        t=$(cpu --to "$fmt" "$tmp/$set.jsonl")
        awk -v s="$set" -v f="$fmt" -v n="$n" -v sz="$size" -v t="$t" \
            'BEGIN { printf "%-6s %-6s %6d records of %5d B  %6.2f s CPU  %8d records/s  %5d MB/s\n", s, f, n, sz, t, n / t, n * sz / t / 1e6 }'
    done
done
