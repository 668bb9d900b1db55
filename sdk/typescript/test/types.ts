// Type assertions over the declarations: each @ts-expect-error must be an
// error, so the declarations are not `any`. Checked by types.test.js.

import { Herald, HeraldError, ValidationError, verifyWebhook } from '../src/index.js';
import type { Delivery, List, Webhook, WebhookTestResult } from '../src/index.js';

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
  const e = new ValidationError('url: bad', { code: 'invalid', status: 400 });
  const base: HeraldError = e;
  const field: string = e.field;
  const p = verifyWebhook<{ event: string }>('{}', {}, secret);
  const ev: string = p.event;
  // @ts-expect-error the secret is a string
  verifyWebhook('{}', {}, 42);
  void [active, n, attempts, pending, gone, base, field, ev];
}
