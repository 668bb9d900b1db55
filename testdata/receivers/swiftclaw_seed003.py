# Herald end-to-end test receiver: the Python handler from the user's seed
# document 003 (SwiftClaw "Webhooks", "Signature Verification"), kept verbatim
# in its logic: X-SwiftClaw-Signature is the hex HMAC-SHA256 of the raw body
# under the webhook's secret, compared with hmac.compare_digest; a mismatch
# answers 401 {"error": "Invalid signature"}, an accepted event
# {"received": true}.
#
# Changes for the test harness (internal/receivertest), marked "harness:":
#   - the seed's handler is an async framework view (@app.post, await
#     request.body()) for a framework the seed does not name; the harness
#     provides that "app" and "request" on the standard library's
#     http.server, running each view with asyncio.run, so nothing beyond
#     Debian's /usr/bin/python3 is needed;
#   - webhook_secret comes from env WEBHOOK_SECRET; the seed leaves it free;
#   - process_event, which the seed leaves to the reader, prints
#     {"received": <id>, "event": <type>, "webhook_id": null,
#      "agent": <data.agent_id, else data.agent>}
#     as one JSON line on stdout, flushed immediately;
#   - an exception in the view (a missing signature makes compare_digest
#     raise TypeError) answers 500, as a framework would;
#   - the server binds 127.0.0.1 on env PORT (0 = ephemeral) and prints
#     {"listening": <port>} as one JSON line on stdout.
import asyncio  # harness
import json
import os  # harness
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # harness

import hmac
import hashlib


class _App:  # harness: the async framework's app, reduced to @app.post
    def __init__(self):
        self.routes = {}

    def post(self, path):
        def register(view):
            self.routes[path] = view
            return view
        return register


class _Request:  # harness: the framework's request: await body(), headers
    def __init__(self, handler, payload):
        self.headers = handler.headers
        self._payload = payload

    async def body(self):
        return self._payload


app = _App()  # harness
webhook_secret = os.environ.get("WEBHOOK_SECRET", "")  # harness


async def process_event(event):  # harness: report the accepted event
    data = event.get("data") or {}
    print(json.dumps({
        "received": event.get("id"),
        "event": event.get("type"),
        "webhook_id": None,
        "agent": data.get("agent_id", data.get("agent")),
    }), flush=True)


# --- seed 003, verbatim ---
def verify_webhook(payload: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(
        secret.encode(),
        payload,
        hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(signature, expected)


# Usage
@app.post("/webhooks/swiftclaw")
async def handle_webhook(request):
    payload = await request.body()
    signature = request.headers.get("X-SwiftClaw-Signature")
    if not verify_webhook(payload, signature, webhook_secret):
        return {"error": "Invalid signature"}, 401
    # Process webhook
    event = json.loads(payload)
    await process_event(event)
    return {"received": True}
# --- end of seed 003 ---


class _Handler(BaseHTTPRequestHandler):  # harness: serve the routes
    def do_POST(self):
        view = app.routes.get(self.path)
        if view is None:
            self._answer({"error": "not found"}, 404)
            return
        payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            result = asyncio.run(view(_Request(self, payload)))
        except Exception as e:
            self._answer({"error": repr(e)}, 500)
            return
        status = 200
        if isinstance(result, tuple):
            result, status = result
        self._answer(result, status)

    def _answer(self, body, status):
        b = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3000"))), _Handler)
    print(json.dumps({"listening": server.server_port}), flush=True)
    server.serve_forever()
