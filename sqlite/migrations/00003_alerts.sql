-- Alert rules and their evaluation state. Times are unix microseconds (UTC);
-- window_ns is the rule's window in nanoseconds.

-- +goose Up
CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    metric       TEXT NOT NULL,
    agg          TEXT NOT NULL,
    op           TEXT NOT NULL,
    threshold    REAL NOT NULL,
    window_ns    INTEGER NOT NULL,
    webhook_id   TEXT NOT NULL DEFAULT '',
    agent_id     TEXT NOT NULL DEFAULT '',
    is_active    INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'ok',
    value        REAL,
    evaluated_at INTEGER,
    triggered_at INTEGER,
    resolved_at  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- The built-in metrics: attempts in a window (webhook-failures and
-- webhook-failure-rate) and the deliveries pending now (deliveries-pending).
CREATE INDEX attempts_started ON attempts (started_at);
CREATE INDEX deliveries_pending ON deliveries (webhook_id) WHERE status = 'pending';

-- +goose Down
DROP INDEX deliveries_pending;
DROP INDEX attempts_started;
DROP TABLE alerts;
