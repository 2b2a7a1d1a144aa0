#!/usr/bin/env python3
"""A small HTTP receiver for http output tests: it answers like a generic
endpoint, Splunk HEC or the Elasticsearch bulk API, can be told to fail,
and records every request.

  http_receiver.py --port-file F [--port P] [--mode generic|hec|es]
                   [--auth "Splunk TOKEN"] [--lifetime S]

Control (POST, JSON body):
  /_ctl/plan     [{"status":503,"retry_after":"1","body":"busy"},
                  {"es_items":[201,429,400]}, ...]  answers for the next
                  requests, in order; afterwards requests succeed
Inspection (GET):
  /_ctl/requests every request so far, one JSON object per line:
                 {"t":secs,"path":..,"headers":{..},"gzip":bool,
                  "body":<decompressed text>,"status":answered}

Elasticsearch mode: a successful bulk answers an item per action with
status 201 ("created") or 200 when the _id was indexed before; ids are
remembered. Runs until --lifetime seconds passed (default 600).
"""
import argparse
import gzip
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
PLAN = []
REQUESTS = []
ES_IDS = set()


def bulk_actions(body):
    lines = [l for l in body.split("\n") if l]
    return [json.loads(lines[i]) for i in range(0, len(lines), 2)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_ctl/requests":
            with LOCK:
                text = "".join(json.dumps(r) + "\n" for r in REQUESTS)
            return self.reply(200, text)
        self.reply(404, "{}")

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        gz = self.headers.get("Content-Encoding") == "gzip"
        return (gzip.decompress(raw) if gz else raw).decode("utf-8"), gz

    def es_answer(self, body, statuses):
        items = []
        errors = False
        for i, act in enumerate(bulk_actions(body)):
            op, meta = next(iter(act.items()))
            st = statuses[i] if statuses and i < len(statuses) else None
            if st is None:
                with LOCK:
                    st = 200 if meta.get("_id") in ES_IDS else 201
                    ES_IDS.add(meta.get("_id"))
            item = {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": st}
            if st >= 300:
                errors = True
                item["error"] = {"type": "test_failure", "reason": "planned status %d" % st}
            items.append({op: item})
        return json.dumps({"took": 1, "errors": errors, "items": items})

    def do_POST(self):
        body, gz = self.read_body()
        if self.path == "/_ctl/plan":
            with LOCK:
                PLAN.extend(json.loads(body))
            return self.reply(200, "{}")
        with LOCK:
            step = PLAN.pop(0) if PLAN else {}
        status, headers, answer = 200, {}, "{}"
        if ARGS.auth and self.headers.get("Authorization") != ARGS.auth:
            status, answer = 401, '{"text":"Invalid authorization","code":3}'
        elif "status" in step:
            status, answer = step["status"], step.get("body", "{}")
            if "retry_after" in step:
                headers["Retry-After"] = step["retry_after"]
        elif ARGS.mode == "hec":
            answer = '{"text":"Success","code":0}'
        elif ARGS.mode == "es":
            answer = self.es_answer(body, step.get("es_items"))
        with LOCK:
            REQUESTS.append({"t": time.time(), "path": self.path, "headers": dict(self.headers.items()),
                             "gzip": gz, "body": body, "status": status})
        self.reply(status, answer, headers)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", default="generic")
    ap.add_argument("--auth")
    ap.add_argument("--lifetime", type=float, default=600)
    ARGS = ap.parse_args()
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    threading.Timer(ARGS.lifetime, server.shutdown).start()
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    server.serve_forever()
    os._exit(0)


if __name__ == "__main__":
    main()
