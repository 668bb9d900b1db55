-- Each attempt carries its delivery's webhook, so that a webhook's health,
-- latency and alerts read its recent attempts by attempts_webhook, and
-- deliveries needs no index on last_attempt_at that every attempt would
-- move (deliveries_webhook_failed_attempted, for failed deliveries only,
-- stays).

-- +goose Up
ALTER TABLE attempts ADD COLUMN webhook_id text NOT NULL DEFAULT '';
UPDATE attempts a SET webhook_id = d.webhook_id FROM deliveries d WHERE d.id = a.delivery_id;
CREATE INDEX attempts_webhook ON attempts (webhook_id, started_at);
DROP INDEX deliveries_webhook_attempted;

-- +goose Down
CREATE INDEX deliveries_webhook_attempted ON deliveries (webhook_id, last_attempt_at);
DROP INDEX attempts_webhook;
ALTER TABLE attempts DROP COLUMN webhook_id;
