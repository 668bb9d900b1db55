"""AsyncHeraldClient against a real server: the a-prefixed and plain names,
context managers, errors and concurrency."""

from __future__ import annotations

import asyncio
import unittest

from herald import AsyncHeraldClient, AsyncMutxClient, HeraldClient, NotFoundError, ValidationError, Webhook

from ._support import Receiver, require_server, unique


class AsyncClientTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)

    def test_webhooks(self) -> None:
        async def run() -> None:
            async with AsyncHeraldClient() as client:
                wh = await client.webhooks.acreate(url=self.receiver.url, events=["webhook.test"], name=unique("a"))
                self.assertIsInstance(wh, Webhook)
                same = await client.webhooks.create(url=self.receiver.url, events=["webhook.test"])
                self.assertEqual((await client.webhooks.get(same.id)).id, same.id)
                ids = [w.id for w in await client.webhooks.alist(limit=1000)]
                self.assertIn(wh.id, ids)
                self.assertEqual((await client.webhooks.aget(webhook_id=wh.id)).name, wh.name)
                up = await client.webhooks.aupdate(webhook_id=wh.id, description="async")
                self.assertEqual(up.description, "async")
                res = await client.webhooks.atest(wh.id)
                self.assertTrue(res.success)
                deliveries = await client.webhooks.aget_deliveries(webhook_id=wh.id, event="webhook.test", success=True)
                self.assertEqual([d.id for d in deliveries], [res.delivery_id])
                self.assertEqual(deliveries.total, 1)
                await client.webhooks.adelete(webhook_id=wh.id)
                await client.webhooks.delete(same.id)
                with self.assertRaises(NotFoundError):
                    await client.webhooks.aget(wh.id)
                with self.assertRaises(ValidationError) as cm:
                    await client.webhooks.acreate(url="nope", events=["a.b"])
                self.assertEqual(cm.exception.field, "url")
        asyncio.run(run())

    def test_other_resources(self) -> None:
        async def run() -> None:
            client = AsyncMutxClient()
            agent = unique("async_agent")
            reports = await asyncio.gather(*[
                client.ingest.aagent_status(agent_id=f"{agent}_{i}", status="running") for i in range(5)])
            self.assertEqual({r.agent.id for r in reports}, {f"{agent}_{i}" for i in range(5)})
            await client.ingest.ametrics(agent_id=f"{agent}_0", metrics={"cpu": 1.0})
            await client.ingest.adeployment(deployment_id=unique("d"), agent_id=f"{agent}_0", status="created")
            self.assertEqual((await client.agents.aget(f"{agent}_0")).status, "deploying")
            self.assertEqual(len((await client.agents.alogs(f"{agent}_0")).items), 0)
            self.assertEqual((await client.deployments.alist(agent_id=f"{agent}_0")).total, 1)
            self.assertEqual([p.value for p in (await client.agents.ametrics(f"{agent}_0", name="cpu")).points], [1.0])
            ev = await client.events.apublish(unique("x") + ".y", {"a": 1})
            self.assertEqual((await client.events.aget(ev.id)).data, {"a": 1})
            self.assertGreater(len(await client.event_types.alist()), 0)
            self.assertGreater(len(await client.keys.alist()), 0)
            self.assertGreaterEqual((await client.alerts.alist()).total, 0)
            self.assertGreaterEqual((await client.invocations.alist()).total, 0)
            self.assertGreaterEqual((await client.inbound.alist()).total, 0)
            tid = unique("t")
            self.assertTrue((await client.tenants.aput(tid, name="T")).created)
            self.assertTrue((await client.tenants.aportal(tid)).url)
            scoped = client.for_tenant(tid)
            self.assertEqual((await scoped.webhooks.alist()).total, 0)
            await client.tenants.adelete(tid)
            await client.aclose()
        asyncio.run(run())

    def test_sync_client_context_manager(self) -> None:
        with HeraldClient() as client:
            self.assertTrue(client.base_url.startswith("http://127.0.0.1:"))
            self.assertGreaterEqual(client.webhooks.list().total, 0)
        self.assertTrue(client._transport.http.is_closed)


if __name__ == "__main__":
    unittest.main()
