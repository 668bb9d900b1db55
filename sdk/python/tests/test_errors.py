"""Error answers become exceptions with the API's code, message and status,
and network errors are retried for idempotent requests only, through a real
proxy that drops connections."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import unittest
import urllib.error
import urllib.request

from herald import (AsyncHeraldClient, AuthenticationError, HeraldClient, HeraldConnectionError, HeraldError,
                    NotFoundError, ValidationError)

from ._support import require_server


class FlakyProxy:
    """Forwards requests to the server, but drops the connection of the
    first ``drops`` requests without an answer. ``seen`` counts requests."""

    def __init__(self, target: str, drops: int) -> None:
        self.seen = 0
        self.drops = drops
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self) -> None:
                outer.seen += 1
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                if outer.seen <= outer.drops:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                req = urllib.request.Request(target + self.path, data=body, method=self.command,
                                             headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    resp = urllib.request.urlopen(req)
                except urllib.error.HTTPError as e:
                    resp = e
                data = resp.read()
                self.send_response(resp.status if hasattr(resp, "status") else resp.code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ErrorsTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.client = HeraldClient()
        self.addCleanup(self.client.close)

    def test_error_answers(self) -> None:
        with self.assertRaises(NotFoundError) as cm:
            self.client.webhooks.get("wh_nope")
        e = cm.exception
        self.assertIsInstance(e, HeraldError)
        self.assertEqual((e.status, e.code), (404, "not_found"))
        self.assertIn("wh_nope", e.message)
        self.assertIn("HTTP 404 not_found", str(e))

        with self.assertRaises(ValidationError) as cm:
            self.client.webhooks.get_deliveries("wh_x", status="lost")
        self.assertEqual(cm.exception.field, "status")

        with self.assertRaises(ValidationError) as cm:
            self.client.events.publish("Not A Type")
        self.assertEqual(cm.exception.field, "type")

        bad = HeraldClient(api_key="hk_not_a_key")
        self.addCleanup(bad.close)
        with self.assertRaises(AuthenticationError) as cm:
            bad.webhooks.list()
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "unauthorized"))
        none = HeraldClient(api_key="")
        self.addCleanup(none.close)
        with self.assertRaises(AuthenticationError):
            none.events.list()

    def test_environment_defaults(self) -> None:
        self.assertEqual(self.client.base_url, os.environ["HERALD_URL"].rstrip("/"))
        self.assertEqual(self.client._transport.api_key, os.environ["HERALD_API_KEY"])
        self.assertEqual(HeraldClient(base_url="127.0.0.1:9").base_url, "http://127.0.0.1:9")
        self.assertEqual(HeraldClient(tenant="acme")._transport.headers()["X-Herald-Tenant"], "acme")

    def test_idempotent_requests_are_retried(self) -> None:
        proxy = FlakyProxy(os.environ["HERALD_URL"], drops=2)
        self.addCleanup(proxy.close)
        client = HeraldClient(base_url=proxy.url)
        self.addCleanup(client.close)
        self.assertGreaterEqual(client.webhooks.list().total, 0)
        self.assertEqual(proxy.seen, 3)

        # POST is not retried: the first drop is an error.
        proxy.seen, proxy.drops = 0, 1
        with self.assertRaises(HeraldConnectionError) as cm:
            client.events.publish("sdk.retry_test")
        self.assertIsNone(cm.exception.status)
        self.assertEqual(proxy.seen, 1)

        # Past max_retries, GET fails too.
        proxy.seen, proxy.drops = 0, 10
        few = HeraldClient(base_url=proxy.url, max_retries=1)
        self.addCleanup(few.close)
        with self.assertRaises(HeraldConnectionError):
            few.webhooks.list()
        self.assertEqual(proxy.seen, 2)

    def test_async_retries_and_unreachable(self) -> None:
        import asyncio

        proxy = FlakyProxy(os.environ["HERALD_URL"], drops=1)
        self.addCleanup(proxy.close)

        async def run() -> None:
            async with AsyncHeraldClient(base_url=proxy.url) as client:
                await client.webhooks.alist()
                self.assertEqual(proxy.seen, 2)
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            sock.close()  # nothing listens there now
            async with AsyncHeraldClient(base_url=f"http://127.0.0.1:{port}", max_retries=0) as dead:
                with self.assertRaises(HeraldConnectionError) as cm:
                    await dead.webhooks.alist()
                self.assertIn("cannot reach Herald", str(cm.exception))
        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
