#!/usr/bin/env python3
"""A client that polls like the ArcSight and QRadar SIEM REST API connectors:
an Entra v1 client-credentials token, then GET /api/alerts?sinceTimeUtc=<last
LastProcessedTimeUtc seen> every few seconds. Writes every detection it gets,
one JSON object per line, and stops after `--idle` polls that brought nothing
new once at least `--want` detections arrived (and `--done-file` exists), or
at `--timeout` seconds."""
import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request


def token(base, tenant, client_id, secret):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret, "resource": "https://graph.windows.net"}).encode()
    with urllib.request.urlopen(f"{base}/{tenant}/oauth2/token", data=form, timeout=10) as r:
        body = json.load(r)
    assert isinstance(body["expires_in"], str), "v1 tokens carry expires_in as a string"
    return body["access_token"]


def poll(base, tok, since, path):
    q = "?" + urllib.parse.urlencode({"sinceTimeUtc": since}) if since else ""
    req = urllib.request.Request(f"{base}{path}{q}", headers={"Authorization": f"Bearer {tok}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--want", type=int, default=1)
    ap.add_argument("--idle", type=int, default=3)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--done-file", help="keep polling until this file exists (the test says the feed is over)")
    a = ap.parse_args()
    secret = open(a.secret_file).read().strip()
    tok = token(a.base, "00000000-0000-0000-0000-000000000001", a.client_id, secret)
    since, got, idle, polls, end = None, 0, 0, 0, time.time() + a.timeout
    with open(a.out, "w") as out:
        while time.time() < end:
            path = "/api/alerts/" if polls % 2 else "/api/alerts"   # ArcSight's trailing-slash form too
            batch = poll(a.base, tok, since, path)
            polls += 1
            for d in batch:
                out.write(json.dumps(d, separators=(",", ":")) + "\n")
                since = d["LastProcessedTimeUtc"]
            out.flush()
            got += len(batch)
            idle = 0 if batch else idle + 1
            done = a.done_file is None or os.path.exists(a.done_file)
            if got >= a.want and idle >= a.idle and done:
                break
            time.sleep(a.interval)
    print(f"poller: {got} detections in {polls} polls", file=sys.stderr)
    return 0 if got >= a.want else 1


if __name__ == "__main__":
    sys.exit(main())
