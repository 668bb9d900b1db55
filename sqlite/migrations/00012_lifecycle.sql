-- Endpoint lifecycle. Secret rotation: previous_secrets holds the old
-- secrets still signing, as a JSON array of {"secret", "expires_at"}
-- (unix microseconds), oldest first; secret_rotated_at is the last
-- rotation. Disabling: disabled_reason ('failing', 'gone', 'manual' or
-- '' while active) and disabled_at.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE webhooks ADD COLUMN secret_rotated_at INTEGER;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN disabled_at INTEGER;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN disabled_at;
ALTER TABLE webhooks DROP COLUMN disabled_reason;
ALTER TABLE webhooks DROP COLUMN secret_rotated_at;
ALTER TABLE webhooks DROP COLUMN previous_secrets;
