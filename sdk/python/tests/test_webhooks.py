"""client.webhooks and client.deliveries against a real server and a real
receiver."""

from __future__ import annotations

import unittest

from herald import Delivery, HeraldClient, NotFoundError, Page, ValidationError, Webhook

from ._support import Receiver, require_server, unique


class WebhooksTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.client = HeraldClient()
        self.addCleanup(self.client.close)
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)

    def hook(self, **kw) -> Webhook:
        kw.setdefault("url", self.receiver.url)
        kw.setdefault("events", [unique("sdk") + ".*"])
        wh = self.client.webhooks.create(**kw)
        self.addCleanup(lambda: self.client.webhooks.delete(wh.id) if self._exists(wh.id) else None)
        return wh

    def _exists(self, webhook_id: str) -> bool:
        try:
            self.client.webhooks.get(webhook_id)
            return True
        except NotFoundError:
            return False

    def test_crud(self) -> None:
        name = unique("crud")
        wh = self.hook(name=name, description="d", headers={"X-Team": "ops"}, timeout_seconds=5, max_retries=1,
                       retry_schedule=["1s"], signature_header="X-Sig", signature_format="hex")
        self.assertTrue(wh.id.startswith("wh_"))
        self.assertTrue(wh.secret.startswith("whsec_"))
        self.assertEqual(len(wh.warnings), 1)  # the pattern matches no catalogue type
        self.assertEqual((wh.name, wh.headers, wh.timeout_seconds, wh.max_retries, wh.retry_schedule),
                         (name, {"X-Team": "ops"}, 5, 1, ["1s"]))
        self.assertEqual((wh.signature_header, wh.signature_format, wh.is_active), ("X-Sig", "hex", True))
        self.assertIsNotNone(wh.created_at.tzinfo)

        got = self.client.webhooks.get(webhook_id=wh.id)
        self.assertEqual(got.id, wh.id)
        self.assertIsNone(got.secret)

        page = self.client.webhooks.list(limit=1000)
        self.assertIsInstance(page, Page)
        self.assertIn(wh.id, [w.id for w in page])
        self.assertEqual(page.total, len(page))
        self.assertEqual(page.limit, 1000)
        self.assertEqual(self.client.webhooks.list(limit=1).limit, 1)
        self.assertEqual(len(self.client.webhooks.list(limit=1)), 1)

        up = self.client.webhooks.update(webhook_id=wh.id, is_active=False, events=["a.b"])
        self.assertFalse(up.is_active)
        self.assertEqual(up.events, ["a.b"])
        self.assertEqual(up.name, name)  # kept
        self.assertEqual(up.disabled_reason, "manual")
        self.assertTrue(self.client.webhooks.enable(wh.id).is_active)
        self.assertFalse(self.client.webhooks.disable(wh.id).is_active)

        self.assertIsNone(self.client.webhooks.delete(webhook_id=wh.id))
        with self.assertRaises(NotFoundError):
            self.client.webhooks.get(wh.id)

    def test_agent_webhooks(self) -> None:
        agent = unique("agent")
        wh = self.hook(agent_id=agent)
        self.hook()
        self.assertEqual([w.id for w in self.client.webhooks.list(agent_id=agent)], [wh.id])

    def test_deliveries(self) -> None:
        typ = unique("sdk") + ".done"
        wh = self.hook(events=[typ])
        res = self.client.events.publish(typ, {"n": 1})
        self.assertEqual(res.deliveries, 1)
        got = self.receiver.wait(1)
        self.assertEqual(got[0].header("X-Webhook-Event"), typ)
        delivery_id = got[0].header("X-Webhook-Delivery")

        d = self.client.deliveries.get(wh.id, delivery_id)
        self.assertIsInstance(d, Delivery)
        self.assertEqual((d.event, d.webhook_id, d.event_id), (typ, wh.id, res.id))
        # The server records the attempt after the receiver answered.
        ev = self.client.events.get(res.id)
        self.assertEqual([x.id for x in ev.deliveries], [delivery_id])

        test = self.client.webhooks.test(wh.id)
        self.assertTrue(test.success)
        self.assertEqual(test.status_code, 200)
        self.assertFalse(test.pending)
        self.receiver.wait(2)

        page = self.client.webhooks.get_deliveries(webhook_id=wh.id, event="webhook.test", success=True)
        self.assertEqual([x.id for x in page], [test.delivery_id])
        one = page[0]
        self.assertEqual((one.event, one.success, one.attempts, one.error_message, one.status),
                         ("webhook.test", True, 1, "", "success"))
        self.assertEqual(self.client.webhooks.get_deliveries(wh.id, success=False, event="webhook.test").total, 0)
        self.assertEqual(self.client.deliveries.list(wh.id, status="success", since="1h").total,
                         self.client.webhooks.get_deliveries(wh.id, status="success", since="1h").total)

        full = self.client.webhooks.get_delivery(wh.id, test.delivery_id)
        self.assertEqual(len(full.attempt_list), 1)
        self.assertEqual(full.attempt_list[0].status_code, 200)
        self.assertTrue(full.attempt_list[0].success)

        again = self.client.deliveries.retry(wh.id, test.delivery_id)
        self.assertEqual(again.status, "pending")
        self.receiver.wait(3)

    def test_failed_delivery(self) -> None:
        self.receiver.status = 503
        wh = self.hook(max_retries=0)
        res = self.client.webhooks.test(wh.id)
        self.assertFalse(res.success)
        self.assertEqual(res.status_code, 503)
        d = self.client.webhooks.get_deliveries(wh.id, success=False)[0]
        self.assertEqual((d.success, d.status, d.attempts, d.response_status_code), (False, "failed", 1, 503))
        self.assertTrue(d.error_message)
        health = self.client.webhooks.health(wh.id)
        self.assertEqual(health.webhook_id, wh.id)
        self.assertEqual(health.windows[0].failed, 1)
        # A failed delivery is sent again on demand.
        self.receiver.wait(1)
        self.receiver.status = 200
        again = self.client.webhooks.retry_delivery(wh.id, d.id)
        self.assertEqual((again.id, again.status), (d.id, "pending"))
        self.assertEqual(self.receiver.wait(2)[1].header("X-Webhook-Delivery"), d.id)

    def test_rotate_secret(self) -> None:
        wh = self.hook(secret="first-secret-value")
        rotated = self.client.webhooks.rotate_secret(wh.id, grace_period="1h")
        self.assertTrue(rotated.secret.startswith("whsec_"))
        self.assertNotEqual(rotated.secret, "first-secret-value")
        self.assertIsNotNone(rotated.previous_secret_expires_at)
        given = self.client.webhooks.rotate_secret(wh.id, secret="third-secret-value", grace_period="0")
        self.assertEqual(given.secret, "third-secret-value")

    def test_bad_input(self) -> None:
        with self.assertRaises(ValidationError) as cm:
            self.client.webhooks.create(url="ftp://example.com", events=["a.b"])
        self.assertEqual(cm.exception.field, "url")
        self.assertEqual(cm.exception.status, 400)
        self.assertEqual(cm.exception.code, "invalid")
        with self.assertRaises(ValidationError) as cm:
            self.client.webhooks.create(url=self.receiver.url, events=["a.b"], timeout_seconds=999)
        self.assertEqual(cm.exception.field, "timeout_seconds")
        with self.assertRaises(ValueError):
            self.client.webhooks.get("..")
        with self.assertRaises(NotFoundError):
            self.client.webhooks.get_deliveries("wh_missing")


if __name__ == "__main__":
    unittest.main()
