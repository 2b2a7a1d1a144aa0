#!/usr/bin/env python3
"""Reliability checker: what a syslog receiver wrote (one raw message per
line, rsyslog's %rawmsg%) against every (id, lastUpdateDateTime) the
emulator ever had (GET /_emulator/versions, "id<TAB>version" lines).

Each received line must be a well-formed RFC 5424 message whose payload is
one complete JSON alert (format = json). Lines that are not (a message cut
by a crash, two messages merged into one) are counted as "broken".

Prints one line of key=value numbers:
  messages= distinct= duplicates= missing= broken= unexpected=
and exits 1 when a version is missing, a line is broken or unexpected, or
duplicates exceed --max-dups.
"""
import argparse
import collections
import json
import re
import sys

HEAD = re.compile(rb"^<(\d{1,3})>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) (\S+) - - - ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("received")
    ap.add_argument("versions")
    ap.add_argument("--max-dups", type=int, default=-1, help="-1: no limit")
    ap.add_argument("--allow-broken", type=int, default=0)
    ap.add_argument("--partial", action="store_true", help="a snapshot: missing versions are no failure")
    a = ap.parse_args()

    want = set()
    with open(a.versions, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if line:
                i, v = line.split(b"\t")
                want.add((i.decode(), v.decode()))
    got = collections.Counter()
    broken = []
    unexpected = []
    with open(a.received, "rb") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            m = HEAD.match(line)
            try:
                if not m:
                    raise ValueError("bad header")
                obj = json.loads(line[m.end():])
                key = (obj["id"], obj["lastUpdateDateTime"])
            except (ValueError, KeyError, TypeError) as e:
                broken.append("line %d: %s: %r" % (n, e, line[:100]))
                continue
            if key not in want:
                unexpected.append("line %d: %r is no version the API had" % (n, key))
            got[key] += 1
    missing = sorted(want - set(got))
    dups = sum(c - 1 for c in got.values())
    print("messages=%d distinct=%d duplicates=%d missing=%d broken=%d unexpected=%d"
          % (sum(got.values()), len(got), dups, len(missing), len(broken), len(unexpected)))
    problems = broken[:5] + unexpected[:5]
    if missing and not a.partial:
        problems.append("%d versions never arrived, e.g. %r" % (len(missing), missing[0]))
    if a.max_dups >= 0 and dups > a.max_dups:
        problems.append("%d duplicates, more than %d" % (dups, a.max_dups))
    for p in problems:
        print("  " + p, file=sys.stderr)
    bad = (missing and not a.partial) or unexpected or len(broken) > a.allow_broken or (a.max_dups >= 0 and dups > a.max_dups)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
