-- Rate limits: a webhook's cap on the attempts sent to it (NULL columns
-- for none), and webhook_rate, the next free send slot of each limited
-- webhook, which every attempt moves forward by the limit's interval.
-- Times and durations are unix microseconds.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN rate_limit_requests INTEGER;
ALTER TABLE webhooks ADD COLUMN rate_limit_per_us INTEGER;
CREATE TABLE webhook_rate (
    webhook_id  TEXT PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    interval_us INTEGER NOT NULL,
    next_at     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE webhook_rate;
ALTER TABLE webhooks DROP COLUMN rate_limit_per_us;
ALTER TABLE webhooks DROP COLUMN rate_limit_requests;
