// Errors of the Herald SDK: HeraldError and its subclasses are answers of
// the server; ConnectionError is a request that got no answer.

/** Error codes by HTTP status, used when an answer is not Herald's JSON error. */
const CODE_OF_STATUS = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'unsupported',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported',
  429: 'rate_limited',
  502: 'unavailable',
  503: 'unavailable',
  504: 'timeout',
};

/** A non-2xx answer of the server: `code` is Herald's error code, `status` the HTTP status. */
export class HeraldError extends Error {
  /**
   * @param {string} message
   * @param {{ code: string, status: number, body?: unknown }} details
   */
  constructor(message, { code, status, body }) {
    super(message);
    this.name = new.target.name;
    /** @type {string} */
    this.code = code;
    /** @type {number} */
    this.status = status;
    /** @type {unknown} */
    this.body = body;
  }
}

/** A 404 (code "not_found"): the resource does not exist, or is another tenant's. */
export class NotFoundError extends HeraldError {}

/** A 400 (code "invalid"): `field` is the bad field the message names, "" when none. */
export class ValidationError extends HeraldError {
  /**
   * @param {string} message
   * @param {{ code: string, status: number, body?: unknown }} details
   */
  constructor(message, details) {
    super(message, details);
    const m = /^([A-Za-z_][\w.[\]]*):\s/.exec(message);
    /** @type {string} */
    this.field = m ? m[1] : '';
  }
}

/** A 401 (code "unauthorized") or 403 (code "forbidden"): no key, a bad or revoked one, or one without the right scope. */
export class AuthenticationError extends HeraldError {}

/** A 429 (code "rate_limited"): `retryAfter` is the wait the server asked for, in seconds, or undefined. */
export class RateLimitError extends HeraldError {
  /**
   * @param {string} message
   * @param {{ code: string, status: number, body?: unknown, retryAfter?: number }} details
   */
  constructor(message, details) {
    super(message, details);
    /** @type {number | undefined} */
    this.retryAfter = details.retryAfter;
  }
}

/** A request that got no answer: the server could not be reached, or the call timed out or was aborted. */
export class ConnectionError extends Error {
  /**
   * @param {string} message
   * @param {{ method: string, url: string, cause?: unknown }} details
   */
  constructor(message, { method, url, cause }) {
    super(message, { cause });
    this.name = 'ConnectionError';
    /** @type {string} */
    this.method = method;
    /** @type {string} */
    this.url = url;
  }
}

/**
 * errorFromAnswer builds the error of a non-2xx answer from its status and
 * body text, for Herald's {"error": {"code", "message"}} and for any other
 * body (a proxy's page, say).
 * @param {number} status
 * @param {string} text
 * @param {Headers} [headers]
 * @returns {HeraldError}
 */
export function errorFromAnswer(status, text, headers) {
  let code = '';
  let message = '';
  /** @type {unknown} */
  let body = text;
  try {
    body = JSON.parse(text);
    const e = /** @type {any} */ (body)?.error;
    if (e && typeof e === 'object') {
      code = typeof e.code === 'string' ? e.code : '';
      message = typeof e.message === 'string' ? e.message : '';
    }
  } catch {
    // Not JSON: the message is the body's first line.
  }
  if (!message) {
    message = text.trim().split(/\r?\n/, 1)[0] ?? '';
    if (message.length > 200) message = message.slice(0, 200) + '...';
    if (!message) message = `HTTP ${status}`;
  }
  if (!code) code = CODE_OF_STATUS[/** @type {keyof typeof CODE_OF_STATUS} */ (status)] ?? (status >= 500 ? 'internal' : '');
  const details = { code, status, body };
  if (status === 404 || code === 'not_found') return new NotFoundError(message, details);
  if (status === 400 || code === 'invalid') return new ValidationError(message, details);
  if (status === 401 || status === 403 || code === 'unauthorized' || code === 'forbidden') return new AuthenticationError(message, details);
  if (status === 429 || code === 'rate_limited') {
    const ra = Number(headers?.get('retry-after'));
    return new RateLimitError(message, { ...details, retryAfter: Number.isFinite(ra) && ra >= 0 ? ra : undefined });
  }
  return new HeraldError(message, details);
}
