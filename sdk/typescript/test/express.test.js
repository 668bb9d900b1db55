// heraldWebhook() in an Express app receiving real deliveries from Herald.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { heraldWebhook } from '../src/express.js';
import { sign, signStandard } from '../src/index.js';
import { server, settled, uniq } from './helpers.js';

const { herald } = server();
const secret = 'whsec_' + randomBytes(32).toString('base64');

/** @type {((payload: any) => void)[]} */
const waiting = [];
/** @type {any[]} */
const received = [];
/** @param {any} p */
function deliver(p) {
  const w = waiting.shift();
  if (w) w(p);
  else received.push(p);
}
/** @returns {Promise<any>} */
function nextPayload() {
  return received.length > 0 ? Promise.resolve(received.shift()) : new Promise((r) => waiting.push(r));
}

const app = express();
// The webhook route comes before express.json(): the middleware reads the
// raw body itself.
app.post('/webhooks/herald', heraldWebhook({ secret }), (req, res) => {
  deliver({ body: req.body, raw: /** @type {any} */ (req).rawBody, route: 'own' });
  res.status(200).json({ received: true });
});
// Behind express.raw(), the middleware takes the Buffer it left.
app.post('/webhooks/raw', express.raw({ type: '*/*' }), heraldWebhook({ secret }), (req, res) => {
  deliver({ body: req.body, route: 'raw' });
  res.sendStatus(204);
});
// express.json() keeping the raw bytes in req.rawBody works too.
const keepRaw = express.json({ verify: (req, _res, buf) => { /** @type {any} */ (req).rawBody = buf; } });
app.post('/webhooks/json', keepRaw, heraldWebhook({ secret }), (req, res) => {
  deliver({ body: req.body, route: 'json' });
  res.sendStatus(204);
});
// express.json() without it leaves nothing to verify: an error, not a pass.
app.post('/webhooks/parsed', express.json(), heraldWebhook({ secret }), (_req, res) => {
  res.sendStatus(204);
});

/** @type {import('node:http').Server} */
let srv;
let base = '';
before(async () => {
  await new Promise((resolve) => { srv = app.listen(0, '127.0.0.1', () => resolve(undefined)); });
  base = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (srv.address()).port}`;
});
after(() => {
  srv.closeAllConnections();
  return new Promise((resolve) => srv.close(() => resolve(undefined)));
});

describe('heraldWebhook', () => {
  for (const route of ['herald', 'raw', 'json']) {
    test(`accepts a real delivery on /webhooks/${route}`, async () => {
      const prefix = 'ts' + uniq();
      const wh = await herald.webhooks.create({ url: `${base}/webhooks/${route}`, events: [prefix + '.*'], secret, max_retries: 0 });
      const sent = await herald.events.send({ type: prefix + '.deployed', data: { deployment_id: 'd1' } });
      const got = await nextPayload();
      assert.equal(got.body.id, sent.id);
      assert.equal(got.body.event, prefix + '.deployed');
      assert.deepEqual(got.body.data, { deployment_id: 'd1' });
      if (route === 'herald') assert.ok(Buffer.isBuffer(got.raw));
      const ev = await herald.events.get(sent.id);
      const d = await settled(herald, wh.id, ev.deliveries?.[0].id ?? '');
      assert.equal(d.success, true);
      await herald.webhooks.delete(wh.id);
    });
  }

  test('answers 401 to a delivery signed with another secret', async () => {
    const prefix = 'ts' + uniq();
    const wh = await herald.webhooks.create({ url: `${base}/webhooks/herald`, events: [prefix + '.*'], max_retries: 0 });
    const sent = await herald.events.send({ type: prefix + '.deployed', data: {} });
    const ev = await herald.events.get(sent.id);
    const d = await settled(herald, wh.id, ev.deliveries?.[0].id ?? '');
    assert.equal(d.success, false);
    assert.equal(d.response_status_code, 401);
    const attempt = d.attempt_list?.[0];
    assert.equal(attempt?.status_code, 401);
    assert.deepEqual(JSON.parse(attempt?.response_body ?? ''), {
      error: { code: 'invalid_signature', reason: 'no_match', message: 'no signature matched among 1 v1 entries of webhook-signature' },
    });
    assert.equal(received.length, 0);
    await herald.webhooks.delete(wh.id);
  });

  test('a body parsed before it is an error, and a request without signatures a 401', async () => {
    const body = JSON.stringify({ id: 'evt_1', event: 'x.y', data: {} });
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'Content-Type': 'application/json',
      'X-Webhook-Signature': sign(body, secret),
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': signStandard(body, secret, 'evt_1', ts),
    };
    const parsed = await fetch(`${base}/webhooks/parsed`, { method: 'POST', headers, body });
    assert.equal(parsed.status, 500);
    const ok = await fetch(`${base}/webhooks/herald`, { method: 'POST', headers, body });
    assert.equal(ok.status, 200);
    assert.equal((await nextPayload()).body.id, 'evt_1');
    const bare = await fetch(`${base}/webhooks/herald`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(bare.status, 401);
    assert.equal((await bare.json()).error.reason, 'missing_header');
  });
});
