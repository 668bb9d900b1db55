// Herald end-to-end test receiver: the "Example: Express.js Handler" from the
// user's seed document 000 (MUTX "Webhook Integration Guide"), kept verbatim in
// its logic. Its quirks are intentional and must NOT be fixed here:
//   - it verifies the signature over JSON.stringify(req.body), i.e. over the
//     re-serialised parsed body, so only canonical compact JSON verifies;
//   - a missing signature (or secret) is accepted without verification;
//   - crypto.timingSafeEqual throws on signatures of a different length, which
//     Express turns into a 500 (still a rejection).
//
// Changes for the test harness (internal/receivertest), marked "harness:":
//   - the secret comes from env WEBHOOK_SECRET (as in the seed);
//   - the port comes from env PORT (0 = ephemeral), bound on 127.0.0.1;
//   - once listening it prints {"listening": <port>} as one JSON line on stdout;
//   - each accepted request prints
//     {"received": <body.id>, "event": <body.event>, "webhook_id": <header webhook-id>}
//     as one JSON line on stdout.
// Other stdout lines (the seed's own console.log output) are ignored by the
// harness.
const express = require('express');
const crypto = require('crypto');
const app = express();
app.use(express.json());

// Verify HMAC signature
function verifySignature(payload, signature, secret) {
  if (!signature || !secret) return true; // Skip if no secret configured
  const hmac = crypto.createHmac('sha256', secret);
  const digest = 'sha256=' + hmac.update(payload).digest('hex');
  return crypto.timingSafeEqual(
    Buffer.from(signature),
    Buffer.from(digest)
  );
}

app.post('/webhooks/mutx', (req, res) => {
  const signature = req.headers['x-webhook-signature'];
  if (!verifySignature(JSON.stringify(req.body), signature, process.env.WEBHOOK_SECRET)) {
    return res.status(401).json({ error: 'Invalid signature' });
  }
  const { event, data } = req.body;
  switch (event) {
    case 'agent.status':
      console.log(`Agent ${data.agent_id} status: ${data.new_status}`);
      break;
    case 'deployment.created':
      console.log(`Deployment created: ${data.deployment_id}`);
      break;
    case 'deployment.failed':
      console.log(`Deployment failed: ${data.deployment_id}`);
      // Trigger alerting, rollback, etc.
      break;
  }
  // harness: report the accepted delivery.
  console.log(JSON.stringify({
    received: req.body.id ?? null,
    event: event ?? null,
    webhook_id: req.headers['webhook-id'] ?? null,
  }));
  res.status(200).json({ received: true });
});

// harness: port from env PORT (0 = ephemeral) on 127.0.0.1, report the bound port.
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', (err) => {
  if (err) throw err;
  console.log('Webhook listener running');
  console.log(JSON.stringify({ listening: server.address().port }));
});
