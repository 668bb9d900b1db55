// The resources of a Herald client: one class per group of routes of the
// REST API. Arguments and answers use the API's field names.

import { WEBHOOK_TEST_TIMEOUT } from './constants.js';

/**
 * seg escapes one path segment, refusing the ids that would change which
 * route is called.
 * @param {string} what
 * @param {unknown} v
 */
function seg(what, v) {
  if (typeof v !== 'string' || v === '' || v === '.' || v === '..') {
    throw new TypeError(`${what}: must be a non-empty string id, got ${JSON.stringify(v)}`);
  }
  return encodeURIComponent(v);
}

/** Resource is the base of the resources: it holds the client. */
class Resource {
  /** @param {import('./client.js').Herald} client */
  constructor(client) {
    /** @protected */
    this.client = client;
  }

  /**
   * @protected
   * @param {string} method
   * @param {string} path
   * @param {{ query?: Record<string, unknown>, body?: unknown, minTimeout?: number }} [opts]
   */
  async call(method, path, opts) {
    return (await this.client.request(method, path, opts)).data;
  }
}

/** Webhooks: herald.webhooks, the endpoints Herald delivers events to, and their deliveries. */
export class Webhooks extends Resource {
  /** @param {any} input */
  create(input) { return this.call('POST', '/v1/webhooks', { body: input }); }

  /** @param {{ skip?: number, limit?: number, agent_id?: string }} [opts] */
  list(opts = {}) { return this.call('GET', '/v1/webhooks', { query: opts }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/webhooks/${seg('webhook id', id)}`); }

  /** @param {string} id @param {any} input */
  update(id, input) { return this.call('PATCH', `/v1/webhooks/${seg('webhook id', id)}`, { body: input }); }

  /** @param {string} id */
  enable(id) { return this.update(id, { is_active: true }); }

  /** @param {string} id */
  disable(id) { return this.update(id, { is_active: false }); }

  /** @param {string} id @returns {Promise<void>} */
  async delete(id) { await this.call('DELETE', `/v1/webhooks/${seg('webhook id', id)}`); }

  /** @param {string} id @param {{ event?: string, success?: boolean, status?: string, since?: Date | string, until?: Date | string, skip?: number, limit?: number }} [filter] */
  deliveries(id, filter = {}) { return this.call('GET', `/v1/webhooks/${seg('webhook id', id)}/deliveries`, { query: filter }); }

  /** @param {string} id @param {string} deliveryId */
  delivery(id, deliveryId) { return this.call('GET', deliveryPath(id, deliveryId)); }

  /** @param {string} id @param {string} deliveryId */
  retryDelivery(id, deliveryId) { return this.call('POST', deliveryPath(id, deliveryId) + '/retry'); }

  /** @param {string} id @param {{ event_type?: string }} [opts] */
  async test(id, opts = {}) {
    const { status, data } = await this.client.request('POST', `/v1/webhooks/${seg('webhook id', id)}/test`, {
      body: opts.event_type ? { event_type: opts.event_type } : undefined,
      minTimeout: WEBHOOK_TEST_TIMEOUT,
    });
    return { ...data, pending: status === 202 };
  }

  /** @param {string} id @param {{ secret?: string, grace_period?: string }} [input] */
  rotateSecret(id, input = {}) { return this.call('POST', `/v1/webhooks/${seg('webhook id', id)}/secret/rotate`, { body: input }); }

  /** @param {string} id */
  health(id) { return this.call('GET', `/v1/webhooks/${seg('webhook id', id)}/health`); }

  /** @param {string} id @param {{ since: string | Date, until?: string | Date }} input */
  recover(id, input) { return this.call('POST', `/v1/webhooks/${seg('webhook id', id)}/recover`, { body: windowBody(input) }); }

  /** @param {string} id @param {{ since: string | Date, until?: string | Date }} input */
  replayMissing(id, input) { return this.call('POST', `/v1/webhooks/${seg('webhook id', id)}/replay-missing`, { body: windowBody(input) }); }
}

/**
 * windowBody is the body of recover and replay-missing, Dates as RFC 3339.
 * @param {{ since: string | Date, until?: string | Date }} input
 */
function windowBody(input) {
  /** @param {string | Date | undefined} v */
  const t = (v) => (v instanceof Date ? v.toISOString() : v);
  /** @type {Record<string, string>} */
  const body = {};
  const since = t(input && input.since);
  const until = t(input && input.until);
  if (since !== undefined) body.since = since;
  if (until !== undefined) body.until = until;
  return body;
}

/** @param {string} webhookId @param {string} deliveryId */
function deliveryPath(webhookId, deliveryId) {
  return `/v1/webhooks/${seg('webhook id', webhookId)}/deliveries/${seg('delivery id', deliveryId)}`;
}

/** Deliveries: herald.deliveries, a webhook's deliveries with their attempts. */
export class Deliveries extends Resource {
  /** @param {string} webhookId @param {{ event?: string, success?: boolean, status?: string, since?: Date | string, until?: Date | string, skip?: number, limit?: number }} [filter] */
  list(webhookId, filter = {}) { return this.call('GET', `/v1/webhooks/${seg('webhook id', webhookId)}/deliveries`, { query: filter }); }

  /** @param {string} webhookId @param {string} deliveryId */
  get(webhookId, deliveryId) { return this.call('GET', deliveryPath(webhookId, deliveryId)); }

  /** @param {string} webhookId @param {string} deliveryId */
  retry(webhookId, deliveryId) { return this.call('POST', deliveryPath(webhookId, deliveryId) + '/retry'); }

  /** @param {{ webhook_id?: string, window?: '1h' | '24h' | '7d' }} [opts] */
  stats(opts = {}) { return this.call('GET', '/v1/deliveries/stats', { query: opts }); }
}

/** Events: herald.events, publishing events and reading them back. */
export class Events extends Resource {
  /** @param {{ id?: string, type: string, data?: unknown, tenant_id?: string }} input */
  async send(input) {
    const { status, data } = await this.client.request('POST', '/v1/events', { body: input });
    return { ...data, duplicate: status === 200 };
  }

  /** @param {{ type?: string, agent_id?: string, skip?: number, limit?: number }} [filter] */
  list(filter = {}) { return this.call('GET', '/v1/events', { query: filter }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/events/${seg('event id', id)}`); }

  /** @param {string} id @param {{ webhook_ids?: string[] | null }} [input] */
  replay(id, input = {}) { return this.call('POST', `/v1/events/${seg('event id', id)}/replay`, { body: input }); }
}

/** EventTypes: herald.eventTypes, the event catalogue. */
export class EventTypes extends Resource {
  /** @param {{ prefix?: string }} [opts] */
  list(opts = {}) { return this.call('GET', '/v1/event-types', { query: opts }); }

  /** @param {string} name */
  get(name) { return this.call('GET', `/v1/event-types/${seg('event type', name)}`); }

  /** @param {string} name @param {{ description?: string, schema?: unknown, example?: unknown, deprecated?: boolean }} input */
  put(name, input) { return this.call('PUT', `/v1/event-types/${seg('event type', name)}`, { body: input }); }

  /** @param {string} name @returns {Promise<void>} */
  async delete(name) { await this.call('DELETE', `/v1/event-types/${seg('event type', name)}`); }
}

/** Tenants: herald.tenants, a platform's customers (platform admin keys only). */
export class Tenants extends Resource {
  /** @param {string} id @param {{ name?: string, metadata?: unknown }} [input] */
  put(id, input = {}) { return this.call('PUT', `/v1/tenants/${seg('tenant id', id)}`, { body: input }); }

  /** @param {{ skip?: number, limit?: number }} [opts] */
  list(opts = {}) { return this.call('GET', '/v1/tenants', { query: opts }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/tenants/${seg('tenant id', id)}`); }

  /** @param {string} id @returns {Promise<void>} */
  async delete(id) { await this.call('DELETE', `/v1/tenants/${seg('tenant id', id)}`); }

  /** @param {string} id @param {{ expires_in?: string, capabilities?: string[], agent_id?: string, event_types?: string[] }} [input] */
  portal(id, input = {}) { return this.call('POST', `/v1/tenants/${seg('tenant id', id)}/portal`, { body: input }); }
}

/** Keys: herald.keys, API keys (admin keys only). */
export class Keys extends Resource {
  /** @param {{ name: string, scope?: string, tenant_id?: string }} input */
  create(input) { return this.call('POST', '/v1/keys', { body: input }); }

  list() { return this.call('GET', '/v1/keys'); }

  /** @param {string} id @returns {Promise<void>} */
  async revoke(id) { await this.call('DELETE', `/v1/keys/${seg('key id', id)}`); }
}

/** Agents: herald.agents, the agents that report to Herald, their logs, metrics and deployments. */
export class Agents extends Resource {
  /** @param {{ status?: string, skip?: number, limit?: number }} [filter] */
  list(filter = {}) { return this.call('GET', '/v1/agents', { query: filter }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/agents/${seg('agent id', id)}`); }

  /** @param {any} input */
  create(input) { return this.call('POST', '/v1/agents', { body: input }); }

  /** @param {string} id @param {any} input */
  update(id, input) { return this.call('PATCH', `/v1/agents/${seg('agent id', id)}`, { body: input }); }

  /** @param {string} id @param {{ since?: Date | string, limit?: number }} [opts] */
  logs(id, opts = {}) { return this.call('GET', `/v1/agents/${seg('agent id', id)}/logs`, { query: opts }); }

  /** @param {string} id @param {{ name?: string, since?: Date | string, until?: Date | string, step?: string, limit?: number }} [opts] */
  metrics(id, opts = {}) { return this.call('GET', `/v1/agents/${seg('agent id', id)}/metrics`, { query: opts }); }

  /** @param {string} id @param {{ status?: string, skip?: number, limit?: number }} [filter] */
  deployments(id, filter = {}) {
    seg('agent id', id);
    return this.call('GET', '/v1/deployments', { query: { ...filter, agent_id: id } });
  }
}

/** Deployments: herald.deployments, the deployments agents reported. */
export class Deployments extends Resource {
  /** @param {{ agent_id?: string, status?: string, skip?: number, limit?: number }} [filter] */
  list(filter = {}) { return this.call('GET', '/v1/deployments', { query: filter }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/deployments/${seg('deployment id', id)}`); }
}

/** Ingest: herald.ingest, the reports of agents (an ingest or admin key, or a JWT). */
export class Ingest extends Resource {
  /** @param {any} report */
  agentStatus(report) { return this.call('POST', '/v1/ingest/agent-status', { body: report }); }

  /** @param {any} report */
  deployment(report) { return this.call('POST', '/v1/ingest/deployment', { body: report }); }

  /** @param {any} report */
  metrics(report) { return this.call('POST', '/v1/ingest/metrics', { body: report }); }
}

/** Alerts: herald.alerts, alert rules over agents' metrics and statuses. */
export class Alerts extends Resource {
  /** @param {any} input */
  create(input) { return this.call('POST', '/v1/alerts', { body: input }); }

  /** @param {{ skip?: number, limit?: number }} [opts] */
  list(opts = {}) { return this.call('GET', '/v1/alerts', { query: opts }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/alerts/${seg('alert id', id)}`); }

  /** @param {string} id @param {any} input */
  update(id, input) { return this.call('PATCH', `/v1/alerts/${seg('alert id', id)}`, { body: input }); }

  /** @param {string} id @returns {Promise<void>} */
  async delete(id) { await this.call('DELETE', `/v1/alerts/${seg('alert id', id)}`); }
}

/** Inbound: herald.inbound, named inbound webhooks that invoke agents, their request logs and the built-in providers' secrets. */
export class Inbound extends Resource {
  /** @param {any} input */
  create(input) { return this.call('POST', '/api/webhooks', { body: input }); }

  list() { return this.call('GET', '/api/webhooks'); }

  /** @param {string} name */
  get(name) { return this.call('GET', `/api/webhooks/${seg('webhook name', name)}`); }

  /** @param {string} name @param {any} input */
  update(name, input) { return this.call('PUT', `/api/webhooks/${seg('webhook name', name)}`, { body: input }); }

  /** @param {string} name @returns {Promise<void>} */
  async delete(name) { await this.call('DELETE', `/api/webhooks/${seg('webhook name', name)}`); }

  /** @param {string} name @param {{ message: string, context?: Record<string, unknown>, response_mode?: string }} input */
  trigger(name, input) { return this.call('POST', `/api/webhooks/${seg('webhook name', name)}/trigger`, { body: input }); }

  /** @param {string} name @param {{ verdict?: string, limit?: number }} [opts] */
  requests(name, opts = {}) { return this.call('GET', `/api/webhooks/${seg('webhook name', name)}/requests`, { query: opts }); }

  /** @param {string} name */
  getSecret(name) { return this.call('GET', `/v1/inbound/secrets/${seg('endpoint name', name)}`); }

  /** @param {string} name @param {string} secret */
  setSecret(name, secret) { return this.call('PUT', `/v1/inbound/secrets/${seg('endpoint name', name)}`, { body: { secret } }); }

  /** @param {string} name @returns {Promise<void>} */
  async deleteSecret(name) { await this.call('DELETE', `/v1/inbound/secrets/${seg('endpoint name', name)}`); }
}

/** Invocations: herald.invocations, the agent invocations inbound webhooks made. */
export class Invocations extends Resource {
  /** @param {{ agent?: string, status?: string, skip?: number, limit?: number }} [filter] */
  list(filter = {}) { return this.call('GET', '/v1/invocations', { query: filter }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/invocations/${seg('invocation id', id)}`); }
}

/** Operations: herald.operations, the bulk re-sends recover, replay and replayMissing start. */
export class Operations extends Resource {
  /** @param {{ skip?: number, limit?: number }} [opts] */
  list(opts = {}) { return this.call('GET', '/v1/operations', { query: opts }); }

  /** @param {string} id */
  get(id) { return this.call('GET', `/v1/operations/${seg('operation id', id)}`); }

  /**
   * Polls get(id) every interval ms (500) until the operation has succeeded
   * or failed; rejects after timeout ms (300000; 0 for none) or on signal.
   * @param {string} id @param {{ interval?: number, timeout?: number, signal?: AbortSignal }} [opts]
   */
  async wait(id, opts = {}) {
    const interval = opts.interval ?? 500;
    const timeout = opts.timeout ?? 300000;
    const deadline = timeout > 0 ? Date.now() + timeout : Infinity;
    for (;;) {
      const op = await this.get(id);
      if (op.status === 'succeeded' || op.status === 'failed') return op;
      if (Date.now() >= deadline) throw new Error(`operation ${id} is still ${op.status} after ${timeout} ms`);
      if (opts.signal && opts.signal.aborted) throw opts.signal.reason ?? new Error('aborted');
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}

/** Stats: GET /v1/stats, the database's size (platform admin keys only). */
export class Stats extends Resource {
  get() { return this.call('GET', '/v1/stats'); }
}
