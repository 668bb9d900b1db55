// Recover, replay and replay-missing, operations, delivery stats, the
// database's stats and a tenant's retention, against a real Herald server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HeraldError, NotFoundError, ValidationError } from '../src/index.js';
import { Receiver, server, uniq } from './helpers.js';

const { herald } = server();
// The first request fails (500): the webhook's test delivery ends failed.
const rc = new Receiver({ statuses: [500, 200] });
before(() => rc.start());
after(() => rc.close());

describe('operations', () => {
  test('recover, replay, replayMissing, operations, deliveries.stats', async () => {
    const own = 'tsops' + uniq() + '.own';
    const later = 'tsops' + uniq() + '.later';
    const wh = await herald.webhooks.create({ url: rc.url, events: [own], max_retries: 0 });
    const failed = await herald.webhooks.test(wh.id);
    assert.equal(failed.success, false);
    await rc.next();

    const rec = await herald.webhooks.recover(wh.id, { since: new Date(Date.now() - 3600e3) });
    assert.equal(rec.recovered, 1);
    assert.equal(rec.operation.kind, 'recover');
    assert.equal(rec.operation.webhook_id, wh.id);
    assert.equal(rec.operation.total, 1);
    const done = await herald.operations.wait(rec.operation.id, { interval: 50 });
    assert.equal(done.status, 'succeeded');
    assert.equal(done.done, 1);
    assert.ok(done.finished_at);
    await rc.next();

    const ev = await herald.events.send({ type: own, data: { n: 1 } });
    await rc.next();
    const rep = await herald.events.replay(ev.id, { webhook_ids: [wh.id] });
    assert.equal(rep.replayed, 1);
    assert.equal(rep.operation.event_id, ev.id);
    assert.deepEqual(rep.operation.webhook_ids, [wh.id]);
    assert.equal((await herald.operations.wait(rep.operation.id, { interval: 50 })).status, 'succeeded');
    await rc.next();
    const all = await herald.events.replay(ev.id);
    assert.equal(all.replayed, 1);
    await herald.operations.wait(all.operation.id, { interval: 50 });
    await rc.next();

    const missed = await herald.events.send({ type: later, data: { n: 2 } });
    assert.equal(missed.deliveries, 0);
    await herald.webhooks.update(wh.id, { events: [own, later] });
    const miss = await herald.webhooks.replayMissing(wh.id, { since: '1h', until: 'now' });
    assert.equal(miss.replayed, 1);
    assert.equal(miss.operation.kind, 'replay_missing');
    assert.equal((await herald.operations.wait(miss.operation.id, { interval: 50 })).done, 1);
    const got = await rc.next();
    assert.ok(got.body.toString().includes(later));

    const ids = (await herald.operations.list({ limit: 1000 })).items.map((o) => o.id);
    for (const o of [rec.operation, rep.operation, all.operation, miss.operation]) assert.ok(ids.includes(o.id));
    assert.equal((await herald.operations.get(rec.operation.id)).kind, 'recover');
    await assert.rejects(herald.operations.get('op_missing'), NotFoundError);
    await assert.rejects(herald.webhooks.recover(wh.id, { since: '' }), ValidationError);
    await assert.rejects(herald.events.replay('evt_missing'), NotFoundError);
    await herald.webhooks.disable(wh.id);
    await assert.rejects(herald.webhooks.recover(wh.id, { since: '1h' }), (err) => err instanceof HeraldError && err.status === 409);

    const st = await herald.deliveries.stats({ webhook_id: wh.id, window: '1h' });
    assert.equal(st.window, '1h');
    assert.equal(st.webhook_id, wh.id);
    assert.equal(st.bucket_seconds, 60);
    assert.equal(st.buckets.length, 60);
    // The test delivery (recovered), the send and three replays.
    assert.equal(st.buckets.reduce((n, b) => n + b.succeeded + b.failed + b.pending, 0), 5);
    assert.equal((await herald.deliveries.stats()).window, '24h');
    await assert.rejects(herald.deliveries.stats({ window: /** @type {any} */ ('2h') }), ValidationError);
    await assert.rejects(herald.deliveries.stats({ webhook_id: 'wh_missing' }), NotFoundError);
  });

  test('herald.stats()', async () => {
    const st = await herald.stats();
    assert.ok(st.engine === 'sqlite' || st.engine === 'postgres');
    assert.ok(st.tables.some((t) => t.table === 'events'));
    assert.ok(st.total_bytes > 0);
  });

  test("a tenant's retention", async () => {
    const id = 'tsret-' + uniq();
    const t = await herald.tenants.put(id, { name: 'Kept', retention: '7d' });
    assert.equal(t.retention, '7d');
    assert.equal((await herald.tenants.put(id, { name: 'Still' })).retention, '7d');
    assert.equal((await herald.tenants.get(id)).retention, '7d');
    assert.equal((await herald.tenants.put(id, { retention: null })).retention, null);
    await assert.rejects(herald.tenants.put(id, { retention: '1s' }), ValidationError);
    await herald.tenants.delete(id);
  });
});
