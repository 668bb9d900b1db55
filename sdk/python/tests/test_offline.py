"""What needs no server: parsing answers, signatures against known vectors,
and the package's build."""

from __future__ import annotations

import email.parser
import os
import re
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile
from datetime import datetime, timedelta, timezone

import herald
from herald import Delivery, Page, SignatureError, ValidationError, Webhook
from herald.errors import error_from_answer
from herald.models import parse_time, page_of

ROOT = pathlib.Path(__file__).resolve().parent.parent


class ModelsTest(unittest.TestCase):
    def test_unknown_fields_are_kept(self) -> None:
        wh = Webhook.from_dict({"id": "wh_1", "is_active": False, "brand_new": {"x": 1}, "extra": 5})
        self.assertEqual((wh.id, wh.is_active), ("wh_1", False))
        self.assertEqual(wh.extra, {"brand_new": {"x": 1}, "extra": 5})
        self.assertEqual(wh["brand_new"], {"x": 1})
        self.assertEqual(wh["id"], "wh_1")

    def test_nested_and_times(self) -> None:
        d = Delivery.from_dict({"id": "dlv_1", "attempts": 2, "created_at": "2026-12-04T03:45:04.123456Z",
                                "attempt_list": [{"number": 1, "status_code": 500, "new": True}]})
        self.assertEqual(d.created_at, datetime(2026, 12, 4, 3, 45, 4, 123456, tzinfo=timezone.utc))
        self.assertEqual(d.attempt_list[0].status_code, 500)
        self.assertEqual(d.attempt_list[0].extra, {"new": True})
        self.assertEqual(parse_time("2026-01-02T03:04:05+02:00"),
                         datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))))
        self.assertEqual(parse_time("2026-01-02T03:04:05.1234567891Z").microsecond, 123456)
        self.assertEqual(parse_time("not a time"), "not a time")

    def test_pages(self) -> None:
        p = page_of(Webhook, {"items": [{"id": "a"}, {"id": "b"}], "total": 7, "skip": 0, "limit": 2})
        self.assertIsInstance(p, Page)
        self.assertEqual([w.id for w in p], ["a", "b"])
        self.assertEqual((p.total, len(p), p[1].id), (7, 2, "b"))
        self.assertFalse(page_of(Webhook, {"items": []}))

    def test_errors(self) -> None:
        e = error_from_answer(400, {"error": {"code": "invalid", "message": "events[2]: bad pattern"}}, "")
        self.assertIsInstance(e, ValidationError)
        self.assertEqual((e.field, e.code, e.status), ("events[2]", "invalid", 400))
        self.assertIsNone(ValidationError("no field here").field)
        proxy = error_from_answer(502, None, "<html>Bad gateway</html>\nmore")
        self.assertEqual((proxy.code, proxy.message, proxy.status), ("unavailable", "<html>Bad gateway</html>", 502))
        limited = error_from_answer(429, {"error": {"code": "rate_limited", "message": "slow down"}}, "", "7")
        self.assertEqual(limited.retry_after, 7.0)


class SignatureVectorsTest(unittest.TestCase):
    # RFC 4231 test case 2 and the Standard Webhooks reference vector, as
    # signature/signature_test.go checks them on the Go side.
    RFC_BODY = b"what do ya want for nothing?"
    RFC_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    RFC_B64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    STD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    STD_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    STD_TS = 1614265330
    STD_BODY = b'{"test": 2432232314}'
    STD_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    def test_hmac_formats(self) -> None:
        self.assertEqual(herald.webhooks.sign(self.RFC_BODY, "Jefe"), "sha256=" + self.RFC_HEX)
        self.assertEqual(herald.webhooks.sign(self.RFC_BODY, "Jefe", "hex"), self.RFC_HEX)
        self.assertEqual(herald.webhooks.sign(self.RFC_BODY, "Jefe", "base64"), self.RFC_B64)
        for value in ("sha256=" + self.RFC_HEX, self.RFC_HEX, self.RFC_B64, "  " + self.RFC_HEX + "\r\n"):
            herald.webhooks.verify(self.RFC_BODY, {"X-Webhook-Signature": value}, "Jefe")
        with self.assertRaises(SignatureError):
            herald.webhooks.verify(self.RFC_BODY, {"X-Webhook-Signature": self.RFC_HEX.upper()}, "Jefe")
        with self.assertRaises(SignatureError):
            herald.webhooks.verify(self.RFC_BODY, {"X-Webhook-Signature": self.RFC_B64}, "Jefe", format="hex")
        herald.webhooks.verify(self.RFC_BODY, {"X-Webhook-Signature": "sha256=" + "0" * 64,
                                               "X-Webhook-Signature-Previous": "x " + self.RFC_HEX}, "Jefe")

    def test_standard_webhooks(self) -> None:
        self.assertEqual(herald.webhooks.standard_sign(self.STD_BODY, self.STD_SECRET, self.STD_ID, self.STD_TS),
                         self.STD_SIG)
        headers = {"webhook-id": self.STD_ID, "webhook-timestamp": str(self.STD_TS),
                   "webhook-signature": "v2,abc v1,bm90IGl0 " + self.STD_SIG}
        self.assertEqual(herald.webhooks.verify(self.STD_BODY, headers, self.STD_SECRET, now=self.STD_TS),
                         {"test": 2432232314})
        with self.assertRaises(SignatureError) as cm:
            herald.webhooks.verify(self.STD_BODY, headers, self.STD_SECRET)  # years later
        self.assertEqual(cm.exception.reason, "stale")
        headers["webhook-signature"] = "v2," + self.STD_SIG[3:]
        with self.assertRaises(SignatureError) as cm:
            herald.webhooks.verify(self.STD_BODY, headers, self.STD_SECRET, now=self.STD_TS)
        self.assertEqual(cm.exception.reason, "mismatch")
        with self.assertRaises(ValueError):
            herald.webhooks.verify(self.STD_BODY, headers, "")
        with self.assertRaises(ValueError):
            herald.webhooks.verify(self.STD_BODY, headers, self.STD_SECRET, mode="neither")


class PackageTest(unittest.TestCase):
    def test_wheel(self) -> None:
        """pyproject.toml builds a wheel with py.typed, Python >= 3.9 and
        httpx (with the interpreter's own setuptools, offline)."""
        have = subprocess.run([sys.executable, "-c", "import setuptools, pip"], capture_output=True, text=True)
        if have.returncode != 0:
            if os.environ.get("CI") == "true":
                self.fail("pip and setuptools are needed to build the wheel: " + have.stderr)
            self.skipTest("pip and setuptools are needed to build the wheel")
        with tempfile.TemporaryDirectory() as tmp:
            src = pathlib.Path(tmp, "src")
            shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
                                  "--no-index", "-q", "-w", str(pathlib.Path(tmp, "dist")), str(src)],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            (wheel,) = pathlib.Path(tmp, "dist").glob("herald_sdk-*.whl")
            with zipfile.ZipFile(wheel) as z:
                names = z.namelist()
                meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
                info = email.parser.Parser().parsestr(z.read(meta).decode())
        self.assertIn("herald/py.typed", names)
        self.assertIn("herald/webhooks.py", names)
        self.assertEqual(info["Name"], "herald-sdk")
        self.assertEqual(info["Requires-Python"], ">=3.9")
        self.assertEqual([re.split(r"[ (<>=]", r)[0] for r in info.get_all("Requires-Dist")], ["httpx"])


if __name__ == "__main__":
    unittest.main()
