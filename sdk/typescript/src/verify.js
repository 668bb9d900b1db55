// Verification of the signatures Herald puts on the webhooks it sends.
//
// Every delivery carries two schemes:
//   - the signature header (X-Webhook-Signature unless the webhook names
//     another): HMAC-SHA256 of the raw body keyed with the secret's bytes,
//     as "sha256=<hex>", "<hex>" or "<base64>" (the webhook's
//     signature_format); during a rotation's grace period the old secrets'
//     signatures are in "<header>-Previous", space-separated;
//   - Standard Webhooks: webhook-id, webhook-timestamp and
//     webhook-signature ("v1,<base64>" entries, space-separated) over
//     "<id>.<timestamp>.<body>", keyed with the base64-decoded rest of a
//     "whsec_" secret.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SIGNATURE_HEADER, DEFAULT_TOLERANCE, PREVIOUS_SIGNATURE_SUFFIX } from './constants.js';

/** A webhook request whose signature does not verify; `reason` says why. */
export class SignatureError extends Error {
  /**
   * @param {import('./index.js').SignatureErrorReason} reason
   * @param {string} message
   */
  constructor(reason, message) {
    super(message);
    this.name = 'SignatureError';
    /** @type {import('./index.js').SignatureErrorReason} */
    this.reason = reason;
  }
}

/**
 * header returns the value of a header by its case-insensitive name, from a
 * Fetch Headers object or a Node headers record; "" when absent.
 * @param {any} headers
 * @param {string} name
 * @returns {string}
 */
function header(headers, name) {
  if (!headers) return '';
  if (typeof headers.get === 'function') return headers.get(name) ?? '';
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== lower || v == null) continue;
    return Array.isArray(v) ? v.join(' ') : String(v);
  }
  return '';
}

/**
 * bytes returns the raw body as bytes, refusing a parsed body.
 * @param {unknown} body
 * @returns {Buffer}
 */
function bytes(body) {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new SignatureError('body_not_raw',
    'the body must be the raw request bytes (a Buffer, Uint8Array or string), not parsed JSON: ' +
    'use express.raw() or heraldWebhook() before any JSON parser');
}

/**
 * same compares two strings in constant time (for equal lengths).
 * @param {string} a
 * @param {string} b
 */
function same(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * standardKey is the Standard Webhooks key of a secret: the base64-decoded
 * rest of a "whsec_" secret, else the secret's bytes.
 * @param {string} secret
 */
function standardKey(secret) {
  if (secret.startsWith('whsec_')) {
    const rest = secret.slice('whsec_'.length);
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(rest) && rest.length % 4 === 0) return Buffer.from(rest, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

/**
 * sign returns the signature header value Herald writes for body in a
 * format: "sha256=hex" (the default), "hex" or "base64".
 * @param {string | Uint8Array} body
 * @param {string} secret
 * @param {import('./index.js').SignatureFormat} [format]
 */
export function sign(body, secret, format = 'sha256=hex') {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(bytes(body));
  if (format === 'base64') return mac.digest('base64');
  if (format === 'hex') return mac.digest('hex');
  return 'sha256=' + mac.digest('hex');
}

/**
 * signStandard returns the Standard Webhooks webhook-signature value Herald
 * writes: "v1,<base64>".
 * @param {string | Uint8Array} body
 * @param {string} secret
 * @param {string} id
 * @param {number} timestamp unix seconds
 */
export function signStandard(body, secret, id, timestamp) {
  const mac = createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.`).update(bytes(body));
  return 'v1,' + mac.digest('base64');
}

/**
 * verifyWebhook checks that a request is a webhook Herald signed with one
 * of the secrets, and returns its parsed JSON payload. It throws a
 * SignatureError otherwise. See index.d.ts for the options.
 * @param {string | Uint8Array | ArrayBuffer} rawBody
 * @param {any} headers
 * @param {string | string[]} secret
 * @param {import('./index.js').VerifyOptions} [options]
 * @returns {any}
 */
export function verifyWebhook(rawBody, headers, secret, options = {}) {
  const body = bytes(rawBody);
  const secrets = (Array.isArray(secret) ? secret : [secret]).filter((s) => typeof s === 'string' && s !== '');
  if (secrets.length === 0) throw new SignatureError('missing_secret', 'no secret to verify with');
  let scheme = options.scheme ?? 'auto';
  if (scheme === 'auto') {
    const standard = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].some((h) => header(headers, h) !== '');
    scheme = standard ? 'standard' : 'signature';
  }
  if (scheme === 'standard' || scheme === 'both') verifyStandard(body, headers, secrets, options);
  if (scheme === 'signature' || scheme === 'both') verifySignatureHeader(body, headers, secrets, options);
  if (!['standard', 'signature', 'both'].includes(scheme)) throw new TypeError(`verifyWebhook: unknown scheme ${JSON.stringify(scheme)}`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new SignatureError('invalid_payload', 'the signature verifies but the body is not JSON');
  }
}

/**
 * @param {Buffer} body
 * @param {any} headers
 * @param {string[]} secrets
 * @param {import('./index.js').VerifyOptions} options
 */
function verifyStandard(body, headers, secrets, options) {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sig = header(headers, 'webhook-signature').trim();
  for (const [name, v] of [['webhook-id', id], ['webhook-timestamp', ts], ['webhook-signature', sig]]) {
    if (!v) throw new SignatureError('missing_header', `missing header ${name}`);
  }
  if (!/^\d{1,15}$/.test(ts)) throw new SignatureError('invalid_timestamp', `webhook-timestamp ${JSON.stringify(ts.slice(0, 32))} is not unix seconds`);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (tolerance > 0) {
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    const diff = Math.abs(now - Number(ts));
    if (diff > Math.max(1, Math.floor(tolerance))) {
      throw new SignatureError('timestamp_out_of_tolerance', `webhook-timestamp ${ts} is ${diff}s from now (${now}), over the ${tolerance}s tolerance`);
    }
  }
  const entries = sig.split(/\s+/).map((e) => e.split(',')).filter(([v, s]) => v === 'v1' && s);
  if (entries.length === 0) throw new SignatureError('no_match', 'webhook-signature has no v1 entry');
  for (const secret of secrets) {
    const want = signStandard(body, secret, id, Number(ts)).slice(3);
    for (const [, s] of entries) if (same(s, want)) return;
  }
  throw new SignatureError('no_match', `no signature matched among ${entries.length} v1 entries of webhook-signature`);
}

/**
 * @param {Buffer} body
 * @param {any} headers
 * @param {string[]} secrets
 * @param {import('./index.js').VerifyOptions} options
 */
function verifySignatureHeader(body, headers, secrets, options) {
  const name = options.header ?? DEFAULT_SIGNATURE_HEADER;
  const current = header(headers, name).trim();
  const previous = header(headers, name + PREVIOUS_SIGNATURE_SUFFIX).trim();
  if (!current) throw new SignatureError('missing_header', `missing header ${name}`);
  const candidates = `${current} ${previous}`.split(/\s+/).filter(Boolean);
  for (const secret of secrets) {
    const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest();
    const hex = mac.toString('hex');
    for (const c of candidates) {
      let format = options.format ?? 'auto';
      if (format === 'auto') format = c.startsWith('sha256=') ? 'sha256=hex' : /^[0-9a-f]{64}$/.test(c) ? 'hex' : 'base64';
      const want = format === 'base64' ? mac.toString('base64') : format === 'hex' ? hex : 'sha256=' + hex;
      if (same(c, want)) return;
    }
  }
  throw new SignatureError('no_match', `no signature matched among ${candidates.length} in ${name}${previous ? ` and ${name}${PREVIOUS_SIGNATURE_SUFFIX}` : ''}`);
}
