#!/usr/bin/env python3
"""A minimal stand-in for the Graph alerts_v2 API, for the daemon tests.

Only what `mdesiem run`/`once` needs to collect: a token endpoint (any POST
path ending in /token) and GET /v1.0/security/alerts_v2 honouring
$filter=lastUpdateDateTime ge T, $orderby, $top and $skip. The full
Defender emulator is `mdesiem emulate`; these tests use this instead so
they run on a tree without it. Binds 127.0.0.1 on a free port and writes
the port to --port-file.

  POST /_fake/add?count=N   adds N alerts updated now
  GET  /_fake/count         how many alerts exist
"""
import argparse
import calendar
import json
import os
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TICKS = 10_000_000  # 100-ns ticks per second, as Defender timestamps carry
EPOCH_TICKS_RE = re.compile(r"lastUpdateDateTime ge (\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?Z")


def fmt(ticks):
    secs, frac = divmod(ticks, TICKS)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%07dZ" % frac


def parse_ge(flt):
    m = EPOCH_TICKS_RE.search(flt or "")
    if not m:
        return 0
    y, mo, d, h, mi, s, frac = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    return secs * TICKS + int((frac or "0").ljust(7, "0"))


class Store:
    def __init__(self, count, span, seed_time):
        self.lock = threading.Lock()
        self.alerts = []  # (version ticks, id, body)
        now = int(seed_time * TICKS)
        for i in range(count):
            v = now - span * TICKS + (span * TICKS * i) // max(count, 1)
            self._add(v, "fake-%06d" % i)
        self.next_id = count

    def _add(self, version, aid):
        body = json.dumps({"id": aid, "lastUpdateDateTime": fmt(version), "createdDateTime": fmt(version),
                           "title": "Fake alert " + aid, "severity": "medium", "status": "new"},
                          separators=(",", ":"))
        self.alerts.append((version, aid, body))

    def add_now(self, n):
        with self.lock:
            base = int(time.time() * TICKS)
            for k in range(n):
                self._add(base + k, "fake-%06d" % self.next_id)
                self.next_id += 1

    def page(self, since, top, skip):
        with self.lock:
            rows = sorted(a for a in self.alerts if a[0] >= since)
        return rows[skip:skip + top]


def make_handler(store, args):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, body):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if url.path.endswith("/token"):
                return self.send(200, json.dumps({"token_type": "Bearer", "expires_in": 3600,
                                                  "access_token": "fake-token"}))
            if url.path == "/_fake/add":
                q = urllib.parse.parse_qs(url.query)
                store.add_now(int(q.get("count", ["1"])[0]))
                return self.send(200, "{}")
            self.send(404, "{}")

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/_fake/count":
                return self.send(200, json.dumps({"count": len(store.alerts)}))
            if url.path != "/v1.0/security/alerts_v2":
                return self.send(404, "{}")
            if self.headers.get("Authorization") != "Bearer fake-token":
                return self.send(401, json.dumps({"error": {"code": "InvalidAuthenticationToken"}}))
            q = urllib.parse.parse_qs(url.query)
            top = int(q.get("$top", ["100"])[0])
            skip = int(q.get("$skip", ["0"])[0])
            rows = store.page(parse_ge(q.get("$filter", [""])[0]), min(top, args.max_page), skip)
            if args.page_delay:
                time.sleep(args.page_delay)
            self.send(200, '{"value":[' + ",".join(r[2] for r in rows) + "]}")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--alerts", type=int, default=100)
    ap.add_argument("--span", type=int, default=3600, help="seconds between the oldest alert and now")
    ap.add_argument("--page-delay", type=float, default=0.0, help="seconds each alerts page takes")
    ap.add_argument("--max-page", type=int, default=1000)
    args = ap.parse_args()
    store = Store(args.alerts, args.span, time.time() - 1)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(store, args))
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
