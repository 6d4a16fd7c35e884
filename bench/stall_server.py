#!/usr/bin/env python3
"""A tiny HTTP server for bench/co.sh (coordinated omission), Python stdlib only.

It answers every request at once with 200 "ok", except during one stall window: a request
that arrives in [STALL_START, STALL_START + STALL_LEN) seconds after the server's *first*
request is held until the window ends (the whole server stalls once). HTTP/1.1 keep-alive,
one thread per connection, so held requests do not block new connections.

Usage: stall_server.py PORT STALL_START_S STALL_LEN_S STATS_FILE
On SIGTERM/SIGINT it writes a JSON line to STATS_FILE: requests served, requests held, the
longest hold, and how long after the stall's end the last held request was answered (the time
the server needed to drain the held requests: it adds to their latency).
"""

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
STALL_START = float(sys.argv[2])
STALL_LEN = float(sys.argv[3])
STATS_FILE = sys.argv[4]

lock = threading.Lock()
first = None  # monotonic time of the first request
served = 0
held = 0
max_hold = 0.0
last_release = 0.0  # seconds after the stall's end at which the last held request was answered


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one write, and without Nagle: otherwise the small body
    # waits for the client's delayed ACK (~40 ms) and that would be the "base latency".
    disable_nagle_algorithm = True

    def do_GET(self):
        global first, served, held, max_hold, last_release
        now = time.monotonic()
        with lock:
            if first is None:
                first = now
            t = now - first
            served += 1
        if STALL_START <= t < STALL_START + STALL_LEN:
            wait = STALL_START + STALL_LEN - t
            with lock:
                held += 1
                max_hold = max(max_hold, wait)
            time.sleep(wait)
        else:
            wait = None
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()
        if wait is not None:
            done = time.monotonic() - first - (STALL_START + STALL_LEN)
            with lock:
                last_release = max(last_release, done)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096  # listen backlog: a stall opens hundreds of new connections


def stop(*_):
    with lock:
        stats = {
            "served": served,
            "held": held,
            "max_hold_s": round(max_hold, 6),
            "last_release_s": round(last_release, 6),
            "stall_start_s": STALL_START,
            "stall_len_s": STALL_LEN,
        }
    with open(STATS_FILE, "w") as f:
        f.write(json.dumps(stats) + "\n")
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
server = Server(("127.0.0.1", PORT), Handler)
print(f"stall_server listening on 127.0.0.1:{PORT}", file=sys.stderr, flush=True)
server.serve_forever()
