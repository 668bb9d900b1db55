-- Operations: bulk re-sends (recover, replay, replay_missing) that a
-- durable job works through in batches, with their progress and the
-- cursor each batch resumes from. Times are unix microseconds (UTC); JSON
-- is text.

-- +goose Up
CREATE TABLE operations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    tenant_id   TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    webhook_id  TEXT NOT NULL DEFAULT '',
    event_id    TEXT NOT NULL DEFAULT '',
    webhook_ids TEXT NOT NULL DEFAULT '[]',
    since       INTEGER,
    until       INTEGER,
    total       INTEGER,
    done        INTEGER NOT NULL DEFAULT 0,
    cursor      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX operations_tenant ON operations (tenant_id, seq);
-- recover and replay_missing windows.
CREATE INDEX deliveries_webhook_status_attempted ON deliveries (webhook_id, status, last_attempt_at);
CREATE INDEX events_tenant_created ON events (tenant_id, created_at);

-- +goose Down
DROP INDEX events_tenant_created;
DROP INDEX deliveries_webhook_status_attempted;
DROP TABLE operations;
