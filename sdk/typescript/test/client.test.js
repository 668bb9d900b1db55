// The client against a real Herald server: every resource, and the errors.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AuthenticationError, ConnectionError, Herald, HeraldError, NotFoundError, RateLimitError, ValidationError,
} from '../src/index.js';
import { Receiver, server, settled, uniq } from './helpers.js';

const { url, key, herald } = server();
const rc = new Receiver({ statuses: [500, 200] });
before(() => rc.start());
after(() => rc.close());

describe('new Herald()', () => {
  test('reads HERALD_URL and HERALD_API_KEY, and options win', () => {
    assert.equal(herald.baseUrl, url.replace(/\/+$/, ''));
    assert.equal(new Herald({ baseUrl: '127.0.0.1:9/' }).baseUrl, 'http://127.0.0.1:9');
    const saved = process.env.HERALD_URL;
    delete process.env.HERALD_URL;
    try {
      assert.equal(new Herald().baseUrl, 'http://127.0.0.1:8420');
    } finally {
      process.env.HERALD_URL = saved;
    }
  });
});

describe('request', () => {
  test('calls a route without a method', async () => {
    const { status, data } = await herald.request('GET', '/v1/webhooks', { query: { limit: 1, skip: undefined } });
    assert.equal(status, 200);
    assert.equal(data.limit, 1);
  });
});

describe('webhooks', () => {
  test('create, list, get, update, deliveries, retry, test, rotate, health, delete', async () => {
    const name = 'ts-' + uniq();
    const prefix = 'ts' + uniq();
    const wh = await herald.webhooks.create({ url: rc.url, events: [prefix + '.*'], name, max_retries: 0 });
    assert.match(wh.id, /.+/);
    assert.match(wh.secret, /^whsec_/);
    assert.equal(wh.is_active, true);
    assert.deepEqual(wh.events, [prefix + '.*']);
    assert.ok(Array.isArray(wh.warnings));

    const page = await herald.webhooks.list({ limit: 1000 });
    assert.ok(page.total >= 1);
    assert.ok(page.items.some((w) => w.id === wh.id && w.secret === undefined));
    const one = await herald.webhooks.list({ limit: 1 });
    assert.equal(one.items.length, 1);
    assert.equal(one.limit, 1);

    assert.equal((await herald.webhooks.get(wh.id)).name, name);

    // The first attempt gets a 500 and, with no retries, fails; a retry
    // then succeeds.
    const sent = await herald.events.send({ type: prefix + '.started', data: { agent_id: 'a-' + name } });
    assert.equal(sent.deliveries, 1);
    assert.equal(sent.duplicate, false);
    await rc.next();
    const ev = await herald.events.get(sent.id);
    assert.equal(ev.deliveries?.length, 1);
    const failed = await settled(herald, wh.id, ev.deliveries[0].id);
    assert.equal(failed.success, false);
    assert.equal(failed.attempts, 1);
    assert.match(failed.error_message, /500/);
    assert.equal(failed.attempt_list?.[0].status_code, 500);

    const failures = await herald.webhooks.deliveries(wh.id, { event: prefix + '.started', success: false, limit: 20 });
    assert.equal(failures.total, 1);
    assert.equal(failures.items[0].event, prefix + '.started');
    assert.equal(failures.items[0].success, false);
    assert.equal(failures.items[0].attempts, 1);
    assert.equal((await herald.deliveries.list(wh.id, { success: true })).total, 0);

    await herald.deliveries.retry(wh.id, failed.id);
    await rc.next();
    const retried = await settled(herald, wh.id, failed.id);
    assert.equal(retried.success, true);
    assert.equal(retried.attempts, 2);
    assert.equal((await herald.webhooks.delivery(wh.id, failed.id)).attempt_list?.length, 2);

    const tested = await herald.webhooks.test(wh.id);
    assert.equal(tested.success, true);
    assert.equal(tested.status_code, 200);
    assert.equal(tested.pending, false);
    const testReq = await rc.next();
    assert.equal(testReq.headers['x-webhook-event'], 'webhook.test');

    const updated = await herald.webhooks.update(wh.id, { is_active: false, description: 'paused' });
    assert.equal(updated.is_active, false);
    assert.equal(updated.description, 'paused');
    assert.equal(updated.name, name);
    assert.equal((await herald.webhooks.enable(wh.id)).is_active, true);
    assert.equal((await herald.webhooks.disable(wh.id)).is_active, false);

    const rotated = await herald.webhooks.rotateSecret(wh.id, { grace_period: '1h' });
    assert.match(rotated.secret ?? '', /^whsec_/);
    assert.notEqual(rotated.secret, wh.secret);
    assert.ok(rotated.previous_secret_expires_at);

    const health = await herald.webhooks.health(wh.id);
    assert.equal(health.webhook_id, wh.id);
    assert.ok(health.windows.length > 0);

    await herald.webhooks.delete(wh.id);
    await assert.rejects(herald.webhooks.get(wh.id), NotFoundError);
  });
});

describe('events', () => {
  test('send is idempotent by id; list filters by type', async () => {
    const id = 'ts-ev-' + uniq();
    const type = 'ts' + uniq() + '.happened';
    const first = await herald.events.send({ id, type, data: { n: 1 } });
    assert.equal(first.id, id);
    assert.equal(first.duplicate, false);
    const again = await herald.events.send({ id, type, data: { n: 2 } });
    assert.equal(again.duplicate, true);
    const list = await herald.events.list({ type });
    assert.equal(list.total, 1);
    assert.deepEqual(list.items[0].data, { n: 1 });
    assert.equal((await herald.events.get(id)).type, type);
  });

  test('ordering on a webhook, ordering_key on an event', async () => {
    const type = 'ts' + uniq() + '.ordered';
    const wh = await herald.webhooks.create({ url: 'http://127.0.0.1:9/hook', events: [type], ordering: 'fifo' });
    assert.equal(wh.ordering, 'fifo');
    assert.equal((await herald.webhooks.update(wh.id, { ordering: 'key' })).ordering, 'key');
    const sent = await herald.events.send({ type, data: { agent_id: 'a1' }, ordering_key: 'a1' });
    assert.equal(sent.deliveries, 1);
    assert.equal((await herald.events.get(sent.id)).ordering_key, 'a1');
    await assert.rejects(herald.webhooks.update(wh.id, { ordering: 'lifo' }), /ordering/);
    await herald.webhooks.delete(wh.id);
  });
});

describe('event types', () => {
  test('put, get, list, delete', async () => {
    const name = 'ts' + uniq() + '.created';
    const et = await herald.eventTypes.put(name, { description: 'made by the TS SDK tests', example: { id: 'x' } });
    assert.equal(et.name, name);
    assert.equal(et.version, 1);
    assert.deepEqual((await herald.eventTypes.get(name)).example, { id: 'x' });
    const list = await herald.eventTypes.list({ prefix: name.split('.')[0] });
    assert.deepEqual(list.items.map((t) => t.name), [name]);
    await herald.eventTypes.delete(name);
    await assert.rejects(herald.eventTypes.get(name), NotFoundError);
  });
});

describe('tenants', () => {
  test('put, get, list, portal, scoped clients and keys, delete', async () => {
    const id = 'ts-' + uniq();
    const t = await herald.tenants.put(id, { name: 'Acme', metadata: { plan: 'pro' } });
    assert.equal(t.id, id);
    assert.equal(t.name, 'Acme');
    assert.equal((await herald.tenants.get(id)).name, 'Acme');
    assert.ok((await herald.tenants.list({ limit: 1000 })).items.some((x) => x.id === id));

    const acme = herald.withTenant(id);
    assert.equal(acme.tenant, id);
    const wh = await acme.webhooks.create({ url: rc.url, events: ['never.*'] });
    assert.equal(wh.tenant_id, id);
    assert.deepEqual((await acme.webhooks.list()).items.map((w) => w.id), [wh.id]);
    assert.equal((await herald.tenants.get(id)).counts?.webhooks, 1);

    const tenantKey = await herald.keys.create({ name: 'acme-key', scope: 'admin', tenant_id: id });
    assert.ok(tenantKey.key);
    const asTenant = new Herald({ apiKey: tenantKey.key });
    assert.deepEqual((await asTenant.webhooks.list()).items.map((w) => w.id), [wh.id]);
    // Another tenant's webhook answers 404, like a missing one.
    const other = await herald.webhooks.create({ url: rc.url, events: ['never.*'] });
    await assert.rejects(asTenant.webhooks.get(other.id), NotFoundError);
    await assert.rejects(asTenant.tenants.list(), AuthenticationError);
    await herald.webhooks.delete(other.id);

    const link = await herald.tenants.portal(id, { expires_in: '1h' });
    assert.match(link.url, /^http/);
    assert.ok(link.token);
    assert.ok(Date.parse(link.expires_at) > Date.now());

    await herald.tenants.delete(id);
    await assert.rejects(herald.tenants.get(id), NotFoundError);
  });
});

describe('keys', () => {
  test('create, list, revoke', async () => {
    const k = await herald.keys.create({ name: 'ts-ingest-' + uniq(), scope: 'ingest' });
    assert.equal(k.scope, 'ingest');
    assert.match(k.key ?? '', /.{16,}/);
    const list = await herald.keys.list();
    const listed = list.items.find((x) => x.id === k.id);
    assert.ok(listed);
    assert.equal(listed.key, undefined);
    // An ingest key reports but cannot manage webhooks.
    const agent = new Herald({ apiKey: k.key });
    await agent.ingest.agentStatus({ agent_id: 'ts-keyed-' + uniq(), status: 'running' });
    await assert.rejects(agent.webhooks.list(), AuthenticationError);
    await herald.keys.revoke(k.id);
    await assert.rejects(agent.ingest.agentStatus({ agent_id: 'x', status: 'running' }), (err) => {
      assert.ok(err instanceof AuthenticationError);
      assert.equal(err.code, 'unauthorized');
      assert.equal(err.status, 401);
      return true;
    });
  });
});

describe('agents, ingest and deployments', () => {
  test('reports show in agents, their logs, metrics and deployments', async () => {
    const id = 'ts-agent-' + uniq();
    const res = await herald.ingest.agentStatus({ agent_id: id, status: 'running', node_id: 'n1', logs: ['booted', { level: 'warn', message: 'slow disk' }] });
    assert.equal(res.agent.id, id);
    assert.equal(res.agent.status, 'running');
    assert.ok(Array.isArray(res.events));

    const agent = await herald.agents.get(id);
    assert.equal(agent.node_id, 'n1');
    assert.ok((await herald.agents.list({ status: 'running', limit: 1000 })).items.some((a) => a.id === id));

    const logs = await herald.agents.logs(id, { limit: 10 });
    assert.deepEqual(logs.items.map((l) => l.message), ['booted', 'slow disk']);
    assert.equal(logs.items[1].level, 'warn');

    const at = new Date(Date.now() - 1000).toISOString();
    await herald.ingest.metrics({ agent_id: id, metrics: { cpu: 42.5, mem: 10 }, timestamp: at });
    const m = await herald.agents.metrics(id, { name: 'cpu', since: new Date(Date.now() - 3600_000) });
    assert.deepEqual(m.points?.map((p) => p.value), [42.5]);
    assert.equal((await herald.agents.get(id)).last_metrics?.mem, 10);

    const depId = 'dep-' + uniq();
    const dep = await herald.ingest.deployment({ deployment_id: depId, agent_id: id, status: 'started', version: '1.2.3' });
    assert.equal(dep.deployment?.id, depId);
    await herald.ingest.deployment({ deployment_id: depId, agent_id: id, status: 'completed', version: '1.2.3' });
    const got = await herald.deployments.get(depId);
    assert.equal(got.status, 'completed');
    assert.ok((got.history?.length ?? 0) >= 2);
    assert.deepEqual((await herald.agents.deployments(id)).items.map((d) => d.id), [depId]);
    assert.equal((await herald.deployments.list({ agent_id: id, status: 'completed' })).total, 1);
  });

  test('create and update an agent with a runtime', async () => {
    const id = 'ts-bot-' + uniq();
    const a = await herald.agents.create({ id, name: 'Bot', runtime: { type: 'echo' } });
    assert.equal(a.id, id);
    assert.equal(a.runtime?.type, 'echo');
    const b = await herald.agents.update(id, { name: 'Bot 2' });
    assert.equal(b.name, 'Bot 2');
  });
});

describe('alerts', () => {
  test('create, list, get, update, delete', async () => {
    const rule = await herald.alerts.create({ name: 'hot ' + uniq(), metric: 'cpu', agg: 'avg', op: '>', threshold: 90, window: '5m' });
    assert.equal(rule.metric, 'cpu');
    assert.equal(rule.is_active, true);
    assert.ok((await herald.alerts.list({ limit: 1000 })).items.some((r) => r.id === rule.id));
    assert.equal((await herald.alerts.get(rule.id)).threshold, 90);
    const up = await herald.alerts.update(rule.id, { threshold: 95, is_active: false });
    assert.equal(up.threshold, 95);
    assert.equal(up.is_active, false);
    await herald.alerts.delete(rule.id);
    await assert.rejects(herald.alerts.get(rule.id), NotFoundError);
  });
});

describe('inbound webhooks and invocations', () => {
  test('create, list, get, update, trigger, requests, invocations, delete', async () => {
    const agent = 'ts-echo-' + uniq();
    await herald.agents.create({ id: agent, runtime: { type: 'echo' } });
    const name = 'ts-in-' + uniq();
    const wh = await herald.inbound.create({ name, agent, description: 'support' });
    assert.equal(wh.name, name);
    assert.equal(wh.agent, agent);
    const list = await herald.inbound.list();
    assert.ok(list.items.some((w) => w.name === name));
    assert.equal(list.total, list.items.length);
    assert.equal((await herald.inbound.get(name)).description, 'support');
    assert.equal((await herald.inbound.update(name, { agent, description: 'help desk' })).description, 'help desk');

    const res = await herald.inbound.trigger(name, { message: 'hello', response_mode: 'sync' });
    assert.equal(res.success, true);
    assert.equal(res.agent, agent);
    const invs = await herald.invocations.list({ agent });
    assert.equal(invs.total, 1);
    const inv = await herald.invocations.get(invs.items[0].id);
    assert.equal(inv.message, 'hello');

    const reqs = await herald.inbound.requests(name, { limit: 10 });
    assert.ok(Array.isArray(reqs.items));

    await herald.inbound.delete(name);
    await assert.rejects(herald.inbound.get(name), NotFoundError);
  });

  test('built-in inbound secrets', async () => {
    assert.equal((await herald.inbound.setSecret('generic', 's3cret-' + uniq())).configured, true);
    assert.equal((await herald.inbound.getSecret('generic')).configured, true);
    await herald.inbound.deleteSecret('generic');
    assert.equal((await herald.inbound.getSecret('generic')).configured, false);
  });
});

describe('errors', () => {
  test('a 400 is a ValidationError naming the field', async () => {
    await assert.rejects(herald.webhooks.create({ url: 'ftp://example.com', events: ['*'] }), (err) => {
      assert.ok(err instanceof ValidationError);
      assert.ok(err instanceof HeraldError);
      assert.equal(err.code, 'invalid');
      assert.equal(err.status, 400);
      assert.equal(err.field, 'url');
      assert.match(err.message, /^url: /);
      return true;
    });
  });

  test('a 404 is a NotFoundError', async () => {
    await assert.rejects(herald.webhooks.get('wh_missing'), (err) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.code, 'not_found');
      assert.equal(err.status, 404);
      return true;
    });
  });

  test('a bad key is an AuthenticationError', async () => {
    await assert.rejects(new Herald({ apiKey: 'hk_bad' }).webhooks.list(), (err) => {
      assert.ok(err instanceof AuthenticationError);
      assert.equal(err.code, 'unauthorized');
      assert.equal(err.status, 401);
      return true;
    });
  });

  test('no server is a ConnectionError', async () => {
    await assert.rejects(new Herald({ baseUrl: 'http://127.0.0.1:9', apiKey: key }).webhooks.list(), (err) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(err.message, /cannot reach Herald: GET http:\/\/127\.0\.0\.1:9\/v1\/webhooks/);
      return true;
    });
  });

  test('an empty id is refused before any request', async () => {
    assert.throws(() => herald.webhooks.get(''), TypeError);
    assert.throws(() => herald.webhooks.get('..'), TypeError);
  });
});

describe('errors of other answers', () => {
  test('a 429 is a RateLimitError with the wait asked for; a proxy page keeps its status', async () => {
    const proxy = new Receiver({
      handler: (req, res) => {
        if (req.url?.startsWith('/v1/webhooks')) {
          res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '7' })
            .end('{"error":{"code":"rate_limited","message":"too many requests"}}');
        } else {
          res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>Bad Gateway</html>\n<body></body>');
        }
      },
    });
    const base = (await proxy.start()).replace(/\/hook$/, '');
    try {
      const c = new Herald({ baseUrl: base, apiKey: key });
      await assert.rejects(c.webhooks.list(), (err) => {
        assert.ok(err instanceof RateLimitError);
        assert.equal(err.code, 'rate_limited');
        assert.equal(err.status, 429);
        assert.equal(err.retryAfter, 7);
        return true;
      });
      await assert.rejects(c.events.list(), (err) => {
        assert.ok(err instanceof HeraldError);
        assert.equal(err.code, 'unavailable');
        assert.equal(err.status, 502);
        assert.equal(err.message, '<html>Bad Gateway</html>');
        return true;
      });
    } finally {
      await proxy.close();
    }
  });

  test('the tenant option sends X-Herald-Tenant', async () => {
    const id = 'ts-opt-' + uniq();
    await herald.tenants.put(id, { name: 'Option' });
    const platformHook = await herald.webhooks.create({ url: rc.url, events: ['never.*'] });
    const c = new Herald({ tenant: id });
    const wh = await c.webhooks.create({ url: rc.url, events: ['never.*'] });
    assert.equal(wh.tenant_id, id);
    assert.deepEqual((await c.webhooks.list()).items.map((w) => w.id), [wh.id]);
    await herald.webhooks.delete(platformHook.id);
    await herald.tenants.delete(id);
  });
});
