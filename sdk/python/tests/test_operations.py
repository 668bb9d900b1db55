"""Recover, replay and replay-missing, operations, delivery stats, the
database's stats and a tenant's retention, against a real server."""

from __future__ import annotations

import asyncio
import unittest

from herald import (AsyncHeraldClient, ConflictError, DeliveryStats, HeraldClient, NotFoundError, Operation,
                    OperationResult, Stats, ValidationError)

from ._support import Receiver, require_server, unique


class OperationsTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.client = HeraldClient()
        self.addCleanup(self.client.close)
        self.receiver = Receiver(status=500)
        self.addCleanup(self.receiver.close)

    def test_recover_replay_and_replay_missing(self) -> None:
        own, later = unique("ops") + ".own", unique("ops") + ".later"
        wh = self.client.webhooks.create(url=self.receiver.url, events=[own], max_retries=0)
        failed = self.client.webhooks.test(wh.id)
        self.assertFalse(failed.success)
        self.receiver.wait(1)
        self.receiver.status = 200

        res = self.client.webhooks.recover(wh.id, since="1h")
        self.assertIsInstance(res, OperationResult)
        self.assertEqual((res.recovered, res.count), (1, 1))
        op = res.operation
        self.assertIsInstance(op, Operation)
        self.assertEqual((op.kind, op.webhook_id, op.total), ("recover", wh.id, 1))
        self.assertIsNotNone(op.since)
        done = self.client.operations.wait(op.id, interval=0.05)
        self.assertEqual((done.status, done.done, done.finished), ("succeeded", 1, True))
        self.assertIsNotNone(done.finished_at)
        self.receiver.wait(2)

        ev = self.client.events.publish(own, {"n": 1})
        self.receiver.wait(3)
        rep = self.client.events.replay(ev.id, webhook_ids=[wh.id])
        self.assertEqual((rep.replayed, rep.operation.kind, rep.operation.event_id), (1, "replay", ev.id))
        self.assertEqual(rep.operation.webhook_ids, [wh.id])
        self.assertEqual(self.client.operations.wait(rep.operation.id, interval=0.05).status, "succeeded")
        self.receiver.wait(4)
        again = self.client.events.replay(ev.id)  # every webhook that matches it now: this one
        self.assertEqual(again.count, 1)
        self.client.operations.wait(again.operation.id, interval=0.05)
        self.receiver.wait(5)

        missed = self.client.events.publish(later, {"n": 2})
        self.assertEqual(missed.deliveries, 0)
        self.client.webhooks.update(wh.id, events=[own, later])
        miss = self.client.webhooks.replay_missing(wh.id, since="1h", until="now")
        self.assertEqual((miss.replayed, miss.operation.kind), (1, "replay_missing"))
        self.assertEqual(self.client.operations.wait(miss.operation.id, interval=0.05).done, 1)
        got = self.receiver.wait(6)
        self.assertIn(later.encode(), got[5].body)

        ids = [o.id for o in self.client.operations.list(limit=1000)]
        for o in (op, rep.operation, again.operation, miss.operation):
            self.assertIn(o.id, ids)
        self.assertEqual(self.client.operations.get(op.id).kind, "recover")
        with self.assertRaises(NotFoundError):
            self.client.operations.get("op_missing")
        with self.assertRaises(ValidationError):
            self.client.webhooks.recover(wh.id, since="")
        with self.assertRaises(NotFoundError):
            self.client.events.replay("evt_missing")

        self.client.webhooks.disable(wh.id)
        with self.assertRaises(ConflictError):
            self.client.webhooks.recover(wh.id, since="1h")

        st = self.client.deliveries.stats(webhook_id=wh.id, window="1h")
        self.assertIsInstance(st, DeliveryStats)
        self.assertEqual((st.window, st.webhook_id, st.bucket_seconds), ("1h", wh.id, 60))
        self.assertEqual(len(st.buckets), 60)
        # The test delivery (recovered), the publish and three replays.
        self.assertEqual(sum(b.succeeded + b.failed + b.pending for b in st.buckets), 5)
        self.assertEqual(self.client.deliveries.stats().window, "24h")
        with self.assertRaises(ValidationError):
            self.client.deliveries.stats(window="2h")
        with self.assertRaises(NotFoundError):
            self.client.deliveries.stats(webhook_id="wh_missing")

    def test_stats(self) -> None:
        st = self.client.stats()
        self.assertIsInstance(st, Stats)
        self.assertIn(st.engine, ("sqlite", "postgres"))
        self.assertIn("events", [t.table for t in st.tables])
        self.assertGreater(st.total_bytes, 0)

    def test_tenant_retention(self) -> None:
        tid = unique("ret")
        t = self.client.tenants.put(tid, name="Kept", retention="7d")
        self.assertEqual((t.created, t.retention), (True, "7d"))
        self.assertEqual(self.client.tenants.put(tid, name="Still").retention, "7d")
        self.assertEqual(self.client.tenants.get(tid).retention, "7d")
        self.assertIsNone(self.client.tenants.put(tid, retention=None).retention)
        self.assertEqual(self.client.tenants.put(tid, retention="0").retention, "0s")  # keeps everything
        with self.assertRaises(ValidationError):
            self.client.tenants.put(tid, retention="1s")
        self.client.tenants.delete(tid)

    def test_async(self) -> None:
        self.receiver.status = 200

        async def run() -> None:
            async with AsyncHeraldClient() as client:
                typ = unique("aops") + ".x"
                wh = await client.webhooks.acreate(url=self.receiver.url, events=[typ])
                ev = await client.events.publish(typ, {})
                self.receiver.wait(1)
                res = await client.events.areplay(ev.id, webhook_ids=[wh.id])
                op = await client.operations.wait(res.operation.id, interval=0.05)
                self.assertEqual((op.status, op.done), ("succeeded", 1))
                self.assertEqual((await client.operations.aget(op.id)).id, op.id)
                self.assertIn(op.id, [o.id for o in await client.operations.alist(limit=1000)])
                rec = await client.webhooks.arecover(wh.id, since="1h")
                self.assertEqual(rec.recovered, 0)
                miss = await client.webhooks.replay_missing(wh.id, since="1h")
                self.assertEqual(miss.replayed, 0)
                self.assertEqual((await client.deliveries.astats(webhook_id=wh.id)).window, "24h")
                self.assertIn((await client.stats()).engine, ("sqlite", "postgres"))
                self.assertEqual((await getattr(client.operations, "await")(op.id)).id, op.id)
            self.receiver.wait(2)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
