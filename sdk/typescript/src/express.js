// heraldWebhook: a middleware for Express (or Connect, or plain node:http)
// that reads the raw body of a webhook Herald sent and verifies it.

import { SignatureError, verifyWebhook } from './verify.js';

/** The most bytes the middleware reads of a body it reads itself (5 MiB). */
export const DEFAULT_BODY_LIMIT = 5 << 20;

/**
 * readBody reads the request stream whole, up to limit bytes.
 * @param {import('node:http').IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<Buffer>}
 */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new SignatureError('body_too_large', `the body is over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * heraldWebhook returns a middleware that verifies the raw body of each
 * request with verifyWebhook, then sets req.body to the parsed payload and
 * req.rawBody to the bytes, and calls next(); a request that does not
 * verify is answered 401 with {"error": {"code": "invalid_signature",
 * "reason", "message"}} (or handed to options.onError). See express.d.ts.
 * @param {import('./express.js').HeraldWebhookOptions} options
 */
export function heraldWebhook(options) {
  const { secret, limit = DEFAULT_BODY_LIMIT, onError, ...verifyOptions } = options ?? {};
  if (!secret || (Array.isArray(secret) && secret.length === 0)) throw new TypeError('heraldWebhook: options.secret is required');
  /**
   * @param {any} req
   * @param {any} res
   * @param {(err?: unknown) => void} next
   */
  return async function heraldWebhookMiddleware(req, res, next) {
    let raw;
    try {
      if (Buffer.isBuffer(req.rawBody)) raw = req.rawBody;
      else if (Buffer.isBuffer(req.body)) raw = req.body;
      else if (typeof req.body === 'string') raw = Buffer.from(req.body, 'utf8');
      else if (req.body != null && typeof req.body === 'object' && req.readableEnded) {
        throw new TypeError('heraldWebhook: the body was parsed before the signature could be checked; mount heraldWebhook() before express.json(), or keep the raw bytes in req.rawBody');
      } else raw = await readBody(req, limit);
    } catch (err) {
      if (err instanceof SignatureError) return fail(err);
      return next(err);
    }
    let payload;
    try {
      payload = verifyWebhook(raw, req.headers, secret, verifyOptions);
    } catch (err) {
      if (err instanceof SignatureError) return fail(err);
      return next(err);
    }
    req.rawBody = raw;
    req.body = payload;
    next();

    /** @param {SignatureError} err */
    function fail(err) {
      if (onError) return onError(err, req, res, next);
      res.statusCode = err.reason === 'body_too_large' ? 413 : 401;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'invalid_signature', reason: err.reason, message: err.message } }));
    }
  };
}
