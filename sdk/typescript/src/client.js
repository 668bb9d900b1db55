// The Herald client: configuration, and the one function that sends every
// request of the resources.

import { DEFAULT_BASE_URL, DEFAULT_TIMEOUT, TENANT_HEADER } from './constants.js';
import { ConnectionError, errorFromAnswer } from './errors.js';
import {
  Agents, Alerts, Deliveries, Deployments, EventTypes, Events, Inbound, Ingest, Invocations, Keys, Operations, Stats,
  Tenants, Webhooks,
} from './resources.js';

export { DEFAULT_BASE_URL, DEFAULT_TIMEOUT, TENANT_HEADER, WEBHOOK_TEST_TIMEOUT } from './constants.js';

/**
 * env reads an environment variable where there is a process, "" elsewhere.
 * @param {string} name
 */
function env(name) {
  const p = /** @type {any} */ (globalThis).process;
  return (p && p.env && typeof p.env[name] === 'string') ? p.env[name].trim() : '';
}

/** A client of one Herald server; see index.d.ts for the options. */
export class Herald {
  /** @param {import('./index.js').HeraldOptions} [options] */
  constructor(options = {}) {
    let baseUrl = (options.baseUrl ?? '').trim() || env('HERALD_URL') || DEFAULT_BASE_URL;
    if (!baseUrl.includes('://')) baseUrl = 'http://' + baseUrl;
    /** @readonly */
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    /** @private */
    this.apiKey = (options.apiKey ?? env('HERALD_API_KEY')).trim();
    /** @readonly */
    this.tenant = (options.tenant ?? '').trim();
    /** @private */
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    /** @private */
    this.fetch = options.fetch ?? globalThis.fetch;
    /** @private */
    this.userAgent = options.userAgent ?? 'herald-js-sdk';
    if (typeof this.fetch !== 'function') throw new TypeError('Herald: no fetch: use Node 18 or later, or pass options.fetch');
    this.webhooks = new Webhooks(this);
    this.deliveries = new Deliveries(this);
    this.events = new Events(this);
    this.eventTypes = new EventTypes(this);
    this.tenants = new Tenants(this);
    this.keys = new Keys(this);
    this.agents = new Agents(this);
    this.deployments = new Deployments(this);
    this.ingest = new Ingest(this);
    this.alerts = new Alerts(this);
    this.inbound = new Inbound(this);
    this.invocations = new Invocations(this);
    this.operations = new Operations(this);
    /** @private */
    this._stats = new Stats(this);
  }

  /**
   * stats answers GET /v1/stats: rows and bytes of every table of the
   * database (platform admin keys only).
   */
  stats() { return this._stats.get(); }

  /**
   * withTenant returns a client like this one scoped to the tenant id ("" for none).
   * @param {string} tenant
   * @returns {Herald}
   */
  withTenant(tenant) {
    return new Herald({
      apiKey: this.apiKey, baseUrl: this.baseUrl, tenant, timeout: this.timeout, fetch: this.fetch, userAgent: this.userAgent,
    });
  }

  /**
   * request sends one API call and returns its decoded answer with its
   * status. A non-2xx answer throws a HeraldError (or a subclass), a
   * request without an answer a ConnectionError.
   * @param {string} method
   * @param {string} path already escaped, such as "/v1/webhooks"
   * @param {{ query?: Record<string, unknown>, body?: unknown, minTimeout?: number, signal?: AbortSignal }} [opts]
   * @returns {Promise<{ status: number, data: any }>}
   */
  async request(method, path, opts = {}) {
    let url = this.baseUrl + path;
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined || v === null || v === '') continue;
      q.set(k, v instanceof Date ? v.toISOString() : String(v));
    }
    if ([...q.keys()].length > 0) url += '?' + q.toString();
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (this.apiKey) headers.Authorization = 'Bearer ' + this.apiKey;
    if (this.tenant) headers[TENANT_HEADER] = this.tenant;
    /** @type {string | undefined} */
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    /** @type {AbortSignal[]} */
    const signals = [];
    if (this.timeout > 0) signals.push(AbortSignal.timeout(Math.max(this.timeout, opts.minTimeout ?? 0)));
    if (opts.signal) signals.push(opts.signal);
    let res;
    let text;
    try {
      res = await this.fetch(url, { method, headers, body, signal: anySignal(signals) });
      text = await res.text();
    } catch (err) {
      const e = /** @type {any} */ (err);
      const timedOut = e?.name === 'TimeoutError';
      const what = timedOut ? 'no answer from Herald in time' : e?.name === 'AbortError' ? 'aborted' : 'cannot reach Herald';
      const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
      throw new ConnectionError(`${what}: ${method} ${url}: ${cause}`, { method, url, cause: err });
    }
    if (res.status < 200 || res.status > 299) throw errorFromAnswer(res.status, text, res.headers);
    let data = null;
    if (text.trim() !== '') {
      try {
        data = JSON.parse(text);
      } catch (err) {
        throw new ConnectionError(`decode answer of ${method} ${url} (HTTP ${res.status}): ${/** @type {Error} */ (err).message}`, { method, url, cause: err });
      }
    }
    return { status: res.status, data };
  }
}

/**
 * anySignal combines abort signals (AbortSignal.any is Node 20 and later).
 * @param {AbortSignal[]} signals
 * @returns {AbortSignal | undefined}
 */
function anySignal(signals) {
  if (signals.length <= 1) return signals[0];
  const ctl = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      ctl.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => ctl.abort(s.reason), { once: true });
  }
  return ctl.signal;
}
