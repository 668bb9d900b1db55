"""What the SDK tests share: the server they run against (HERALD_URL and
HERALD_API_KEY, set by cmd/herald's Go test that starts it) and a real
webhook receiver on 127.0.0.1."""

from __future__ import annotations

import http.server
import itertools
import os
import threading
import unittest
from typing import Dict, List, Optional, Tuple

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test uses: prefix_<pid>_<n>."""
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


def require_server() -> None:
    if not os.environ.get("HERALD_URL") or not os.environ.get("HERALD_API_KEY"):
        raise unittest.SkipTest("HERALD_URL and HERALD_API_KEY name no server; run go test ./cmd/herald -run TestPythonSDK")


class Received:
    """One request a Receiver got: its path, headers (as sent) and exact
    body."""

    def __init__(self, path: str, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers it
    with ``status`` (200 unless set). ``wait(n)`` blocks until n requests
    have arrived, on a condition the handler signals."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: List[Received] = []
        self._cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                with outer._cond:
                    outer.requests.append(Received(self.path, list(self.headers.items()), body))
                    outer._cond.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait(self, n: int, timeout: float = 30.0) -> List[Received]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(f"receiver got {len(self.requests)} requests, want {n}")
            return list(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def env() -> Dict[str, str]:
    return {"url": os.environ["HERALD_URL"], "key": os.environ["HERALD_API_KEY"]}
