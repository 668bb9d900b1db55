-- Endpoint lifecycle. Secret rotation: previous_secrets holds the old
-- secrets still signing, as a jsonb array of {"secret", "expires_at"},
-- oldest first; secret_rotated_at is the last rotation. Disabling:
-- disabled_reason ('failing', 'gone', 'manual' or '' while active) and
-- disabled_at, and enabled_at, the last time it was turned on again, from
-- which its failing streak counts. Health reads a webhook's recent
-- deliveries by last_attempt_at.

-- +goose Up
ALTER TABLE webhooks
    ADD COLUMN previous_secrets  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN secret_rotated_at timestamptz,
    ADD COLUMN disabled_reason   text NOT NULL DEFAULT ''
        CHECK (disabled_reason IN ('', 'failing', 'gone', 'manual')),
    ADD COLUMN disabled_at       timestamptz,
    ADD COLUMN enabled_at        timestamptz;
CREATE INDEX deliveries_webhook_attempted ON deliveries (webhook_id, last_attempt_at);

-- +goose Down
DROP INDEX deliveries_webhook_attempted;
ALTER TABLE webhooks
    DROP COLUMN enabled_at,
    DROP COLUMN disabled_at,
    DROP COLUMN disabled_reason,
    DROP COLUMN secret_rotated_at,
    DROP COLUMN previous_secrets;
