// Declarations of @herald/sdk.

import type {
  AgentFilter, AgentInput, EventTypeFilter, InboundRequestOptions, LogOptions, WebhookTestInput, AgentLogs, AgentMetrics, AgentStatusReport, Agent, AlertInput, AlertRule, APIKey, Delivery,
  DeliveryFilter, Deployment, DeploymentFilter, DeploymentReport, Event, EventFilter, EventInput, EventType,
  EventTypeInput, InboundList, InboundRequests, InboundResult, InboundSecret, InboundWebhook, InboundWebhookInput,
  IngestResult, Invocation, InvocationFilter, KeyInput, List, ListOptions, MetricsOptions, MetricsReport, PortalInput,
  PortalLink, RotateSecretInput, SendResult, SignatureFormat, Tenant, TenantInput, TriggerInput, Webhook, WebhookCreated,
  WebhookHealth, WebhookInput, WebhookListOptions, WebhookTestResult, WindowInput, ReplayInput, Operation, RecoverResult,
  ReplayResult, WaitOptions, DeliveryStatsOptions, DeliveryStats, Stats,
} from './types.js';

export type * from './types.js';
export { heraldWebhook } from './express.js';
export type { HeraldWebhookOptions } from './express.js';

/** Where "herald serve" listens unless told otherwise: "http://127.0.0.1:8420". */
export declare const DEFAULT_BASE_URL: string;
/** The default bound of each call, in milliseconds: 30000. */
export declare const DEFAULT_TIMEOUT: number;
/** The header that scopes a platform admin key's request to one tenant: "X-Herald-Tenant". */
export declare const TENANT_HEADER: string;
/** The least time webhooks.test allows a call, in milliseconds: 6 minutes. */
export declare const WEBHOOK_TEST_TIMEOUT: number;
/** The signature header Herald sends unless a webhook names another: "X-Webhook-Signature". */
export declare const DEFAULT_SIGNATURE_HEADER: string;
/** The suffix of the header with the old secrets' signatures during a rotation: "-Previous". */
export declare const PREVIOUS_SIGNATURE_SUFFIX: string;
/** The Standard Webhooks timestamp tolerance, in seconds: 300. */
export declare const DEFAULT_TOLERANCE: number;

/** Options of new Herald(). */
export interface HeraldOptions {
  /** The API key (or, for ingest, a JWT); default process.env.HERALD_API_KEY. No Authorization header when empty. */
  apiKey?: string;
  /** The server's base URL; default process.env.HERALD_URL, else "http://127.0.0.1:8420". "host:port" means http. */
  baseUrl?: string;
  /** Scopes a platform admin key's calls to one tenant (the X-Herald-Tenant header); default none. */
  tenant?: string;
  /** Bound of each call in milliseconds; default 30000; 0 for none. webhooks.test is allowed at least 6 minutes. */
  timeout?: number;
  /** The fetch function; default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** The User-Agent header; default "herald-js-sdk". */
  userAgent?: string;
}

/** A client of one Herald server. */
export declare class Herald {
  constructor(options?: HeraldOptions);
  /** The base URL in use, without a trailing slash. */
  readonly baseUrl: string;
  /** The tenant the client is scoped to, "" when none. */
  readonly tenant: string;
  /** Returns a client like this one scoped to a tenant ("" for none). */
  withTenant(tenant: string): Herald;
  /** Sends one API call: the escape hatch for a route without a method. */
  request(method: string, path: string, opts?: { query?: Record<string, unknown>; body?: unknown; minTimeout?: number; signal?: AbortSignal }): Promise<{ status: number; data: any }>;

  readonly webhooks: Webhooks;
  readonly deliveries: Deliveries;
  readonly events: Events;
  readonly eventTypes: EventTypes;
  readonly tenants: Tenants;
  readonly keys: Keys;
  readonly agents: Agents;
  readonly deployments: Deployments;
  readonly ingest: Ingest;
  readonly alerts: Alerts;
  readonly inbound: Inbound;
  readonly invocations: Invocations;
  readonly operations: Operations;
  /** GET /v1/stats: rows and bytes of every table of the database (platform admin keys only). */
  stats(): Promise<Stats>;
}

/** herald.webhooks: the endpoints Herald delivers events to, and their deliveries. */
export declare class Webhooks {
  /** POST /v1/webhooks. The answer is the only one with the secret. */
  create(input: WebhookInput & { url: string; events: string[] }): Promise<WebhookCreated>;
  /** GET /v1/webhooks. */
  list(opts?: WebhookListOptions): Promise<List<Webhook>>;
  /** GET /v1/webhooks/{id}. */
  get(id: string): Promise<Webhook>;
  /** PATCH /v1/webhooks/{id}: changes the fields given. */
  update(id: string, input: WebhookInput): Promise<Webhook>;
  /** update(id, { is_active: true }). */
  enable(id: string): Promise<Webhook>;
  /** update(id, { is_active: false }). */
  disable(id: string): Promise<Webhook>;
  /** DELETE /v1/webhooks/{id}. */
  delete(id: string): Promise<void>;
  /** GET /v1/webhooks/{id}/deliveries, newest first. */
  deliveries(id: string, filter?: DeliveryFilter): Promise<List<Delivery>>;
  /** GET /v1/webhooks/{id}/deliveries/{delivery_id}, with its attempts. */
  delivery(id: string, deliveryId: string): Promise<Delivery>;
  /** POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry. */
  retryDelivery(id: string, deliveryId: string): Promise<Delivery>;
  /** POST /v1/webhooks/{id}/test: sends a webhook.test event (or one of event_type, with the catalogue's example) and waits for the first attempt. */
  test(id: string, opts?: WebhookTestInput): Promise<WebhookTestResult>;
  /** POST /v1/webhooks/{id}/secret/rotate: the answer has the new secret. */
  rotateSecret(id: string, input?: RotateSecretInput): Promise<Webhook>;
  /** GET /v1/webhooks/{id}/health. */
  health(id: string): Promise<WebhookHealth>;
  /** POST /v1/webhooks/{id}/recover: starts an operation that queues a new attempt of every delivery that ended failed in the window. */
  recover(id: string, input: WindowInput): Promise<RecoverResult>;
  /** POST /v1/webhooks/{id}/replay-missing: starts an operation that sends the events of the window that match the webhook now but never went to it. */
  replayMissing(id: string, input: WindowInput): Promise<ReplayResult>;
}

/** herald.deliveries: a webhook's deliveries. */
export declare class Deliveries {
  /** GET /v1/webhooks/{id}/deliveries. */
  list(webhookId: string, filter?: DeliveryFilter): Promise<List<Delivery>>;
  /** GET /v1/webhooks/{id}/deliveries/{delivery_id}, with its attempts. */
  get(webhookId: string, deliveryId: string): Promise<Delivery>;
  /** POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry: queues it again. */
  retry(webhookId: string, deliveryId: string): Promise<Delivery>;
  /** GET /v1/deliveries/stats: deliveries per bucket by outcome, with p50/p95 latency, over window (default 24h). */
  stats(opts?: DeliveryStatsOptions): Promise<DeliveryStats>;
}

/** herald.events. */
export declare class Events {
  /** POST /v1/events: duplicate is true when the id was sent before. */
  send(input: EventInput): Promise<SendResult>;
  /** GET /v1/events, newest first. */
  list(filter?: EventFilter): Promise<List<Event>>;
  /** GET /v1/events/{id}, with its deliveries. */
  get(id: string): Promise<Event>;
  /** POST /v1/events/{id}/replay: starts an operation that sends the event again, to the webhooks named or to every one that matches it now. */
  replay(id: string, input?: ReplayInput): Promise<ReplayResult>;
}

/** herald.operations: the bulk re-sends recover, replay and replayMissing start. */
export declare class Operations {
  /** GET /v1/operations, newest first. */
  list(opts?: ListOptions): Promise<List<Operation>>;
  /** GET /v1/operations/{id}. */
  get(id: string): Promise<Operation>;
  /** Polls get(id) until the operation has succeeded or failed, and returns it; rejects after opts.timeout ms. */
  wait(id: string, opts?: WaitOptions): Promise<Operation>;
}

/** herald.eventTypes: the event catalogue (platform admin keys change it). */
export declare class EventTypes {
  /** GET /v1/event-types. */
  list(opts?: EventTypeFilter): Promise<List<EventType>>;
  /** GET /v1/event-types/{name}, with its versions. */
  get(name: string): Promise<EventType>;
  /** PUT /v1/event-types/{name}. */
  put(name: string, input: EventTypeInput): Promise<EventType>;
  /** DELETE /v1/event-types/{name}. */
  delete(name: string): Promise<void>;
}

/** herald.tenants (platform admin keys only). */
export declare class Tenants {
  /** PUT /v1/tenants/{id}: creates or updates. */
  put(id: string, input?: TenantInput): Promise<Tenant>;
  /** GET /v1/tenants. */
  list(opts?: ListOptions): Promise<List<Tenant>>;
  /** GET /v1/tenants/{id}, with its counts. */
  get(id: string): Promise<Tenant>;
  /** DELETE /v1/tenants/{id}, with its rows. */
  delete(id: string): Promise<void>;
  /** POST /v1/tenants/{id}/portal: a signed link to the tenant's portal. */
  portal(id: string, input?: PortalInput): Promise<PortalLink>;
}

/** herald.keys (admin keys only). */
export declare class Keys {
  /** POST /v1/keys: the answer is the only one with the key. */
  create(input: KeyInput): Promise<APIKey>;
  /** GET /v1/keys. */
  list(): Promise<List<APIKey>>;
  /** DELETE /v1/keys/{id}. */
  revoke(id: string): Promise<void>;
}

/** herald.agents. */
export declare class Agents {
  /** GET /v1/agents. */
  list(filter?: AgentFilter): Promise<List<Agent>>;
  /** GET /v1/agents/{id}. */
  get(id: string): Promise<Agent>;
  /** POST /v1/agents: an agent inbound webhooks can invoke. */
  create(input: AgentInput): Promise<Agent>;
  /** PATCH /v1/agents/{id}. */
  update(id: string, input: AgentInput): Promise<Agent>;
  /** GET /v1/agents/{id}/logs, oldest first. */
  logs(id: string, opts?: LogOptions): Promise<AgentLogs>;
  /** GET /v1/agents/{id}/metrics. */
  metrics(id: string, opts?: MetricsOptions): Promise<AgentMetrics>;
  /** GET /v1/deployments?agent_id={id}. */
  deployments(id: string, filter?: Omit<DeploymentFilter, 'agent_id'>): Promise<List<Deployment>>;
}

/** herald.deployments. */
export declare class Deployments {
  /** GET /v1/deployments. */
  list(filter?: DeploymentFilter): Promise<List<Deployment>>;
  /** GET /v1/deployments/{id}, with its history. */
  get(id: string): Promise<Deployment>;
}

/** herald.ingest: agents' reports (an ingest or admin key, or a JWT). */
export declare class Ingest {
  /** POST /v1/ingest/agent-status. */
  agentStatus(report: AgentStatusReport): Promise<IngestResult>;
  /** POST /v1/ingest/deployment. */
  deployment(report: DeploymentReport): Promise<IngestResult>;
  /** POST /v1/ingest/metrics. */
  metrics(report: MetricsReport): Promise<IngestResult>;
}

/** herald.alerts. */
export declare class Alerts {
  /** POST /v1/alerts. */
  create(input: AlertInput & { name: string; metric: string; op: string; threshold: number }): Promise<AlertRule>;
  /** GET /v1/alerts. */
  list(opts?: ListOptions): Promise<List<AlertRule>>;
  /** GET /v1/alerts/{id}. */
  get(id: string): Promise<AlertRule>;
  /** PATCH /v1/alerts/{id}. */
  update(id: string, input: AlertInput): Promise<AlertRule>;
  /** DELETE /v1/alerts/{id}. */
  delete(id: string): Promise<void>;
}

/** herald.inbound: named inbound webhooks that invoke agents. */
export declare class Inbound {
  /** POST /api/webhooks. */
  create(input: InboundWebhookInput & { name: string; agent: string }): Promise<InboundWebhook>;
  /** GET /api/webhooks. */
  list(): Promise<InboundList>;
  /** GET /api/webhooks/{name}. */
  get(name: string): Promise<InboundWebhook>;
  /** PUT /api/webhooks/{name}. */
  update(name: string, input: InboundWebhookInput): Promise<InboundWebhook>;
  /** DELETE /api/webhooks/{name}. */
  delete(name: string): Promise<void>;
  /** POST /api/webhooks/{name}/trigger: invokes the agent with a message. */
  trigger(name: string, input: TriggerInput): Promise<InboundResult>;
  /** GET /api/webhooks/{name}/requests, newest first. */
  requests(name: string, opts?: InboundRequestOptions): Promise<InboundRequests>;
  /** GET /v1/inbound/secrets/{name}: whether a built-in endpoint's secret is set (platform keys). */
  getSecret(name: string): Promise<InboundSecret>;
  /** PUT /v1/inbound/secrets/{name}. */
  setSecret(name: string, secret: string): Promise<InboundSecret>;
  /** DELETE /v1/inbound/secrets/{name}. */
  deleteSecret(name: string): Promise<void>;
}

/** herald.invocations. */
export declare class Invocations {
  /** GET /v1/invocations. */
  list(filter?: InvocationFilter): Promise<List<Invocation>>;
  /** GET /v1/invocations/{id}. */
  get(id: string): Promise<Invocation>;
}

/** A non-2xx answer of the server. */
export declare class HeraldError extends Error {
  constructor(message: string, details: { code: string; status: number; body?: unknown });
  /** Herald's error code, such as "not_found" or "invalid". */
  readonly code: string;
  /** The HTTP status. */
  readonly status: number;
  /** The answer's body, parsed when JSON. */
  readonly body: unknown;
}
/** A 404: the resource does not exist, or is another tenant's. */
export declare class NotFoundError extends HeraldError {}
/** A 400: field is the bad field the message names, "" when none. */
export declare class ValidationError extends HeraldError {
  readonly field: string;
}
/** A 401 or 403. */
export declare class AuthenticationError extends HeraldError {}
/** A 429: retryAfter is the wait asked for, in seconds. */
export declare class RateLimitError extends HeraldError {
  constructor(message: string, details: { code: string; status: number; body?: unknown; retryAfter?: number });
  readonly retryAfter: number | undefined;
}
/** A request that got no answer. */
export declare class ConnectionError extends Error {
  constructor(message: string, details: { method: string; url: string; cause?: unknown });
  readonly method: string;
  readonly url: string;
}

/** Why a webhook did not verify. */
export type SignatureErrorReason =
  | 'missing_secret'
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'no_match'
  | 'body_not_raw'
  | 'body_too_large'
  | 'invalid_payload';

/** A webhook request whose signature does not verify. */
export declare class SignatureError extends Error {
  constructor(reason: SignatureErrorReason, message: string);
  readonly reason: SignatureErrorReason;
}

/** Request headers: a Fetch Headers object, or Node's req.headers. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** Options of verifyWebhook. */
export interface VerifyOptions {
  /**
   * Which signature to check: "standard" (webhook-id, webhook-timestamp,
   * webhook-signature; the only one that covers a timestamp, so the only
   * one that stops replays), "signature" (the signature header and its
   * -Previous twin), "both", or "auto" (the default): standard when any
   * Standard Webhooks header is present, else the signature header.
   */
  scheme?: 'auto' | 'standard' | 'signature' | 'both';
  /** The signature header; default "X-Webhook-Signature". */
  header?: string;
  /** The signature header's format; default "auto" (from the value: "sha256=", 64 hex digits, else base64). */
  format?: SignatureFormat | 'auto';
  /** Standard Webhooks timestamp tolerance in seconds; default 300; 0 disables the check. */
  tolerance?: number;
  /** The time to check the timestamp against; default now. */
  now?: Date;
}

/**
 * Checks that a request is a webhook Herald signed with the secret (or one
 * of the secrets, while a receiver moves to a new one), over the raw bytes
 * of its body, and returns the parsed JSON payload. Throws a
 * SignatureError otherwise.
 */
export declare function verifyWebhook<T = any>(rawBody: string | Uint8Array | ArrayBuffer, headers: WebhookHeaders, secret: string | string[], options?: VerifyOptions): T;

/** The signature header value Herald writes for a body: "sha256=<hex>" (the default format), "<hex>" or "<base64>". */
export declare function sign(body: string | Uint8Array, secret: string, format?: SignatureFormat): string;

/** The Standard Webhooks webhook-signature value Herald writes: "v1,<base64>". */
export declare function signStandard(body: string | Uint8Array, secret: string, id: string, timestamp: number): string;
