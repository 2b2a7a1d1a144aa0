#!/usr/bin/env python3
"""bench/syslog_send.py - the syslog ceiling: send pre-framed bytes as fast
as a minimal client can, over TCP or TLS, then close.

usage: syslog_send.py tcp|tls HOST PORT FILE [CAFILE]

FILE holds octet-counted syslog frames exactly as they go on the wire.
The whole file is read first (untimed by the caller's clock only in the
sense that it is in the page cache); one sendall() writes it.
"""
import socket
import ssl
import sys


def main():
    mode, host, port, path = sys.argv[1:5]
    with open(path, "rb") as f:
        data = f.read()
    sock = socket.create_connection((host, int(port)))
    if mode == "tls":
        ctx = ssl.create_default_context(cafile=sys.argv[5])
        sock = ctx.wrap_socket(sock, server_hostname=host)
    view = memoryview(data)
    chunk = 1 << 20
    for i in range(0, len(view), chunk):
        sock.sendall(view[i:i + chunk])
    # the kernel still sends what it holds after close(); the caller's
    # clock stops when rsyslog has written every message, not here
    sock.close()


if __name__ == "__main__":
    main()
