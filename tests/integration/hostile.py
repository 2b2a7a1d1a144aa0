#!/usr/bin/env python3
"""Hostile input for reliability scenario 4 (test_rel_hostile.sh).

  hostile.py make DIR [--big BYTES]
      DIR/valid.jsonl    alerts that are valid JSON but built to break
                         framing and escaping (one per line, byte for byte)
      DIR/invalid-*.json documents that must be refused with a clear error
  hostile.py check FORMAT FILE COUNT [--syslog]
      every line of FILE is one well-formed FORMAT event (after an RFC 5424
      header with --syslog), COUNT lines in all; prints "ok LINES BYTES"
"""
import json
import re
import sys

BREAKERS = [
    "line1\nline2\r\nline3\rend",
    "pipe | pipe \\| backslash \\ equals = key=value",
    "tab\there ^caret ^ LEEF delimiter \x09 and x09",
    "123 <13>1 2026-01-01T00:00:00Z host app - - - forged message",
    "45 <14>Nov 24 00:00:00 host app: forged 3164",
    "CEF:0|Forged|Vendor|1|2|3|10|src=1.2.3.4",
    "LEEF:2.0|Forged|Vendor|1|2|^|cat=x",
    "nul \u0000 byte, bell \u0007, escape \u001b[31m, del \u007f",
    "separators \u2028 \u2029 \u0085 next-line",
    "emoji \U0001f4a9 and combining e\u0301",
    "quote \" apostrophe ' braces {} [] ,:",
]


def alert(i, title, cmdline, extra=None):
    t = "2026-11-24T06:%02d:%02d.%07dZ" % (i // 60 % 60, i % 60, i)
    a = {
        "@odata.type": "#microsoft.graph.security.alert",
        "id": "hostile-%04d" % i,
        "providerAlertId": "hostile-%04d" % i,
        "incidentId": str(i),
        "status": "new",
        "severity": ["high", "medium", "low", "informational"][i % 4],
        "classification": "unknown",
        "determination": "unknown",
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": "antivirus",
        "title": title,
        "description": title,
        "category": title,
        "createdDateTime": t,
        "lastUpdateDateTime": t,
        "evidence": [
            {"@odata.type": "#microsoft.graph.security.processEvidence", "processCommandLine": cmdline,
             "imageFile": {"fileName": title, "filePath": "C:\\" + title}, "detectionStatus": "detected",
             "userAccount": {"accountName": title, "domainName": title}},
            {"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "10.0.0.%d" % (i % 250)},
        ],
    }
    if extra:
        a.update(extra)
    return json.dumps(a).encode()


def make(d, big):
    lines = []
    i = 0
    for b in BREAKERS:
        lines.append(alert(i, b, b))
        i += 1
    lines.append(alert(i, "all: " + " ".join(BREAKERS), " ".join(BREAKERS)))
    i += 1
    # a long command line, escaped characters all along it
    lines.append(alert(i, "long command line", ("A=| \n\\" * (big // 5 + 1))[:big]))
    i += 1
    # invalid UTF-8 in raw bytes, and lone surrogates as escapes
    raw = alert(i, "UTFBAD", "UTFBAD").replace(b"UTFBAD", b"bad \xff\xfe \xe2\x82 \xc0\xaf \xed\xa0\x80 end")
    lines.append(raw)
    i += 1
    lines.append(alert(i, "x", "x").replace(b'"title": "x"', b'"title": "lone \\ud800 \\udfff surrogates"'))
    i += 1
    # nested 300 deep (inside the limit of 512): valid, carried through
    lines.append(alert(i, "deep", "deep", {"extra": json.loads("[" * 300 + "]" * 300)}))
    i += 1
    with open(d + "/valid.jsonl", "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    ok = alert(99, "x", "x")
    invalid = {
        "raw-nul": ok.replace(b'"title": "x"', b'"title": "a\x00b"'),
        "raw-newline": ok.replace(b'"title": "x"', b'"title": "a\nb"'),
        "truncated": ok[: len(ok) // 2],
        "deep-10000-arrays": ok[:-1] + b', "x": ' + b"[" * 10000 + b"]" * 10000 + b"}",
        "deep-10000-objects": ok[:-1] + b', "x": ' + b'{"a":' * 10000 + b"1" + b"}" * 10000 + b"}",
        "unclosed-string": ok[:-2],
        "missing-colon": ok.replace(b'"title": "x"', b'"title" "x"'),
        "trailing-comma": ok[:-1] + b",}",
        "bad-escape": ok.replace(b'"title": "x"', b'"title": "\\x41"'),
        "not-an-object": b'{"value": [1, "x", null]}',
        "garbage": b"\x00\x01\x02\xff" * 64,
    }
    for name, data in invalid.items():
        with open("%s/invalid-%s.json" % (d, name), "wb") as f:
            f.write(data)


HEAD = re.compile(rb"^(\d+ )?<\d{1,3}>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ \S+ - - - ")


def unescaped_pipes(s, upto):
    n = 0
    esc = False
    for ch in s[:upto]:
        if esc:
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == "|":
            n += 1
    return n


def check_line(fmt, b):
    if b"\r" in b or b"\x00" in b:
        return "raw CR or NUL"
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError as e:
        return "invalid UTF-8: %s" % e
    if fmt in ("json", "legacy", "ecs"):
        try:
            obj = json.loads(s)
        except ValueError as e:
            return "not one JSON object: %s" % e
        return None if isinstance(obj, dict) else "not an object"
    if fmt == "cef":
        if not s.startswith("CEF:0|"):
            return "no CEF:0| prefix"
        # 7 unescaped pipes close the header; the extension follows
        n, esc = 0, False
        for k, ch in enumerate(s):
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == "|":
                n += 1
                if n == 7:
                    ext = s[k + 1:]
                    break
        else:
            return "fewer than 7 header pipes"
        for pair in re.split(r" (?=\w+=)", ext):
            key, eq, val = pair.partition("=")
            if not eq or not re.fullmatch(r"\w+", key):
                return "extension pair %r is not key=value" % pair[:40]
            if re.search(r"(?<!\\)=", val):
                return "extension value of %s holds an unescaped '='" % key
        return None
    if fmt == "leef":
        if not s.startswith("LEEF:2.0|"):
            return "no LEEF:2.0| prefix"
        parts = s.split("|", 6)
        # a pipe leaking into a header field shifts the delimiter field
        if len(parts) < 7 or not re.fullmatch(r"x[0-9A-Fa-f]{2}|[^|]", parts[5]):
            return "header fields hold a pipe (delimiter field %r)" % (parts[5] if len(parts) > 5 else None)
        return None
    return "unknown format"


def check(fmt, path, count, syslog):
    lines = open(path, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    bad = []
    for n, b in enumerate(lines, 1):
        if syslog:
            m = HEAD.match(b)
            if not m:
                bad.append("line %d: bad syslog header: %r" % (n, b[:60]))
                continue
            b = b[m.end():]
        why = check_line(fmt, b)
        if why:
            bad.append("line %d: %s: %r" % (n, why, b[:100]))
    if (count >= 0 and len(lines) != count) or not lines:
        bad.append("%d lines, expected %d" % (len(lines), count))
    for x in bad[:5]:
        print(x, file=sys.stderr)
    if bad:
        sys.exit(1)
    print("ok %d %d" % (len(lines), sum(len(x) + 1 for x in lines)))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        big = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--big" else 10 * 1024 * 1024
        make(sys.argv[2], big)
    else:
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), "--syslog" in sys.argv)
