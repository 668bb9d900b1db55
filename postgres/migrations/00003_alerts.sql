-- Alert rules and their evaluation state. window_ns is the rule's window in
-- nanoseconds; webhook_id and agent_id are '' when the rule watches all.

-- +goose Up
CREATE TABLE alerts (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    metric       text NOT NULL,
    agg          text NOT NULL,
    op           text NOT NULL,
    threshold    double precision NOT NULL,
    window_ns    bigint NOT NULL,
    webhook_id   text COLLATE "C" NOT NULL DEFAULT '',
    agent_id     text NOT NULL DEFAULT '',
    is_active    boolean NOT NULL,
    state        text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'triggered')),
    value        double precision,
    evaluated_at timestamptz,
    triggered_at timestamptz,
    resolved_at  timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- The built-in metrics: attempts in a window (webhook-failures and
-- webhook-failure-rate) and the deliveries pending now (deliveries-pending).
CREATE INDEX attempts_started ON attempts (started_at);
CREATE INDEX deliveries_pending ON deliveries (webhook_id) WHERE status = 'pending';

-- +goose Down
DROP INDEX deliveries_pending;
DROP INDEX attempts_started;
DROP TABLE alerts;
