#!/usr/bin/env python3
"""Checks what http_receiver.py recorded against the alerts (JSON lines)
for outputs using format = json.

  check_http.py REQUESTS ALERTS hec|es|lines [--max-dups N]

hec: every accepted request holds HEC envelopes; their events are the
alerts. es: every bulk action carries an _id; the documents the receiver
indexed (accepted items) are the alerts, one _id each, and a retried
request repeats the _ids of its first attempt. lines: JSON lines bodies.
Prints "<events accepted> <distinct> <duplicates> <requests> <failed>".
"""
import json
import sys

reqs = [json.loads(l) for l in open(sys.argv[1])]
alerts = {json.dumps(json.loads(l), sort_keys=True) for l in open(sys.argv[2])}
mode = sys.argv[3]
max_dups = int(sys.argv[5]) if len(sys.argv) > 5 else 0
seen = {}
problems = []
ids = {}
for r in reqs:
    lines = [l for l in r["body"].split("\n") if l]
    if mode == "hec":
        if r["headers"].get("Authorization", "").split(" ")[0] != "Splunk":
            problems.append("request without Splunk authorization")
        docs = []
        for l in lines:
            env = json.loads(l)
            if set(env) - {"time", "host", "source", "sourcetype", "index", "event"}:
                problems.append("unexpected envelope keys %s" % sorted(env))
            docs.append(env["event"])
    elif mode == "es":
        docs = []
        for i in range(0, len(lines), 2):
            meta = json.loads(lines[i])["index"]
            doc = json.loads(lines[i + 1])
            key = json.dumps(doc, sort_keys=True)
            if ids.setdefault(meta["_id"], key) != key:
                problems.append("_id %s names two different documents" % meta["_id"])
            docs.append(doc)
    else:
        docs = [json.loads(l) for l in lines]
    if r["status"] != 200:
        continue
    for d in docs:
        k = json.dumps(d, sort_keys=True)
        if k not in alerts:
            problems.append("event matches no alert: %s" % k[:100])
        seen[k] = seen.get(k, 0) + 1
missing = alerts - set(seen)
if missing:
    problems.append("%d alerts never accepted" % len(missing))
dups = sum(c - 1 for c in seen.values())
if mode != "es" and dups > max_dups:
    problems.append("%d duplicates" % dups)
if mode == "es" and len(ids) != len(alerts):
    problems.append("%d distinct _ids for %d alerts" % (len(ids), len(alerts)))
failed = sum(1 for r in reqs if r["status"] != 200)
print(sum(seen.values()), len(seen), dups, len(reqs), failed)
for p in problems[:10]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
