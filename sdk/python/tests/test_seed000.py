"""Seed 000 (MUTX's "Webhook Integration Guide", 000_6d5fba48e37901c8.txt),
section "Using the SDK": its Python code, run against the server as written,
with only ``from mutx import`` changed to ``from herald import``.

The guide's code is quoted below with its indentation restored. Its
placeholders are filled in as a reader would: ``"your-api-key"`` with the
server's key, and each ``webhook_id="..."`` with the id of a webhook (the
base URL comes from HERALD_URL)."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import unittest
from typing import Optional

from herald import HeraldClient

from ._support import Receiver, require_server

SEED_000_SYNC = '''\
from herald import MutxClient
client = MutxClient(api_key="your-api-key")
# Create webhook
webhook = client.webhooks.create(
    url="https://your-app.com/webhooks/mutx",
    events=["agent.*", "deployment.*"],
    secret="your-webhook-secret", # Optional: for signature verification
    is_active=True
)
print(f"Created webhook: {webhook.id}")
# List all webhooks
webhooks = client.webhooks.list(limit=10)
for wh in webhooks:
    print(f"{wh.id} -> {wh.url} (active: {wh.is_active})")
# Get specific webhook
webhook = client.webhooks.get(webhook_id="...")
# Update webhook
updated = client.webhooks.update(
    webhook_id="...",
    url="https://new-url.com/webhook",
    is_active=False
)
# Delete webhook
client.webhooks.delete(webhook_id="...")
# Get delivery attempts
deliveries = client.webhooks.get_deliveries(
    webhook_id="...",
    limit=20,
    event="agent.status",
    success=False # Only failed deliveries
)
for d in deliveries:
    print(f"{d.event} - success: {d.success}, attempts: {d.attempts}")
    if not d.success:
        print(f" Error: {d.error_message}")
'''

SEED_000_ASYNC = '''\
import asyncio
from herald import AsyncMutxClient
async def manage_webhooks():
    client = AsyncMutxClient(api_key="your-api-key")
    # Create webhook
    webhook = await client.webhooks.acreate(
        url="https://your-app.com/webhooks/mutx",
        events=["agent.*"]
    )
    # List webhooks
    webhooks = await client.webhooks.alist()
    await client.close()
asyncio.run(manage_webhooks())
'''


def seed_file() -> Optional[pathlib.Path]:
    """Seed 000's text, from a shared/seeds folder beside the repository or
    above it, or None."""
    for parent in pathlib.Path(__file__).resolve().parents:
        found = sorted(parent.glob("shared/seeds/000_*.txt"))
        if found:
            return found[0]
    return None


def fill(code: str, ids: list) -> str:
    """Fill in the guide's placeholders: the API key, then each "..." id in
    order."""
    code = code.replace('"your-api-key"', repr(os.environ["HERALD_API_KEY"]))
    for webhook_id in ids:
        assert '"..."' in code
        code = code.replace('"..."', repr(webhook_id), 1)
    assert '"..."' not in code
    return code


class Seed000Test(unittest.TestCase):
    def setUp(self) -> None:
        require_server()
        self.client = HeraldClient()
        self.addCleanup(self.client.close)
        self.created: list = []

    def tearDown(self) -> None:
        for wh in self.client.webhooks.list(limit=1000):
            if wh.url in ("https://your-app.com/webhooks/mutx", "https://new-url.com/webhook"):
                self.client.webhooks.delete(wh.id)

    def test_the_only_change_is_the_import(self) -> None:
        for code in (SEED_000_SYNC, SEED_000_ASYNC):
            self.assertNotIn("mutx import", code)
            self.assertIn("from herald import", code)
        # Where the seeds are at hand (a shared/seeds folder above the
        # repository), every line is the guide's, but for the import.
        seed = seed_file()
        if seed is None:
            return
        guide = {line.strip() for line in seed.read_text().splitlines()}
        for code in (SEED_000_SYNC, SEED_000_ASYNC):
            for line in code.replace("from herald import", "from mutx import").splitlines():
                self.assertIn(line.strip(), guide, f"not in {seed.name}: {line!r}")

    def test_sync_code(self) -> None:
        # The webhook the guide reads, updates and reads the failed
        # agent.status deliveries of; its receiver answers 500.
        failing = Receiver(status=500)
        self.addCleanup(failing.close)
        target = self.client.webhooks.create(url=failing.url, events=["agent.*"], max_retries=0)
        result = self.client.webhooks.test(target.id, event_type="agent.status")
        self.assertFalse(result.success)
        self.assertEqual(result.status_code, 500)
        doomed = self.client.webhooks.create(url=failing.url, events=["deployment.*"])

        out = io.StringIO()
        ns: dict = {"__name__": "seed000"}
        with contextlib.redirect_stdout(out):
            exec(compile(fill(SEED_000_SYNC, [target.id, target.id, doomed.id, target.id]), "seed000_sync", "exec"), ns)
        ns["client"].close()  # the guide leaves its client open
        text = out.getvalue()
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("Created webhook: wh_"), text)
        created = lines[0].split(": ", 1)[1]
        self.assertIn(f"{created} -> https://your-app.com/webhooks/mutx (active: True)", text)
        self.assertIn(f"{target.id} -> {failing.url} (active: True)", text)
        self.assertIn("agent.status - success: False, attempts: 1", text)
        self.assertIn(" Error: ", text)

        updated = self.client.webhooks.get(target.id)
        self.assertEqual(updated.url, "https://new-url.com/webhook")
        self.assertFalse(updated.is_active)
        with self.assertRaises(Exception):
            self.client.webhooks.get(doomed.id)
        self.assertEqual(self.client.webhooks.get(created).events, ["agent.*", "deployment.*"])

    def test_async_code(self) -> None:
        before = self.client.webhooks.list(limit=1000).total
        exec(compile(fill(SEED_000_ASYNC, []), "seed000_async", "exec"), {"__name__": "seed000"})
        hooks = self.client.webhooks.list(limit=1000)
        self.assertEqual(hooks.total, before + 1)
        self.assertEqual(hooks.items[0].url, "https://your-app.com/webhooks/mutx")
        self.assertEqual(hooks.items[0].events, ["agent.*"])


if __name__ == "__main__":
    unittest.main()
