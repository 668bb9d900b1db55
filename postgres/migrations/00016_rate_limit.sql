-- Rate limits: a webhook's cap on the attempts sent to it (NULL columns
-- for none), and webhook_rate, the next free send slot of each limited
-- webhook, shared by every node: each attempt moves it forward by the
-- limit's interval in one statement. Durations are microseconds.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN rate_limit_requests integer CHECK (rate_limit_requests > 0),
    ADD COLUMN rate_limit_per_us bigint CHECK (rate_limit_per_us > 0);
CREATE TABLE webhook_rate (
    webhook_id text COLLATE "C" PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    interval_us bigint NOT NULL,
    next_at     timestamptz NOT NULL
);

-- +goose Down
DROP TABLE webhook_rate;
ALTER TABLE webhooks DROP COLUMN rate_limit_per_us, DROP COLUMN rate_limit_requests;
