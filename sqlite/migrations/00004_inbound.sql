-- Inbound webhooks and agent invocations: agents get a display name and an
-- optional runtime; invocations record each message handed to an agent;
-- named inbound webhooks, their request log, the delivery ids claimed for
-- deduplication, and the secrets of the built-in endpoints. Times are unix
-- microseconds (UTC); JSON is text.

-- +goose Up
ALTER TABLE agents ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN runtime TEXT; -- JSON object, NULL: no runtime

CREATE TABLE invocations (
    id          TEXT PRIMARY KEY,
    agent       TEXT NOT NULL,
    source      TEXT NOT NULL,
    mode        TEXT NOT NULL,
    status      TEXT NOT NULL,
    message     TEXT NOT NULL,
    context     TEXT NOT NULL DEFAULT '{}', -- JSON object
    user        TEXT,                       -- JSON, NULL when unknown
    room        TEXT,                       -- JSON, NULL when unknown
    response    TEXT NOT NULL DEFAULT '',
    actions     TEXT,                       -- JSON array, NULL when none
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);
-- The list, newest first, optionally by agent or status.
CREATE INDEX invocations_created ON invocations (created_at, id);
CREATE INDEX invocations_agent ON invocations (agent, created_at, id);
CREATE INDEX invocations_status ON invocations (status, created_at, id);

CREATE TABLE inbound_webhooks (
    name              TEXT PRIMARY KEY,
    agent             TEXT NOT NULL,
    secret            TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    enabled           INTEGER NOT NULL,
    provider          TEXT NOT NULL,
    transform         TEXT NOT NULL DEFAULT '{}', -- JSON object
    filters           TEXT NOT NULL DEFAULT '{}', -- JSON object
    response_mode     TEXT NOT NULL,
    allowed_ips       TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    rate_limit        TEXT,                       -- JSON object, NULL: no limit
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_triggered_at INTEGER
);

CREATE TABLE inbound_requests (
    id            TEXT PRIMARY KEY,
    webhook       TEXT NOT NULL,
    at            INTEGER NOT NULL,
    source_ip     TEXT NOT NULL DEFAULT '',
    headers       TEXT NOT NULL DEFAULT '{}', -- JSON object
    body          TEXT NOT NULL DEFAULT '',
    event_type    TEXT NOT NULL DEFAULT '',
    verdict       TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    status        INTEGER NOT NULL,
    invocation_id TEXT NOT NULL DEFAULT ''
);
-- One webhook's log, newest first; pruning by time.
CREATE INDEX inbound_requests_webhook ON inbound_requests (webhook, at, id);
CREATE INDEX inbound_requests_at ON inbound_requests (at);

CREATE TABLE inbound_claims (
    scope      TEXT NOT NULL,
    id         TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, id)
);
CREATE INDEX inbound_claims_expires ON inbound_claims (expires_at);

CREATE TABLE inbound_secrets (
    name   TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);

-- +goose Down
DROP TABLE inbound_secrets;
DROP TABLE inbound_claims;
DROP TABLE inbound_requests;
DROP TABLE inbound_webhooks;
DROP TABLE invocations;
ALTER TABLE agents DROP COLUMN runtime;
ALTER TABLE agents DROP COLUMN name;
