"""herald.webhooks.verify on deliveries a real server sent to a real
receiver: every signature format, Standard Webhooks, secret rotation, and
the Flask example."""

from __future__ import annotations

import importlib.util
import logging
import os
import pathlib
import threading
import unittest

import herald
from herald import HeraldClient, SignatureError

from ._support import Receiver, require_server

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


class VerifyTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.client = HeraldClient()
        self.addCleanup(self.client.close)
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)

    def deliver(self, **kw):
        """Create a webhook to the receiver, send it a test event, and return
        the webhook and the request the receiver got."""
        wh = self.client.webhooks.create(url=self.receiver.url, events=["webhook.test"], **kw)
        self.addCleanup(self.client.webhooks.delete, wh.id)
        n = len(self.receiver.requests)
        self.assertTrue(self.client.webhooks.test(wh.id).success)
        return wh, self.receiver.wait(n + 1)[n]

    def test_default_delivery(self) -> None:
        wh, req = self.deliver()
        self.assertTrue(req.header("X-Webhook-Signature").startswith("sha256="))
        payload = herald.webhooks.verify(req.body, req.headers, wh.secret)
        self.assertEqual(payload["event"], "webhook.test")
        self.assertEqual(payload["webhook"]["id"], wh.id)
        self.assertEqual(herald.verify, herald.webhooks.verify)
        for mode in ("either", "hmac", "standard", "both"):
            herald.webhooks.verify(req.body, dict(req.headers), wh.secret, mode=mode)
        # A header object with other casing, and str bodies, work too.
        herald.webhooks.verify(req.body.decode(), [(k.upper(), v) for k, v in req.headers], wh.secret)

        for mode in ("either", "hmac", "standard", "both"):
            with self.assertRaises(SignatureError) as cm:
                herald.webhooks.verify(req.body + b" ", req.headers, wh.secret, mode=mode)
            self.assertEqual(cm.exception.reason, "mismatch")
            with self.assertRaises(SignatureError) as cm:
                herald.webhooks.verify(req.body, req.headers, "whsec_" + "A" * 44, mode=mode)
            self.assertEqual(cm.exception.reason, "mismatch")

    def test_standard_webhooks(self) -> None:
        wh, req = self.deliver()
        ts = int(req.header("webhook-timestamp"))
        self.assertEqual(req.header("webhook-id"), herald.webhooks.verify(req.body, req.headers, wh.secret)["id"])
        self.assertEqual(req.header("webhook-signature"),
                         herald.webhooks.standard_sign(req.body, wh.secret, req.header("webhook-id"), ts))
        # The tolerance is 5 minutes either way.
        herald.webhooks.verify(req.body, req.headers, wh.secret, now=ts + 299)
        herald.webhooks.verify(req.body, req.headers, wh.secret, now=ts - 299)
        for now in (ts + 301, ts - 301):
            with self.assertRaises(SignatureError) as cm:
                herald.webhooks.verify(req.body, req.headers, wh.secret, now=now)
            self.assertEqual(cm.exception.reason, "stale")
        herald.webhooks.verify(req.body, req.headers, wh.secret, now=ts + 3600, tolerance=0)
        herald.webhooks.verify(req.body, req.headers, wh.secret, now=ts + 3600, mode="hmac")
        # Without the Standard Webhooks headers, "either" checks the HMAC header.
        hmac_only = [(k, v) for k, v in req.headers if not k.lower().startswith("webhook-")]
        herald.webhooks.verify(req.body, hmac_only, wh.secret)
        with self.assertRaises(SignatureError) as cm:
            herald.webhooks.verify(req.body, hmac_only, wh.secret, mode="standard")
        self.assertEqual(cm.exception.reason, "missing")
        with self.assertRaises(SignatureError) as cm:
            herald.webhooks.verify(req.body, [], wh.secret)
        self.assertEqual(cm.exception.reason, "missing")
        bad_ts = [(k, "soon" if k.lower() == "webhook-timestamp" else v) for k, v in req.headers]
        with self.assertRaises(SignatureError) as cm:
            herald.webhooks.verify(req.body, bad_ts, wh.secret)
        self.assertEqual(cm.exception.reason, "stale")

    def test_formats(self) -> None:
        for fmt, header in (("hex", "X-SwiftClaw-Signature"), ("base64", "X-Sig-B64"), ("sha256=hex", "X-Mutx")):
            wh, req = self.deliver(secret="plain-shared-secret", signature_format=fmt, signature_header=header)
            value = req.header(header)
            self.assertEqual(value, herald.webhooks.sign(req.body, "plain-shared-secret", fmt))
            herald.webhooks.verify(req.body, req.headers, wh.secret, header=header, mode="hmac")
            herald.webhooks.verify(req.body, req.headers, wh.secret, header=header, format=fmt, mode="both")
            with self.assertRaises(SignatureError) as cm:
                herald.webhooks.verify(req.body, req.headers, wh.secret, mode="hmac")  # X-Webhook-Signature
            self.assertEqual(cm.exception.reason, "missing")
            other = "hex" if fmt != "hex" else "base64"
            with self.assertRaises(SignatureError):
                herald.webhooks.verify(req.body, req.headers, wh.secret, header=header, format=other, mode="hmac")

    def test_rotation(self) -> None:
        wh, _ = self.deliver(secret="old-secret-value")
        rotated = self.client.webhooks.rotate_secret(wh.id, grace_period="1h")
        n = len(self.receiver.requests)
        self.assertTrue(self.client.webhooks.test(wh.id).success)
        req = self.receiver.wait(n + 1)[n]
        self.assertEqual(len(req.header("webhook-signature").split()), 2)
        self.assertTrue(req.header("X-Webhook-Signature-Previous"))
        for secret in ("old-secret-value", rotated.secret, [rotated.secret, "unrelated-secret"]):
            for mode in ("hmac", "standard", "both"):
                herald.webhooks.verify(req.body, req.headers, secret, mode=mode)
        with self.assertRaises(SignatureError):
            herald.webhooks.verify(req.body, req.headers, "never-this-one", mode="hmac")

    def test_flask_example(self) -> None:
        try:
            from werkzeug.serving import make_server
        except ImportError:
            if os.environ.get("CI") == "true":
                raise
            self.skipTest("flask is not installed for this python")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        spec = importlib.util.spec_from_file_location("flask_receiver", EXAMPLES / "flask_receiver.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        server = make_server("127.0.0.1", 0, mod.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.shutdown)
        url = f"http://127.0.0.1:{server.server_port}/webhooks/herald"

        wh = self.client.webhooks.create(url=url, events=["webhook.test"], max_retries=0)
        self.addCleanup(self.client.webhooks.delete, wh.id)
        mod.app.config["WEBHOOK_SECRET"] = wh.secret
        ok = self.client.webhooks.test(wh.id)
        self.assertEqual((ok.success, ok.status_code), (True, 200))
        mod.app.config["WEBHOOK_SECRET"] = "whsec_" + "B" * 44
        refused = self.client.webhooks.test(wh.id)
        self.assertEqual((refused.success, refused.status_code), (False, 401))
        d = self.client.webhooks.get_delivery(wh.id, refused.delivery_id)
        self.assertIn("invalid signature: mismatch", d.attempt_list[0].response_body)

    def test_fastapi_example_compiles(self) -> None:
        src = (EXAMPLES / "fastapi_receiver.py").read_text()
        compile(src, "fastapi_receiver.py", "exec")
        self.assertIn("herald.webhooks.verify(body, request.headers, WEBHOOK_SECRET)", src)


if __name__ == "__main__":
    unittest.main()
