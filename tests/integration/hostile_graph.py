#!/usr/bin/env python3
"""Serves crafted (hostile) alert payloads through the Graph alerts_v2 shape.

Used only by test_rel_hostile.sh: the emulator generates realistic alerts,
but this test needs exact bytes built to break formats and framing.
Originally a minimal stand-in for Microsoft Graph alerts_v2, so output tests can run
the real binary end to end (graph source -> outbox -> output) without the
emulator: a token endpoint and GET /v1.0/security/alerts_v2 honouring
`$filter=lastUpdateDateTime ge T`, `$orderby`, `$top` and `$skip`.

Alerts are deterministic: alert i has id "fake-%06d", a severity cycling
through high/medium/low/informational, a title with characters formats
must escape, and `--pad N` bytes of description. POST /_fake/add?count=N
adds alerts; GET /_fake/alerts returns every alert as JSON lines.

--alerts-file FILE serves the alerts of FILE instead (one JSON object per
line, sent byte for byte, so it may hold what json.dumps cannot make:
invalid UTF-8, for one).

Usage: fake_graph.py --port-file FILE [--alerts N] [--pad BYTES] [--alerts-file FILE]
Binds 127.0.0.1 on a free port and writes it to FILE. Stops by itself
after --lifetime seconds (default 900) so a failed test never leaves it
running.
"""
import argparse
import datetime
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEVERITIES = ["high", "medium", "low", "informational"]
BASE = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(hours=2)
LOCK = threading.Lock()
ALERTS = []
RAW = []  # --alerts-file: (lastUpdateDateTime, bytes of the object) per alert


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (t.microsecond * 10)


def make_alert(i, pad):
    t = BASE + datetime.timedelta(seconds=i)
    return {
        "id": "fake-%06d" % i,
        "title": "Suspicious activity %d | with = signs\tand a tab, ünïcödé" % i,
        "severity": SEVERITIES[i % 4],
        "category": "Execution",
        "status": "new",
        "createdDateTime": stamp(t),
        "lastUpdateDateTime": stamp(t),
        "description": "x" * pad,
        "evidence": [],
    }


def parse_since(flt):
    # "lastUpdateDateTime ge 2026-11-24T06:00:00.0000000Z[ and (...)]"
    part = flt.split(" ge ", 1)[1].split(" ", 1)[0]
    return part


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        url = urllib.parse.urlsplit(self.path)
        if url.path.endswith("/token"):
            return self.reply(200, json.dumps({"token_type": "Bearer", "expires_in": 3599,
                                               "access_token": "fake-token"}))
        if url.path == "/_fake/add":
            count = int(urllib.parse.parse_qs(url.query).get("count", ["1"])[0])
            with LOCK:
                start = len(ALERTS)
                ALERTS.extend(make_alert(i, SERVER.pad) for i in range(start, start + count))
            return self.reply(200, "{}")
        self.reply(404, "{}")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/_fake/alerts":
            with LOCK:
                body = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ALERTS)
            return self.reply(200, body, "application/x-ndjson")
        if url.path != "/v1.0/security/alerts_v2":
            return self.reply(404, "{}")
        since = parse_since(q["$filter"][0])
        top = int(q.get("$top", ["1000"])[0])
        skip = int(q.get("$skip", ["0"])[0])
        if RAW:
            match = [raw for t, raw in RAW if t >= since]
            body = b'{"@odata.context":"fake","value":[' + b",".join(match[skip:skip + top]) + b"]"
            if skip + top < len(match):
                body += b',"@odata.nextLink":"http://127.0.0.1/next"'
            return self.reply(200, body + b"}")
        with LOCK:
            match = [a for a in ALERTS if a["lastUpdateDateTime"] >= since]
        page = match[skip:skip + top]
        body = {"@odata.context": "fake", "value": page}
        if skip + top < len(match):
            body["@odata.nextLink"] = "http://127.0.0.1/next"
        self.reply(200, json.dumps(body, ensure_ascii=False))


def main():
    global SERVER
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--alerts", type=int, default=100)
    ap.add_argument("--pad", type=int, default=100)
    ap.add_argument("--lifetime", type=float, default=900)
    ap.add_argument("--alerts-file")
    a = ap.parse_args()
    if a.alerts_file:
        with open(a.alerts_file, "rb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                if line:
                    obj = json.loads(line.decode("utf-8", "surrogateescape"))
                    RAW.append((obj["lastUpdateDateTime"], line))
        RAW.sort(key=lambda r: r[0])
    else:
        ALERTS.extend(make_alert(i, a.pad) for i in range(a.alerts))
    SERVER = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    SERVER.pad = a.pad
    threading.Timer(a.lifetime, SERVER.shutdown).start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(SERVER.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    SERVER.serve_forever()
    os._exit(0)


if __name__ == "__main__":
    main()
