#!/usr/bin/env python3
"""Stands in for systemd's notification socket: binds a unix datagram
socket at argv[1] and appends every message received to argv[2], one
line per message with its fields separated by '|'. Runs until killed."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
with open(out + ".ready", "w"):
    pass
while True:
    data = sock.recv(65536)
    with open(out, "a") as f:
        f.write(data.decode("utf-8", "replace").strip().replace("\n", "|") + "\n")
