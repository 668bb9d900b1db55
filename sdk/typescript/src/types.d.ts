// The shapes of the REST API's requests and answers, by their API field
// names. Times are RFC 3339 strings.

/** One page of a list answer: items from position skip, at most limit of them, out of total. */
export interface List<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
}

/** Paging options of a list: skip (default 0) and limit (default 50, at most 1000). */
export interface ListOptions {
  skip?: number;
  limit?: number;
}

/** A signature format of the signature header. */
export type SignatureFormat = 'sha256=hex' | 'hex' | 'base64';

/** A webhook: an endpoint Herald delivers matching events to. */
export interface Webhook {
  id: string;
  tenant_id: string;
  all_tenants: boolean;
  name: string;
  description: string;
  url: string;
  events: string[];
  agent_id?: string;
  is_active: boolean;
  /** Shown by create only. */
  secret?: string;
  secret_rotated_at: string | null;
  previous_secret_expires_at?: string;
  headers: Record<string, string>;
  timeout_seconds: number;
  max_retries: number;
  retry_schedule?: string[];
  verify_ssl: boolean;
  signature_header: string;
  signature_format: SignatureFormat;
  disabled_reason?: string;
  disabled_at?: string;
  enabled_at?: string;
  created_at: string;
  updated_at: string;
  last_triggered_at: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
}

/** The answer of webhooks.create: the webhook with its secret, and warnings about its event patterns. */
export interface WebhookCreated extends Webhook {
  secret: string;
  warnings: string[];
}

/** The fields of webhooks.create and webhooks.update; update changes only the fields given. */
export interface WebhookInput {
  tenant_id?: string;
  all_tenants?: boolean;
  name?: string;
  description?: string;
  url?: string;
  events?: string[];
  agent_id?: string;
  is_active?: boolean;
  /** Alias of is_active. */
  enabled?: boolean;
  /** Generated ("whsec_...") when missing. */
  secret?: string;
  headers?: Record<string, string>;
  timeout_seconds?: number;
  max_retries?: number;
  retry_schedule?: string[];
  verify_ssl?: boolean;
  signature_header?: string;
  signature_format?: SignatureFormat;
}

/** Filters of webhooks.list. */
export interface WebhookListOptions extends ListOptions {
  agent_id?: string;
}

/** One attempt of a delivery. */
export interface Attempt {
  id: string;
  delivery_id: string;
  number: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  response_headers: Record<string, string[]> | null;
  response_body: string;
  error: string;
  success: boolean;
}

/** A delivery of one event to one webhook. */
export interface Delivery {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  status: string;
  success: boolean;
  attempts: number;
  response_status_code: number | null;
  error_message: string;
  created_at: string;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  /** With deliveries.get only. */
  attempt_list?: Attempt[];
}

/** Filters of webhooks.deliveries and deliveries.list. */
export interface DeliveryFilter extends ListOptions {
  event?: string;
  success?: boolean;
  status?: 'pending' | 'success' | 'failed';
  /** An RFC 3339 time or a duration back from now, such as "2h". */
  since?: Date | string;
  /** An RFC 3339 time or a duration back from now. */
  until?: Date | string;
}

/** The answer of webhooks.test: the first attempt, or pending when none was made in time. */
export interface WebhookTestResult {
  delivery_id: string;
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string;
  pending: boolean;
}

/** The body of webhooks.rotateSecret. */
export interface RotateSecretInput {
  /** Generated when missing. */
  secret?: string;
  /** How long the old secret keeps signing, such as "24h" (the default) or "7d". */
  grace_period?: string;
}

/** One window of webhooks.health. */
export interface HealthWindow {
  window: string;
  attempts: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
}

/** The answer of webhooks.health. */
export interface WebhookHealth {
  webhook_id: string;
  is_active: boolean;
  disabled_reason?: string;
  disabled_at?: string;
  windows: HealthWindow[];
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  failing_since: string | null;
  failed_deliveries: number;
  disable_at: string | null;
}

/** An event as stored. */
export interface Event {
  id: string;
  tenant_id: string;
  type: string;
  created: number;
  timestamp: string;
  data: unknown;
  /** With events.get only. */
  deliveries?: Delivery[];
}

/** The body of events.send. */
export interface EventInput {
  /** Idempotency key: sending an id again is a duplicate. */
  id?: string;
  type: string;
  data?: unknown;
  tenant_id?: string;
}

/** The answer of events.send; duplicate when the id was sent before. */
export interface SendResult {
  id: string;
  type: string;
  created: number;
  timestamp: string;
  deliveries: number;
  duplicate: boolean;
}

/** Filters of events.list. */
export interface EventFilter extends ListOptions {
  type?: string;
  agent_id?: string;
}

/** An event type of the catalogue. */
export interface EventType {
  name: string;
  description: string;
  schema: unknown;
  example: unknown;
  deprecated: boolean;
  version: number;
  versions?: Array<{ version: number; description: string; schema: unknown; example: unknown; deprecated: boolean; created_at: string }>;
  created_at: string;
  updated_at: string;
}

/** The body of eventTypes.put. */
export interface EventTypeInput {
  description?: string;
  schema?: unknown;
  example?: unknown;
  deprecated?: boolean;
}

/** A tenant: one customer of a platform. */
export interface Tenant {
  id: string;
  name: string;
  metadata: unknown;
  created_at: string;
  updated_at: string;
  counts?: { webhooks: number; agents: number };
}

/** The body of tenants.put. */
export interface TenantInput {
  name?: string;
  metadata?: unknown;
}

/** The body of tenants.portal. */
export interface PortalInput {
  /** Such as "1h" (the default) or "7d". */
  expires_in?: string;
  capabilities?: string[];
  agent_id?: string;
  event_types?: string[];
}

/** A signed link to a tenant's portal. */
export interface PortalLink {
  url: string;
  token: string;
  expires_at: string;
}

/** An API key; key is shown by create only. */
export interface APIKey {
  id: string;
  name: string;
  scope: 'admin' | 'ingest';
  tenant_id: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  key?: string;
}

/** The body of keys.create. */
export interface KeyInput {
  name: string;
  /** "ingest" (the default, least privilege) or "admin". */
  scope?: 'admin' | 'ingest';
  tenant_id?: string;
}

/** How Herald runs an agent an inbound webhook invokes. */
export interface Runtime {
  type: string;
  url?: string;
  headers?: Record<string, string>;
  command?: string[];
  timeout_seconds?: number;
  max_concurrency?: number;
}

/** An agent. */
export interface Agent {
  id: string;
  tenant_id: string;
  name?: string;
  runtime?: Runtime;
  status: string;
  node_id: string;
  error?: string;
  metadata?: unknown;
  last_metrics: Record<string, number> | null;
  last_metrics_at: string | null;
  last_seen: string;
  status_changed_at: string;
  created_at: string;
  updated_at: string;
}

/** The body of agents.create and agents.update. */
export interface AgentInput {
  id?: string;
  name?: string;
  runtime?: Runtime;
}

/** Filters of agents.list. */
export interface AgentFilter extends ListOptions {
  status?: string;
}

/** One log line of an agent. */
export interface LogEntry {
  level: string;
  message: string;
  timestamp: string;
}

/** The answer of agents.logs. */
export interface AgentLogs {
  agent_id: string;
  items: LogEntry[];
  limit: number;
}

/** The answer of agents.metrics: raw points, or buckets when a step is given. */
export interface AgentMetrics {
  agent_id: string;
  name?: string;
  since: string;
  until: string;
  step?: string;
  points?: Array<{ name: string; value: number; timestamp: string }>;
  buckets?: Array<{ name: string; timestamp: string; value: number; min: number; max: number; count: number }>;
}

/** Options of agents.metrics. */
export interface MetricsOptions {
  name?: string;
  since?: Date | string;
  until?: Date | string;
  /** Bucket width, such as "1m". */
  step?: string;
  limit?: number;
}

/** A deployment an agent reported. */
export interface Deployment {
  id: string;
  tenant_id: string;
  agent_id: string;
  status: string;
  version?: string;
  changes?: unknown;
  error?: string;
  reason?: string;
  created_at: string;
  updated_at: string;
  history?: Array<{ status: string; version?: string; changes?: unknown; error?: string; reason?: string; at: string }>;
}

/** Filters of deployments.list. */
export interface DeploymentFilter extends ListOptions {
  agent_id?: string;
  status?: string;
}

/** The body of ingest.agentStatus. */
export interface AgentStatusReport {
  tenant_id?: string;
  agent_id: string;
  status: string;
  node_id?: string;
  error?: string;
  reason?: string;
  logs?: Array<string | { level?: string; message: string; timestamp?: string }>;
  metadata?: unknown;
}

/** The body of ingest.deployment. */
export interface DeploymentReport {
  tenant_id?: string;
  deployment_id: string;
  agent_id: string;
  status: string;
  version?: string;
  changes?: unknown;
  error?: string;
  reason?: string;
}

/** The body of ingest.metrics. */
export interface MetricsReport {
  tenant_id?: string;
  agent_id: string;
  metrics: Record<string, number>;
  timestamp?: string;
}

/** The answer of the ingest methods: the agent, the deployment, and the events the report published. */
export interface IngestResult {
  agent: Agent;
  deployment?: Deployment;
  events: Array<{ id: string; type: string }>;
}

/** An alert rule. */
export interface AlertRule {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  metric: string;
  agg: string;
  op: string;
  threshold: number;
  window: string;
  webhook_id?: string;
  agent_id?: string;
  is_active: boolean;
  state: string;
  value: number | null;
  evaluated_at: string | null;
  triggered_at: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The body of alerts.create and alerts.update. */
export interface AlertInput {
  tenant_id?: string;
  name?: string;
  description?: string;
  metric?: string;
  agg?: 'avg' | 'min' | 'max' | 'sum' | 'count';
  op?: '>' | '>=' | '<' | '<=' | '==' | '!=';
  threshold?: number;
  /** Such as "5m". */
  window?: string;
  webhook_id?: string;
  agent_id?: string;
  is_active?: boolean;
}

/** A named inbound webhook: POST /api/webhooks/{name} invokes its agent. */
export interface InboundWebhook {
  tenant_id: string;
  name: string;
  agent: string;
  description: string;
  is_active: boolean;
  enabled: boolean;
  provider: string;
  transform: { message_template?: string; context_mapping?: Record<string, string> };
  filters: { include?: string[]; exclude?: string[]; condition?: string };
  response_mode: string;
  allowed_ips?: string[];
  rate_limit?: { requests: number; per: string };
  created_at: string;
  updated_at: string;
  last_triggered_at: string | null;
}

/** The body of inbound.create and inbound.update. */
export interface InboundWebhookInput {
  tenant_id?: string;
  name?: string;
  agent?: string;
  secret?: string;
  description?: string;
  is_active?: boolean;
  enabled?: boolean;
  provider?: string;
  transform?: { message_template?: string; context_mapping?: Record<string, string> };
  filters?: { include?: string[]; exclude?: string[]; condition?: string };
  response_mode?: string;
  allowed_ips?: string[];
  rate_limit?: { requests: number; per: string };
  bot_token?: string;
}

/** The answer of inbound.list. */
export interface InboundList {
  items: InboundWebhook[];
  webhooks: InboundWebhook[];
  total: number;
}

/** The body of inbound.trigger. */
export interface TriggerInput {
  message: string;
  context?: Record<string, unknown>;
  response_mode?: string;
}

/** The answer of inbound.trigger. */
export interface InboundResult {
  success: boolean;
  agent?: string;
  response?: string;
  context?: unknown;
  request_id?: string;
  status_url?: string;
  filtered?: boolean;
  reason?: string;
  duplicate?: boolean;
}

/** One logged request of an inbound webhook. */
export interface InboundRequest {
  tenant_id: string;
  id: string;
  webhook: string;
  at: string;
  source_ip: string;
  headers: Record<string, string>;
  body: string;
  event_type?: string;
  verdict: string;
  reason?: string;
  status: number;
  invocation_id?: string;
}

/** The answer of inbound.requests. */
export interface InboundRequests {
  items: InboundRequest[];
  limit: number;
}

/** The answer of inbound.getSecret and inbound.setSecret. */
export interface InboundSecret {
  name: string;
  configured: boolean;
}

/** An invocation of an agent. */
export interface Invocation {
  id: string;
  tenant_id: string;
  agent: string;
  source: string;
  response_mode: string;
  status: string;
  message: string;
  context: unknown;
  user?: unknown;
  room?: unknown;
  response?: string;
  actions?: Array<{ action: string; content?: unknown }>;
  error?: string;
  duration_ms: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  reply_status?: string;
  reply_error?: string;
}

/** Filters of invocations.list. */
export interface InvocationFilter extends ListOptions {
  agent?: string;
  status?: string;
}
