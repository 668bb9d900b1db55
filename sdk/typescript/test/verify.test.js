// verifyWebhook against real deliveries of Herald, in every signature
// style it sends.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignatureError, sign, signStandard, verifyWebhook } from '../src/index.js';
import { Receiver, server, uniq } from './helpers.js';

const { herald } = server();
const rc = new Receiver();
before(() => rc.start());
after(() => rc.close());

/**
 * delivered creates a webhook with the fields given and returns it with
 * the request of its test delivery.
 * @param {Record<string, unknown>} fields
 */
async function delivered(fields = {}) {
  const wh = await herald.webhooks.create({ url: rc.url, events: ['ts' + uniq() + '.*'], max_retries: 0, ...fields });
  const res = await herald.webhooks.test(wh.id);
  assert.equal(res.success, true, res.error);
  return { wh, req: await rc.next() };
}

/**
 * rejects asserts that fn throws a SignatureError with the reason.
 * @param {() => unknown} fn
 * @param {string} reason
 */
function rejects(fn, reason) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof SignatureError, String(err));
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

for (const [format, pattern] of /** @type {const} */ ([
  ['sha256=hex', /^sha256=[0-9a-f]{64}$/],
  ['hex', /^[0-9a-f]{64}$/],
  ['base64', /^[A-Za-z0-9+/]{43}=$/],
])) {
  describe(`signature_format ${format}`, () => {
    test('verifies with the secret, by either scheme, and nothing else', async () => {
      const { wh, req } = await delivered({ signature_format: format });
      const sig = String(req.headers['x-webhook-signature']);
      assert.match(sig, pattern);
      assert.equal(sig, sign(req.body, wh.secret, format));

      const payload = verifyWebhook(req.body, req.headers, wh.secret);
      assert.equal(payload.event, 'webhook.test');
      // Seed 000's and 004's receivers sign JSON.stringify(req.body): it
      // gives Herald's body back byte for byte.
      assert.equal(JSON.stringify(payload), req.body.toString('utf8'));
      assert.equal(payload.data.webhook_id, wh.id);
      assert.deepEqual(verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'signature' }), payload);
      assert.deepEqual(verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'signature', format }), payload);
      assert.deepEqual(verifyWebhook(req.body.toString('utf8'), new Headers(/** @type {any} */ (Object.entries(req.headers))), wh.secret), payload);
      assert.deepEqual(verifyWebhook(new Uint8Array(req.body), req.headers, wh.secret, { scheme: 'standard' }), payload);

      assert.deepEqual(verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'both' }), payload);
      for (const scheme of /** @type {const} */ (['standard', 'signature', 'both'])) {
        rejects(() => verifyWebhook(req.body, req.headers, 'whsec_' + Buffer.alloc(32, 1).toString('base64'), { scheme }), 'no_match');
        rejects(() => verifyWebhook(Buffer.concat([req.body, Buffer.from(' ')]), req.headers, wh.secret, { scheme }), 'no_match');
      }
      if (format !== 'sha256=hex') {
        // A format that is not the webhook's does not match.
        rejects(() => verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'signature', format: 'sha256=hex' }), 'no_match');
      }
    });
  });
}

describe('the signature header', () => {
  test('a webhook names its own header', async () => {
    const { wh, req } = await delivered({ signature_header: 'X-Acme-Signature' });
    assert.equal(req.headers['x-webhook-signature'], undefined);
    assert.ok(verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'signature', header: 'X-Acme-Signature' }));
    rejects(() => verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'signature' }), 'missing_header');
    rejects(() => verifyWebhook(req.body, req.headers, wh.secret, { scheme: 'both' }), 'missing_header');
    // Only the Standard Webhooks headers are required by default, and
    // with them present their verdict is final.
    assert.ok(verifyWebhook(req.body, req.headers, wh.secret));
    rejects(() => verifyWebhook(req.body, { ...req.headers, 'webhook-signature': undefined }, wh.secret), 'missing_header');
    const bare = { 'x-acme-signature': req.headers['x-acme-signature'] };
    assert.ok(verifyWebhook(req.body, bare, wh.secret, { header: 'X-Acme-Signature' }));
  });

  test('a secret of the webhook\'s own choosing', async () => {
    const secret = 'plain-secret-' + uniq();
    const { req } = await delivered({ secret });
    assert.ok(verifyWebhook(req.body, req.headers, secret));
    assert.ok(verifyWebhook(req.body, req.headers, secret, { scheme: 'signature' }));
  });
});

describe('Standard Webhooks', () => {
  test('webhook-id, webhook-timestamp and webhook-signature, with a 5-minute tolerance', async () => {
    const { wh, req } = await delivered();
    const id = String(req.headers['webhook-id']);
    const ts = Number(req.headers['webhook-timestamp']);
    assert.equal(req.headers['webhook-signature'], signStandard(req.body, wh.secret, id, ts));
    assert.ok(Math.abs(ts - Date.now() / 1000) < 300);

    const at = (/** @type {number} */ s) => new Date((ts + s) * 1000);
    assert.ok(verifyWebhook(req.body, req.headers, wh.secret, { now: at(299) }));
    assert.ok(verifyWebhook(req.body, req.headers, wh.secret, { now: at(-299) }));
    rejects(() => verifyWebhook(req.body, req.headers, wh.secret, { now: at(301) }), 'timestamp_out_of_tolerance');
    rejects(() => verifyWebhook(req.body, req.headers, wh.secret, { now: at(-301) }), 'timestamp_out_of_tolerance');
    rejects(() => verifyWebhook(req.body, req.headers, wh.secret, { now: at(61), tolerance: 60 }), 'timestamp_out_of_tolerance');
    assert.ok(verifyWebhook(req.body, req.headers, wh.secret, { now: at(86400), tolerance: 0 }));

    rejects(() => verifyWebhook(req.body, { ...req.headers, 'webhook-timestamp': 'soon' }, wh.secret), 'invalid_timestamp');
    rejects(() => verifyWebhook(req.body, { ...req.headers, 'webhook-id': undefined }, wh.secret), 'missing_header');
    // Another message id or time changes what is signed.
    rejects(() => verifyWebhook(req.body, { ...req.headers, 'webhook-id': id + 'x' }, wh.secret), 'no_match');
    rejects(() => verifyWebhook(req.body, { ...req.headers, 'webhook-timestamp': String(ts + 1) }, wh.secret), 'no_match');
    rejects(() => verifyWebhook(req.body, { ...req.headers, 'webhook-signature': 'v2,abc' }, wh.secret), 'no_match');
  });
});

describe('secret rotation', () => {
  test('old and new secrets both verify during the grace period, with several signatures per header', async () => {
    const prefix = 'ts' + uniq();
    const wh = await herald.webhooks.create({ url: rc.url, events: [prefix + '.*'], max_retries: 0 });
    const rotated = await herald.webhooks.rotateSecret(wh.id, { grace_period: '1h' });
    const fresh = rotated.secret ?? '';
    assert.notEqual(fresh, wh.secret);
    assert.equal((await herald.webhooks.test(wh.id)).success, true);
    const req = await rc.next();

    assert.equal(String(req.headers['webhook-signature']).split(' ').length, 2);
    assert.equal(req.headers['x-webhook-signature'], sign(req.body, fresh));
    assert.equal(req.headers['x-webhook-signature-previous'], sign(req.body, wh.secret));
    const other = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    for (const scheme of /** @type {const} */ (['standard', 'signature'])) {
      assert.ok(verifyWebhook(req.body, req.headers, fresh, { scheme }), `${scheme}: new secret`);
      assert.ok(verifyWebhook(req.body, req.headers, wh.secret, { scheme }), `${scheme}: old secret`);
      assert.ok(verifyWebhook(req.body, req.headers, [other, fresh], { scheme }), `${scheme}: one of several`);
      rejects(() => verifyWebhook(req.body, req.headers, other, { scheme }), 'no_match');
    }

    // A rotation without grace ends the replaced secret at once; the
    // first one keeps its hour.
    await herald.webhooks.rotateSecret(wh.id, { secret: other, grace_period: '0s' });
    assert.equal((await herald.webhooks.test(wh.id)).success, true);
    const after = await rc.next();
    assert.equal(after.headers['x-webhook-signature-previous'], sign(after.body, wh.secret));
    assert.ok(verifyWebhook(after.body, after.headers, other));
    assert.ok(verifyWebhook(after.body, after.headers, wh.secret));
    rejects(() => verifyWebhook(after.body, after.headers, fresh), 'no_match');
    rejects(() => verifyWebhook(after.body, after.headers, fresh, { scheme: 'signature' }), 'no_match');
  });
});

describe('misuse', () => {
  test('a parsed body, no secret, and a body that is not JSON', async () => {
    const { wh, req } = await delivered();
    rejects(() => verifyWebhook(/** @type {any} */ (JSON.parse(req.body.toString())), req.headers, wh.secret), 'body_not_raw');
    rejects(() => verifyWebhook(req.body, req.headers, ''), 'missing_secret');
    rejects(() => verifyWebhook(req.body, {}, wh.secret), 'missing_header');
    const text = Buffer.from('not json');
    const headers = { 'x-webhook-signature': sign(text, wh.secret) };
    rejects(() => verifyWebhook(text, headers, wh.secret), 'invalid_payload');
  });
});
