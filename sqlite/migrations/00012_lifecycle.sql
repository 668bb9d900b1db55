-- Endpoint lifecycle. Secret rotation: previous_secrets holds the old
-- secrets still signing, as a JSON array of {"secret", "expires_at"}
-- (unix microseconds), oldest first; secret_rotated_at is the last
-- rotation. Disabling: disabled_reason ('failing', 'gone', 'manual' or
-- '' while active), disabled_at, and enabled_at, the last time it was
-- turned on again, from which its failing streak counts. Health reads a
-- webhook's recent deliveries by last_attempt_at.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE webhooks ADD COLUMN secret_rotated_at INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER;
ALTER TABLE webhooks ADD COLUMN enabled_at INTEGER;
CREATE INDEX deliveries_webhook_attempted ON deliveries (webhook_id, last_attempt_at);

-- +goose Down
DROP INDEX deliveries_webhook_attempted;
ALTER TABLE webhooks DROP COLUMN enabled_at;
ALTER TABLE webhooks DROP COLUMN disabled_at;
ALTER TABLE webhooks DROP COLUMN disabled_reason;
ALTER TABLE webhooks DROP COLUMN secret_rotated_at;
ALTER TABLE webhooks DROP COLUMN previous_secrets;
