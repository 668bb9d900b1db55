"""Every other resource of the client against a real server: events, event
types, keys, tenants and portal links, ingest, agents, deployments, alerts,
inbound webhooks and invocations."""

from __future__ import annotations

import unittest
from datetime import datetime

from herald import (AuthenticationError, ConflictError, ForbiddenError, HeraldClient, NotFoundError,
                    RateLimitError, ValidationError)

from ._support import Receiver, require_server, unique


class ResourcesTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.client = HeraldClient()
        self.addCleanup(self.client.close)

    def test_events(self) -> None:
        typ = unique("evt") + ".happened"
        res = self.client.events.publish(typ, {"agent_id": "a-ev"}, id=unique("idem"))
        self.assertTrue(res.id)
        self.assertEqual((res.type, res.deliveries, res.duplicate), (typ, 0, False))
        self.assertIsInstance(res.timestamp, datetime)
        again = self.client.events.publish(typ, {"agent_id": "a-ev"}, id=res.id)
        self.assertTrue(again.duplicate)
        page = self.client.events.list(type=typ)
        self.assertEqual([e.id for e in page], [res.id])
        self.assertEqual(page.total, 1)
        ev = self.client.events.get(res.id)
        self.assertEqual((ev.type, ev.data, ev.deliveries), (typ, {"agent_id": "a-ev"}, []))
        self.assertEqual(self.client.events.send(typ, id=res.id).id, res.id)
        with self.assertRaises(NotFoundError):
            self.client.events.get("evt_missing")

    def test_ordering(self) -> None:
        typ = unique("ord") + ".happened"
        wh = self.client.webhooks.create(url="http://127.0.0.1:9/hook", events=[typ], ordering="fifo")
        self.addCleanup(self.client.webhooks.delete, wh.id)
        self.assertEqual(wh.ordering, "fifo")
        self.assertEqual(self.client.webhooks.update(wh.id, ordering="key").ordering, "key")
        self.assertEqual(self.client.webhooks.get(wh.id).ordering, "key")
        res = self.client.events.publish(typ, {"agent_id": "a-ord"}, ordering_key="a-ord")
        self.assertEqual(res.deliveries, 1)
        self.assertEqual(self.client.events.get(res.id).ordering_key, "a-ord")
        with self.assertRaises(ValidationError) as cm:
            self.client.webhooks.update(wh.id, ordering="lifo")
        self.assertIn("ordering", str(cm.exception))

    def test_event_types(self) -> None:
        name = unique("sdk") + ".thing"
        created = self.client.event_types.put(name, description="a thing", example={"n": 1},
                                              schema={"type": "object", "required": ["n"]})
        self.assertTrue(created.created)
        self.assertEqual(created.version, 1)
        updated = self.client.event_types.put(name, description="a thing, v2", example={"n": 2},
                                              schema={"type": "object"})
        self.assertFalse(updated.created)
        self.assertEqual(updated.version, 2)
        got = self.client.event_types.get(name)
        self.assertEqual([v.version for v in got.versions], [1, 2])
        self.assertEqual([t.name for t in self.client.event_types.list(prefix=name)], [name])
        self.assertGreater(len(self.client.event_types.list()), 10)
        self.client.event_types.delete(name)
        with self.assertRaises(NotFoundError):
            self.client.event_types.get(name)

    def test_keys(self) -> None:
        key = self.client.keys.create(name=unique("key"), scope="ingest")
        self.assertTrue(key.key.startswith("hk_"))
        self.assertEqual(key.scope, "ingest")
        listed = {k.id: k for k in self.client.keys.list()}
        self.assertIsNone(listed[key.id].key)
        # An ingest key reports, and may not manage.
        agent = HeraldClient(api_key=key.key)
        self.addCleanup(agent.close)
        self.assertEqual(agent.ingest.agent_status(agent_id=unique("a"), status="running").agent.status, "running")
        with self.assertRaises(ForbiddenError) as cm:
            agent.webhooks.list()
        self.assertEqual(cm.exception.status, 403)
        self.client.keys.revoke(key.id)
        self.assertIsNotNone({k.id: k for k in self.client.keys.list()}[key.id].revoked_at)
        with self.assertRaises(AuthenticationError) as cm:
            agent.ingest.agent_status(agent_id="a", status="running")
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "unauthorized"))

    def test_tenants(self) -> None:
        tid = unique("acme")
        t = self.client.tenants.put(tid, name="Acme", metadata={"plan": "pro"})
        self.assertTrue(t.created)
        self.assertFalse(self.client.tenants.put(tid, name="Acme Corp").created)
        got = self.client.tenants.get(tid)
        self.assertEqual((got.name, got.metadata, got.counts), ("Acme Corp", {"plan": "pro"}, {"webhooks": 0, "agents": 0}))
        self.assertIn(tid, [x.id for x in self.client.tenants.list(limit=1000)])

        # A client scoped to the tenant creates the tenant's rows.
        receiver = Receiver()
        self.addCleanup(receiver.close)
        acme = HeraldClient(tenant=tid)
        self.addCleanup(acme.close)
        self.assertEqual(acme.tenant, tid)
        wh = acme.webhooks.create(url=receiver.url, events=["agent.*"])
        self.assertEqual(wh.tenant_id, tid)
        self.assertEqual([w.id for w in self.client.for_tenant(tid).webhooks.list()], [wh.id])
        self.assertEqual(self.client.webhooks.list(tenant_id=tid).total, 1)
        self.assertEqual(self.client.tenants.get(tid).counts["webhooks"], 1)

        # The tenant's own key sees its rows alone and no tenant routes.
        key = acme.keys.create(name="acme-admin", scope="admin")
        self.assertEqual(key.tenant_id, tid)
        own = HeraldClient(api_key=key.key)
        self.addCleanup(own.close)
        self.assertEqual([w.id for w in own.webhooks.list()], [wh.id])
        with self.assertRaises(ForbiddenError):
            own.tenants.list()
        platform_hook = self.client.webhooks.create(url=receiver.url, events=["agent.*"])
        self.addCleanup(self.client.webhooks.delete, platform_hook.id)
        with self.assertRaises(NotFoundError):
            own.webhooks.get(platform_hook.id)

        link = self.client.tenants.portal(tid, expires_in="10m", capabilities=["view"])
        self.assertIn("/ui/portal?token=", link.url)
        self.assertTrue(link.token)
        self.assertIsInstance(link.expires_at, datetime)

        self.client.tenants.delete(tid)
        with self.assertRaises(NotFoundError):
            self.client.tenants.get(tid)

    def test_ingest_agents_deployments(self) -> None:
        agent = unique("agent")
        r = self.client.ingest.agent_status(agent_id=agent, status="running", node_id="node-7",
                                            logs=["booted", {"level": "warn", "message": "slow disk"}],
                                            metadata={"region": "eu"})
        self.assertEqual(r.agent.id, agent)
        self.assertEqual([e.type for e in r.events], ["agent.status", "agent.started"])
        hb = self.client.ingest.agent_status(agent_id=agent, status="running")
        self.assertEqual([e.type for e in hb.events], ["agent.heartbeat"])

        dep = self.client.ingest.deployment(deployment_id=unique("d"), agent_id=agent, status="failed",
                                            error="image pull failed")
        self.assertEqual(dep.deployment.status, "failed")
        self.assertIn("deployment.failed", [e.type for e in dep.events])
        m = self.client.ingest.metrics(agent_id=agent, metrics={"cpu": 0.5, "mem_mb": 512})
        self.assertEqual([e.type for e in m.events], ["metrics.report"])

        a = self.client.agents.get(agent)
        self.assertEqual((a.status, a.node_id, a.last_metrics), ("failed", "node-7", {"cpu": 0.5, "mem_mb": 512}))
        self.assertIn(agent, [x.id for x in self.client.agents.list(status="failed", limit=1000)])
        logs = self.client.agents.logs(agent, since="1h")
        self.assertEqual([(x.level, x.message) for x in logs][:2], [("info", "booted"), ("warn", "slow disk")])
        metrics = self.client.agents.metrics(agent, name="cpu", since="1h")
        self.assertEqual([p.value for p in metrics.points], [0.5])
        steps = self.client.agents.metrics(agent, step="1m")
        self.assertEqual({b.name for b in steps.buckets}, {"cpu", "mem_mb"})

        deps = self.client.agents.deployments(agent)
        self.assertEqual([d.id for d in deps], [dep.deployment.id])
        self.assertEqual(self.client.deployments.list(agent_id=agent, status="failed").total, 1)
        full = self.client.deployments.get(dep.deployment.id)
        self.assertEqual([h.status for h in full.history], ["failed"])

        with self.assertRaises(ValidationError) as cm:
            self.client.ingest.agent_status(agent_id="", status="running")
        self.assertEqual(cm.exception.field, "agent_id")

    def test_alerts(self) -> None:
        receiver = Receiver()
        self.addCleanup(receiver.close)
        wh = self.client.webhooks.create(url=receiver.url, events=["alert.*"])
        self.addCleanup(self.client.webhooks.delete, wh.id)
        rule = self.client.alerts.create(metric="webhook-failures", threshold=5, window="1h", webhook_id=wh.id,
                                         name=unique("alert"))
        self.assertEqual((rule.op, rule.window, rule.webhook_id, rule.is_active), (">=", "1h", wh.id, True))
        self.assertIn(rule.id, [r.id for r in self.client.alerts.list(limit=1000)])
        up = self.client.alerts.update(rule.id, threshold=10, is_active=False)
        self.assertEqual((up.threshold, up.is_active, up.metric), (10, False, "webhook-failures"))
        self.assertEqual(self.client.alerts.get(rule.id).threshold, 10)
        self.client.alerts.delete(rule.id)
        with self.assertRaises(NotFoundError):
            self.client.alerts.get(rule.id)
        with self.assertRaises(ValidationError) as cm:
            self.client.alerts.create(metric="cpu", threshold=1, op="~")
        self.assertEqual(cm.exception.field, "op")

    def test_inbound_and_invocations(self) -> None:
        agent = unique("bot")
        created = self.client.agents.create(id=agent, runtime={"type": "echo"})
        self.assertEqual(created.runtime["type"], "echo")
        self.assertEqual(self.client.agents.update(agent, name="Echo bot").name, "Echo bot")
        with self.assertRaises(ConflictError):
            self.client.agents.create(id=agent, runtime={"type": "echo"})

        name = unique("hook").replace("_", "-")
        wh = self.client.inbound.create(name=name, agent=agent, rate_limit={"requests": 1, "per": "1h"},
                                        transform={"message_template": "Alert: {{message}}"})
        self.assertTrue(wh.secret)
        self.assertEqual((wh.name, wh.agent, wh.is_active), (name, agent, True))
        self.assertIn(name, [w.name for w in self.client.inbound.list()])
        self.assertIsNone(self.client.inbound.get(name).secret)

        res = self.client.inbound.trigger(name, message="hello")
        self.assertTrue(res.success)
        self.assertEqual(res.response, "hello")
        with self.assertRaises(RateLimitError) as cm:
            self.client.inbound.trigger(name, message="again")
        self.assertEqual((cm.exception.status, cm.exception.code), (429, "rate_limited"))
        self.assertGreater(cm.exception.retry_after, 0)

        reqs = self.client.inbound.requests(name)
        self.assertEqual([r.verdict for r in reqs], ["rejected", "accepted"])
        self.assertEqual(len(self.client.inbound.requests(name, verdict="accepted")), 1)

        inv = self.client.invocations.get(res.request_id)
        self.assertEqual((inv.agent, inv.status, inv.response), (agent, "completed", "hello"))
        self.assertEqual([i.id for i in self.client.invocations.list(agent=agent)], [res.request_id])
        self.assertEqual(self.client.invocations.list(agent=agent, status="failed").total, 0)

        up = self.client.inbound.update(name, agent=agent, description="changed", is_active=False)
        self.assertEqual((up.description, up.is_active), ("changed", False))
        self.client.inbound.delete(name)
        with self.assertRaises(NotFoundError):
            self.client.inbound.get(name)

        self.assertTrue(self.client.inbound.set_secret("generic", "s" * 32).configured)
        self.assertTrue(self.client.inbound.get_secret("generic").configured)
        self.client.inbound.delete_secret("generic")
        self.assertFalse(self.client.inbound.get_secret("generic").configured)


if __name__ == "__main__":
    unittest.main()
