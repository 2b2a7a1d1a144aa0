#!/usr/bin/env python3
"""Compares what a syslog receiver wrote (one raw message per line) with
the alerts the API had (JSON lines), for outputs using format = json.

Each message must have a well-formed header (RFC 5424 or 3164) whose PRI
is the configured facility with the severity derived from the alert, and
a payload byte-identical to one alert. --exact: every alert exactly once;
--at-least-once: every alert, duplicates allowed (their count is printed
and limited by --max-dups).

Prints "<messages> <distinct> <duplicates>" and exits 1 on a mismatch.
"""
import argparse
import collections
import json
import re
import sys

SEV = {"high": 2, "medium": 3, "low": 4, "informational": 6}
HEAD = {
    "rfc5424": re.compile(rb"^<(\d{1,3})>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) (\S+) - - - "),
    "rfc3164": re.compile(rb"^<(\d{1,3})>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (\S+) (\S+): "),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("received")
    ap.add_argument("alerts")
    ap.add_argument("--protocol", default="rfc5424")
    ap.add_argument("--facility", type=int, default=16)
    ap.add_argument("--app", default="mdesiem")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--exact", action="store_true")
    mode.add_argument("--at-least-once", action="store_true")
    ap.add_argument("--max-dups", type=int, default=0)
    a = ap.parse_args()

    want = {}
    with open(a.alerts, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            want[line] = SEV.get(json.loads(line).get("severity"), 5)
    got = collections.Counter()
    problems = []
    with open(a.received, "rb") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            m = HEAD[a.protocol].match(line)
            if not m:
                problems.append("line %d: bad header: %r" % (n, line[:80]))
                continue
            payload = line[m.end():]
            if payload not in want:
                problems.append("line %d: payload matches no alert: %r" % (n, payload[:120]))
                continue
            pri = a.facility * 8 + want[payload]
            if int(m.group(1)) != pri or m.group(3).decode() != a.app:
                problems.append("line %d: PRI %s app %s, expected %d %s" % (n, m.group(1), m.group(3), pri, a.app))
            got[payload] += 1
    missing = [p for p in want if p not in got]
    dups = sum(c - 1 for c in got.values())
    if missing:
        problems.append("%d alerts never arrived, e.g. %r" % (len(missing), missing[0][:80]))
    if a.exact and dups:
        problems.append("%d duplicate messages" % dups)
    if a.at_least_once and dups > a.max_dups:
        problems.append("%d duplicates, more than %d" % (dups, a.max_dups))
    print(sum(got.values()), len(got), dups)
    for p in problems[:10]:
        print("  " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
