// The shapes of the REST API's requests and answers, taken from the
// declarations openapi-typescript generates from api/openapi.yaml
// (openapi.d.ts; npm run generate), so they follow the API's description.
// Times are RFC 3339 strings.

import type { components, paths } from './openapi.js';

type Schemas = components['schemas'];
type JSONOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type RouteOf<P extends keyof paths, M extends 'get' | 'put' | 'post' | 'patch' | 'delete'> = NonNullable<paths[P][M]>;
/** The JSON body of a route. */
type BodyOf<P extends keyof paths, M extends 'put' | 'post' | 'patch'> =
  RouteOf<P, M> extends { requestBody?: infer R } ? JSONOf<NonNullable<R>> : never;
/** The JSON answer of a route with a status. */
type AnswerOf<P extends keyof paths, M extends 'get' | 'put' | 'post' | 'patch' | 'delete', S extends number> =
  RouteOf<P, M> extends { responses: infer R } ? (S extends keyof R ? JSONOf<R[S]> : never) : never;
/** The query parameters of a route but tenant_id (the client's tenant option sends X-Herald-Tenant), times also as Dates. */
type QueryOf<P extends keyof paths, M extends 'get'> =
  RouteOf<P, M> extends { parameters: { query?: infer Q } } ? Dated<Omit<NonNullable<Q>, 'tenant_id'>> : never;
type Dated<Q> = { [K in keyof Q]: K extends 'since' | 'until' ? Q[K] | Date : Q[K] };

/** One page of a list answer: items from position skip, at most limit of them, out of total. */
export interface List<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
}

/** Paging options of a list: skip (default 0) and limit (default 50, at most 1000). */
export type ListOptions = QueryOf<'/v1/tenants', 'get'>;

/** A signature format of the signature header. */
export type SignatureFormat = 'sha256=hex' | 'hex' | 'base64';

/** A webhook: an endpoint Herald delivers matching events to. */
export type Webhook = Schemas['Webhook'];
/** The answer of webhooks.create: the webhook with its secret, and warnings about its event patterns. */
export type WebhookCreated = Schemas['WebhookCreated'] & { secret: string };
/** The fields of webhooks.create and webhooks.update; update changes only the fields given. */
export type WebhookInput = Schemas['WebhookInput'];
/** Filters of webhooks.list. */
export type WebhookListOptions = QueryOf<'/v1/webhooks', 'get'>;
/** One attempt of a delivery. */
export type Attempt = Schemas['Attempt'];
/** A delivery of one event to one webhook. */
export type Delivery = Schemas['Delivery'];
/** Filters of webhooks.deliveries and deliveries.list. */
export type DeliveryFilter = QueryOf<'/v1/webhooks/{id}/deliveries', 'get'>;
/** The answer of webhooks.test: the first attempt, or pending (a 202) when none finished in time. */
export type WebhookTestResult = Schemas['WebhookTestResult'] & { pending: boolean };
/** The body of webhooks.test. */
export type WebhookTestInput = BodyOf<'/v1/webhooks/{id}/test', 'post'>;
/** The body of webhooks.rotateSecret. */
export type RotateSecretInput = BodyOf<'/v1/webhooks/{id}/secret/rotate', 'post'>;
/** The answer of webhooks.health. */
export type WebhookHealth = Schemas['WebhookHealth'];

/** An event as stored. */
export type Event = Schemas['Event'];
/** The body of events.send. */
export type EventInput = Schemas['PublishInput'];
/** The answer of events.send; duplicate when the id was sent before (a 200). */
export type SendResult = Schemas['PublishAnswer'] & { duplicate: boolean };
/** Filters of events.list. */
export type EventFilter = QueryOf<'/v1/events', 'get'>;
/** An event type of the catalogue. */
export type EventType = Schemas['EventType'];
/** The body of eventTypes.put. */
export type EventTypeInput = Schemas['EventTypeInput'];
/** Filters of eventTypes.list. */
export type EventTypeFilter = QueryOf<'/v1/event-types', 'get'>;

/** A tenant: one customer of a platform. */
export type Tenant = Schemas['Tenant'];
/** The body of tenants.put. */
export type TenantInput = Schemas['TenantInput'];
/** The body of tenants.portal. */
export type PortalInput = Schemas['PortalInput'];
/** A signed link to a tenant's portal. */
export type PortalLink = Schemas['PortalLink'];

/** An API key; key is answered by create only. */
export type APIKey = Schemas['APIKey'];
/** The body of keys.create. */
export type KeyInput = BodyOf<'/v1/keys', 'post'>;

/** How Herald runs an agent an inbound webhook invokes. */
export type Runtime = Schemas['Runtime'];
/** An agent. */
export type Agent = Schemas['Agent'];
/** The body of agents.create and agents.update. */
export type AgentInput = Schemas['AgentInput'];
/** Filters of agents.list. */
export type AgentFilter = QueryOf<'/v1/agents', 'get'>;
/** One log line of an agent. */
export type LogEntry = Schemas['LogEntry'];
/** Options of agents.logs. */
export type LogOptions = QueryOf<'/v1/agents/{id}/logs', 'get'>;
/** The answer of agents.logs. */
export type AgentLogs = AnswerOf<'/v1/agents/{id}/logs', 'get', 200>;
/** Options of agents.metrics. */
export type MetricsOptions = QueryOf<'/v1/agents/{id}/metrics', 'get'>;
/** The answer of agents.metrics: raw points, or buckets when a step is given. */
export type AgentMetrics = Schemas['AgentMetrics'];
/** A deployment an agent reported. */
export type Deployment = Schemas['Deployment'];
/** Filters of deployments.list. */
export type DeploymentFilter = QueryOf<'/v1/deployments', 'get'>;

/** The body of ingest.agentStatus. */
export type AgentStatusReport = BodyOf<'/v1/ingest/agent-status', 'post'>;
/** The body of ingest.deployment. */
export type DeploymentReport = BodyOf<'/v1/ingest/deployment', 'post'>;
/** The body of ingest.metrics. */
export type MetricsReport = BodyOf<'/v1/ingest/metrics', 'post'>;
/** The answer of the ingest methods: the agent, the deployment, and the events the report published. */
export type IngestResult = AnswerOf<'/v1/ingest/agent-status', 'post', 202>;

/** An alert rule. */
export type AlertRule = Schemas['AlertRule'];
/** The body of alerts.create and alerts.update. */
export type AlertInput = Schemas['AlertInput'];

/** A named inbound webhook: POST /api/webhooks/{name} invokes its agent. */
export type InboundWebhook = Schemas['InboundWebhook'];
/** The body of inbound.create and inbound.update. */
export type InboundWebhookInput = Schemas['InboundWebhookInput'];
/** The answer of inbound.list. */
export type InboundList = AnswerOf<'/api/webhooks', 'get', 200>;
/** The body of inbound.trigger (the document takes any body there, as providers post their own). */
export interface TriggerInput {
  message: string;
  context?: Record<string, unknown>;
  response_mode?: 'sync' | 'async' | string;
}
/** The answer of inbound.trigger. */
export type InboundResult = AnswerOf<'/api/webhooks/{name}/trigger', 'post', 200>;
/** One logged request of an inbound webhook. */
export type InboundRequest = Schemas['InboundRequest'];
/** Options of inbound.requests. */
export type InboundRequestOptions = QueryOf<'/api/webhooks/{name}/requests', 'get'>;
/** The answer of inbound.requests. */
export type InboundRequests = AnswerOf<'/api/webhooks/{name}/requests', 'get', 200>;
/** The answer of inbound.getSecret and inbound.setSecret. */
export type InboundSecret = Schemas['InboundSecretStatus'];

/** The body of webhooks.recover and webhooks.replayMissing: since (required) and until (default now), each an RFC 3339 time (or Date), "now", or a duration back such as "2h". */
export type WindowInput = { since: Schemas['WindowInput']['since'] | Date; until?: Schemas['WindowInput']['until'] | Date };
/** The body of events.replay: the webhooks to send the event to; default every webhook that matches it now. */
export type ReplayInput = Schemas['ReplayInput'];
/** A bulk re-send (recover, replay or replay_missing) and its progress. */
export type Operation = Schemas['Operation'];
/** The answer of webhooks.recover: how many deliveries it will queue, and the operation. */
export type RecoverResult = Schemas['RecoverAnswer'];
/** The answer of events.replay and webhooks.replayMissing. */
export type ReplayResult = Schemas['ReplayAnswer'];
/** Options of operations.wait: poll every interval ms (default 500), give up after timeout ms (default 300000; 0 for none). */
export interface WaitOptions {
  interval?: number;
  timeout?: number;
  signal?: AbortSignal;
}
/** Options of deliveries.stats: webhook_id (default every webhook the key reaches) and window (1h, 24h or 7d; default 24h). */
export type DeliveryStatsOptions = QueryOf<'/v1/deliveries/stats', 'get'>;
/** The answer of deliveries.stats. */
export type DeliveryStats = Schemas['DeliveryStats'];
/** One bucket of DeliveryStats. */
export type DeliveryStatsBucket = Schemas['DeliveryStatsBucket'];
/** The answer of herald.stats(): the database's size by table. */
export type Stats = Schemas['Stats'];

/** An invocation of an agent. */
export type Invocation = Schemas['Invocation'];
/** Filters of invocations.list. */
export type InvocationFilter = QueryOf<'/v1/invocations', 'get'>;

/** The body of a webhook Herald sends. */
export type Payload = Schemas['Payload'];
