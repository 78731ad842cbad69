#!/usr/bin/python3
"""A TLS server that misbehaves the way a crashing or overloaded vCenter
front end does, for tests/e2e/api_faults.sh (stdlib only).

usage: closing_server.py CERT KEY MODE
  MODE close    read each request completely, then close without a reply
  MODE partial  read each request, send the status line, headers promising
                a body and half of it, then close

Listens on 127.0.0.1, prints the port on one line, serves connections one
after another until killed (SIGTERM) or its parent goes away.
"""

import os
import socket
import ssl
import sys


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


def main(argv):
    if len(argv) != 4 or argv[3] not in ("close", "partial"):
        sys.stderr.write(__doc__)
        return 64
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[1], argv[2])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(1.0)
    print(srv.getsockname()[1], flush=True)
    parent = os.getppid()
    while os.getppid() == parent:
        try:
            raw, _ = srv.accept()
        except socket.timeout:
            continue
        raw.settimeout(10)
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            continue
        try:
            if read_request(conn) and argv[3] == "partial":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                             b"Content-Length: 400\r\n\r\n<?xml version=\"1.0\"?>\n<soapenv:Env")
        except (ssl.SSLError, OSError):
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
