-- Herald's schema on SQLite. Times are unix microseconds (UTC).

-- +goose Up
CREATE TABLE webhooks (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    url               TEXT NOT NULL,
    events            TEXT NOT NULL,              -- JSON array of patterns
    agent_id          TEXT NOT NULL DEFAULT '',
    is_active         INTEGER NOT NULL,
    secret            TEXT NOT NULL,
    headers           TEXT NOT NULL,              -- JSON object
    timeout_seconds   INTEGER NOT NULL,
    max_retries       INTEGER NOT NULL,
    retry_schedule    TEXT NOT NULL,              -- JSON array of nanoseconds
    verify_ssl        INTEGER NOT NULL,
    signature_header  TEXT NOT NULL,
    signature_format  TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_triggered_at INTEGER,
    last_success_at   INTEGER,
    last_failure_at   INTEGER
);
CREATE INDEX webhooks_active ON webhooks (is_active);

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_type ON events (type, seq);

CREATE TABLE deliveries (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    webhook_id           TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id             TEXT NOT NULL REFERENCES events (id),
    event_type           TEXT NOT NULL,
    webhook_name         TEXT NOT NULL,
    status               TEXT NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    response_status_code INTEGER,
    error_message        TEXT NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    last_attempt_at      INTEGER,
    next_attempt_at      INTEGER,
    delivered_at         INTEGER
);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_event ON deliveries (event_id);

CREATE TABLE attempts (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    status_code      INTEGER,
    response_headers TEXT NOT NULL,               -- JSON object
    response_body    TEXT NOT NULL,
    error            TEXT NOT NULL,
    success          INTEGER NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE webhooks;
