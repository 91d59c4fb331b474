#!/usr/bin/env python3
"""A loopback redirecting proxy for tests/broker_redirect.rs (Python stdlib only).

    redirect_proxy.py UPSTREAM RECORD

UPSTREAM is the real admin URL spelled with another host name than the test's admin URL
(http://localhost:PORT while pulsar-tui is given http://127.0.0.1:ENTRY). Three listeners on
127.0.0.1, ports chosen by the OS, printed as one JSON line on standard output:

  entry    answers 307 with Location UPSTREAM + path (a broker sending us to the owner of a
           topic, on another host of the cluster)
  astray   answers 307 with Location http://127.0.0.1:FOREIGN + path (a broker, or anything
           in between, sending us out of the cluster)
  foreign  a host outside the cluster: answers 401 to a request without an Authorization
           header and 200 ["foreign-saw-a-token"] to one with it

Both entry and astray forward the cluster's own listing (/admin/v2/clusters and
/admin/v2/brokers/...) to UPSTREAM instead, headers included, as a broker answers those
itself. Every request is appended to RECORD as one JSON line: listener, method, path, and
whether an Authorization header arrived (never its value).
"""

import http.server
import json
import sys
import threading
import urllib.error
import urllib.request

UPSTREAM, RECORD = sys.argv[1].rstrip("/"), sys.argv[2]
LOCK = threading.Lock()


def record(listener, handler):
    line = {
        "listener": listener,
        "method": handler.command,
        "path": handler.path,
        "authorization": handler.headers.get("Authorization") is not None,
    }
    with LOCK, open(RECORD, "a") as f:
        f.write(json.dumps(line) + "\n")


def handler_for(listener, ports):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            req = urllib.request.Request(UPSTREAM + self.path, data=data, method=self.command)
            for k in ("Authorization", "Content-Type", "Accept"):
                if self.headers.get(k):
                    req.add_header(k, self.headers[k])
            try:
                with urllib.request.urlopen(req, timeout=20) as r:
                    self.reply(r.status, r.read(), [("Content-Type", r.headers.get("Content-Type", "application/json"))])
            except urllib.error.HTTPError as e:
                self.reply(e.code, e.read())

        def handle_any(self):
            record(listener, self)
            if listener == "foreign":
                if self.headers.get("Authorization") is None:
                    self.reply(401, b"")
                else:
                    self.reply(200, b'["foreign-saw-a-token"]', [("Content-Type", "application/json")])
                return
            if self.path.startswith("/admin/v2/clusters") or self.path.startswith("/admin/v2/brokers/"):
                self.forward()
                return
            target = UPSTREAM if listener == "entry" else "http://127.0.0.1:%d" % ports["foreign"]
            self.reply(307, b"", [("Location", target + self.path)])

        do_GET = do_PUT = do_POST = do_DELETE = handle_any

    return Handler


def main():
    ports = {}
    servers = {}
    for name in ("foreign", "entry", "astray"):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(name, ports))
        ports[name] = srv.server_address[1]
        servers[name] = srv
    for srv in servers.values():
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(json.dumps(ports), flush=True)
    # runs until killed (the test kills it by its pid) or its standard input closes
    sys.stdin.read()


if __name__ == "__main__":
    main()
