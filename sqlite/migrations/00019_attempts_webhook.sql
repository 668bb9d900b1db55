-- Each attempt carries its delivery's webhook, so that a webhook's health,
-- latency and alerts read its recent attempts by attempts_webhook. The
-- deliveries table then needs no index on last_attempt_at that every
-- attempt would move; only a failed delivery, which a recover operation
-- looks for by the time of its last attempt, is indexed by it.

-- +goose Up
ALTER TABLE attempts ADD COLUMN webhook_id TEXT NOT NULL DEFAULT '';
UPDATE attempts SET webhook_id = coalesce((SELECT d.webhook_id FROM deliveries d WHERE d.id = attempts.delivery_id), '');
CREATE INDEX attempts_webhook ON attempts (webhook_id, started_at);
DROP INDEX deliveries_webhook_attempted;
DROP INDEX deliveries_webhook_status_attempted;
CREATE INDEX deliveries_webhook_failed ON deliveries (webhook_id, last_attempt_at) WHERE status = 'failed';

-- +goose Down
DROP INDEX deliveries_webhook_failed;
CREATE INDEX deliveries_webhook_status_attempted ON deliveries (webhook_id, status, last_attempt_at);
CREATE INDEX deliveries_webhook_attempted ON deliveries (webhook_id, last_attempt_at);
DROP INDEX attempts_webhook;
ALTER TABLE attempts DROP COLUMN webhook_id;
