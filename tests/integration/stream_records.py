#!/usr/bin/env python3
"""Ground truth for the eventhub tests, independent of mdesiem's parser.

  stream_records.py split   < messages (one Kafka message per line, as kcat prints them)
      prints every record of every well-formed {"records":[...]} message, canonical
  stream_records.py canon   < JSON lines (mdesiem's json output)
      prints each record canonical

Canonical = compact JSON, keys in their original order, UTF-8 kept. (jq -R
is not used: jq 1.6 corrupts multi-byte characters in long raw lines.)
"""
import json
import sys


def dump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def main():
    mode = sys.argv[1]
    out = sys.stdout
    for raw in sys.stdin.buffer:
        raw = raw.rstrip(b"\n")
        if not raw:
            continue
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if mode == "canon":
                raise
            continue
        if mode == "canon":
            out.write(dump(doc) + "\n")
            continue
        recs = doc.get("records") if isinstance(doc, dict) else None
        if not isinstance(recs, list) or not all(isinstance(r, dict) for r in recs):
            continue
        for r in recs:
            out.write(dump(r) + "\n")


if __name__ == "__main__":
    main()
