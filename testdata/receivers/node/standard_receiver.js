// Herald end-to-end test receiver that verifies deliveries with the Standard
// Webhooks reference library (npm "standardwebhooks"):
// new Webhook(secret).verify(rawBody, headers) checks webhook-id,
// webhook-timestamp (5 minute tolerance) and webhook-signature
// ("v1,<base64 HMAC-SHA256(key, id.ts.body)>") over the raw request body.
//
// Environment:
//   WEBHOOK_SECRET  the "whsec_<base64 key>" secret
//   PORT            listen port on 127.0.0.1 (0 = ephemeral; default 3000)
//
// Responses: 204 when verified, 401 otherwise.
//
// Stdout protocol (one JSON object per line), shared with express_seed000.js
// and flask_seed000.py:
//   {"listening": <port>}                                  once listening
//   {"received": <id>, "event": <event>, "webhook_id": <header webhook-id>}
//                                                          per accepted request
'use strict';

const express = require('express');
const { Webhook } = require('standardwebhooks');

const wh = new Webhook(process.env.WEBHOOK_SECRET ?? '');
const app = express();

app.post('/webhooks/standard', express.raw({ type: () => true, limit: '5mb' }), (req, res) => {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let payload;
  try {
    payload = wh.verify(raw, req.headers);
  } catch (err) {
    console.error(`rejected: ${err.message}`);
    return res.status(401).json({ error: 'Invalid signature' });
  }
  console.log(JSON.stringify({
    received: payload?.id ?? null,
    event: payload?.event ?? null,
    webhook_id: req.headers['webhook-id'] ?? null,
  }));
  res.status(204).end();
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', (err) => {
  if (err) throw err;
  console.log(JSON.stringify({ listening: server.address().port }));
});
