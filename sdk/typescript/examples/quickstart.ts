// A typed tour of @herald/sdk: manage webhooks, read deliveries, and
// receive webhooks in Express with their signatures verified.
//
//   HERALD_URL=http://127.0.0.1:8420 HERALD_API_KEY=hk_... WEBHOOK_SECRET=whsec_...
//
// This file is type-checked by the package's tests (tsc --noEmit).

import express from 'express';
import { Herald, NotFoundError, SignatureError, ValidationError, heraldWebhook, verifyWebhook } from '@herald/sdk';
import type { Delivery, List, WebhookCreated } from '@herald/sdk';

export async function manage(): Promise<void> {
  const herald = new Herald(); // HERALD_URL and HERALD_API_KEY
  const wh: WebhookCreated = await herald.webhooks.create({
    url: 'https://your-app.com/webhooks/herald',
    events: ['agent.*'],
    is_active: true,
  });
  console.log(wh.id, wh.secret);

  const page = await herald.webhooks.list({ limit: 10 });
  console.log(page.total, page.items.map((w) => w.url));

  const failures: List<Delivery> = await herald.webhooks.deliveries(wh.id, { event: 'agent.status', success: false, limit: 20 });
  for (const d of failures.items) {
    console.log(d.event, d.success, d.attempts, d.error_message);
    await herald.deliveries.retry(wh.id, d.id);
  }

  try {
    await herald.webhooks.update(wh.id, { url: 'ftp://nowhere' });
  } catch (err) {
    if (err instanceof ValidationError) console.log(err.field, err.code, err.status);
    else if (err instanceof NotFoundError) console.log('gone');
    else throw err;
  }
  await herald.webhooks.delete(wh.id);
}

export function receiver(secret: string): express.Express {
  const app = express();
  // The webhook route first: heraldWebhook reads and checks the raw body.
  app.post('/webhooks/herald', heraldWebhook({ secret }), (req, res) => {
    const { event, data } = req.body as { event: string; data: Record<string, unknown> };
    console.log(event, data);
    res.json({ received: true });
  });
  // Or by hand, on the raw bytes express.raw() leaves.
  app.post('/webhooks/manual', express.raw({ type: 'application/json' }), (req, res) => {
    try {
      const payload = verifyWebhook<{ event: string }>(req.body as Buffer, req.headers, secret);
      res.json({ received: payload.event });
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      res.status(401).json({ error: err.reason });
    }
  });
  app.use(express.json()); // the rest of the app
  return app;
}
