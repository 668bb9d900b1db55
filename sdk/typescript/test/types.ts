// Type assertions over the declarations: each @ts-expect-error must be an
// error, so the declarations are not `any`. Checked by types.test.js.

import { Herald, HeraldError, ValidationError, verifyWebhook } from '../src/index.js';
import type { Delivery, List, Webhook, WebhookTestResult } from '../src/index.js';
import type * as T from '../src/index.js';

const herald = new Herald({ apiKey: 'hk_x', baseUrl: 'http://127.0.0.1:8420', tenant: 'acme' });

export async function checks(): Promise<void> {
  const wh = await herald.webhooks.create({ url: 'https://example.com', events: ['*'] });
  const secret: string = wh.secret;
  const active: boolean = wh.is_active;
  // @ts-expect-error url is a string
  await herald.webhooks.create({ url: 1, events: ['*'] });
  // @ts-expect-error events is required
  await herald.webhooks.create({ url: 'https://example.com' });
  // @ts-expect-error no such field
  await herald.webhooks.update(wh.id, { nope: true });
  const list: List<Webhook> = await herald.webhooks.list({ limit: 10 });
  // @ts-expect-error items are webhooks
  const n: number = list.items[0];
  const ds: List<Delivery> = await herald.webhooks.deliveries(wh.id, { success: false });
  const attempts: number = ds.items[0].attempts;
  const t: WebhookTestResult = await herald.webhooks.test(wh.id);
  const pending: boolean = t.pending;
  // @ts-expect-error delete answers nothing
  const gone: Webhook = await herald.webhooks.delete(wh.id);
  const rec: T.RecoverResult = await herald.webhooks.recover(wh.id, { since: '2h' });
  const recovered: number = rec.recovered;
  const op: T.Operation = await herald.operations.wait(rec.operation.id, { interval: 100 });
  const done: number = op.done;
  // @ts-expect-error since is required
  await herald.webhooks.recover(wh.id, {});
  await herald.webhooks.replayMissing(wh.id, { since: new Date(), until: 'now' });
  const rep: T.ReplayResult = await herald.events.replay('evt_x', { webhook_ids: [wh.id] });
  const replayed: number = rep.replayed;
  const ops: List<T.Operation> = await herald.operations.list({ limit: 10 });
  const st: T.DeliveryStats = await herald.deliveries.stats({ webhook_id: wh.id, window: '7d' });
  const p95: number | null = st.buckets[0].p95_ms;
  // @ts-expect-error window is 1h, 24h or 7d
  await herald.deliveries.stats({ window: '2h' });
  const size: number = (await herald.stats()).total_bytes;
  const kept: string | null = (await herald.tenants.put('acme', { retention: '7d' })).retention;
  const e = new ValidationError('url: bad', { code: 'invalid', status: 400 });
  const base: HeraldError = e;
  const field: string = e.field;
  const p = verifyWebhook<{ event: string }>('{}', {}, secret);
  const ev: string = p.event;
  // @ts-expect-error the secret is a string
  verifyWebhook('{}', {}, 42);
  void [active, n, attempts, pending, gone, base, field, ev];
}

// No declared shape may be never or any: a generated type the helpers of
// types.d.ts could not find would be one of them.
type IsNever<T> = [T] extends [never] ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
type Solid<T> = IsNever<T> extends true ? false : IsAny<T> extends true ? false : true;
type All<T extends readonly unknown[]> = { [K in keyof T]: Solid<T[K]> };
export const solid: All<[
  T.List<T.Webhook>, T.ListOptions, T.Webhook, T.WebhookCreated, T.WebhookInput, T.WebhookListOptions, T.Attempt, T.Delivery,
  T.DeliveryFilter, T.WebhookTestResult, T.WebhookTestInput, T.RotateSecretInput, T.WebhookHealth, T.Event, T.EventInput,
  T.SendResult, T.EventFilter, T.EventType, T.EventTypeInput, T.EventTypeFilter, T.Tenant, T.TenantInput, T.PortalInput,
  T.PortalLink, T.APIKey, T.KeyInput, T.Runtime, T.Agent, T.AgentInput, T.AgentFilter, T.LogEntry, T.LogOptions, T.AgentLogs,
  T.MetricsOptions, T.AgentMetrics, T.Deployment, T.DeploymentFilter, T.AgentStatusReport, T.DeploymentReport, T.MetricsReport,
  T.IngestResult, T.AlertRule, T.AlertInput, T.InboundWebhook, T.InboundWebhookInput, T.InboundList, T.TriggerInput,
  T.InboundResult, T.InboundRequest, T.InboundRequestOptions, T.InboundRequests, T.InboundSecret, T.Invocation,
  T.InvocationFilter, T.Payload,
]> = [
  true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true,
  true, true, true, true, true, true, true, true, true, true, true, true, true,
];

export function fields(logs: T.AgentLogs, res: T.IngestResult, inbound: T.InboundList, trig: T.InboundResult, q: T.DeliveryFilter): void {
  const messages: string[] = logs.items.map((l) => l.message);
  const agent: string | undefined = res.agent?.id;
  const total: number = inbound.total;
  const ok: boolean = trig.success;
  const since: T.DeliveryFilter['since'] = new Date();
  // @ts-expect-error success is a boolean
  const bad: T.DeliveryFilter = { success: 'yes' };
  void [messages, agent, total, ok, since, bad, q];
}
