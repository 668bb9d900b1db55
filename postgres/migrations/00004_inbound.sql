-- Inbound webhooks and agent invocations: agents get a display name and an
-- optional runtime; invocations record each message handed to an agent;
-- named inbound webhooks, their request log, the delivery ids claimed for
-- deduplication, and the secrets of the built-in endpoints. Ids and names
-- are in the "C" collation, so that they sort bytewise as in Go and SQLite.

-- +goose Up
ALTER TABLE agents ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN runtime jsonb; -- NULL: no runtime

CREATE TABLE invocations (
    id          text COLLATE "C" PRIMARY KEY,
    agent       text COLLATE "C" NOT NULL,
    source      text NOT NULL,
    mode        text NOT NULL,
    status      text NOT NULL,
    message     text NOT NULL,
    context     json NOT NULL DEFAULT '{}',
    "user"      json,
    room        json,
    response    text NOT NULL DEFAULT '',
    actions     json,
    error       text NOT NULL DEFAULT '',
    duration_ms bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    started_at  timestamptz,
    finished_at timestamptz
);
-- The list, newest first, optionally by agent or status.
CREATE INDEX invocations_created ON invocations (created_at, id);
CREATE INDEX invocations_agent ON invocations (agent, created_at, id);
CREATE INDEX invocations_status ON invocations (status, created_at, id);

CREATE TABLE inbound_webhooks (
    name              text COLLATE "C" PRIMARY KEY,
    agent             text COLLATE "C" NOT NULL,
    secret            text NOT NULL DEFAULT '',
    description       text NOT NULL DEFAULT '',
    enabled           boolean NOT NULL,
    provider          text NOT NULL,
    transform         json NOT NULL DEFAULT '{}',
    filters           json NOT NULL DEFAULT '{}',
    response_mode     text NOT NULL,
    allowed_ips       text[] NOT NULL DEFAULT '{}',
    rate_limit        json,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_triggered_at timestamptz
);

CREATE TABLE inbound_requests (
    id            text COLLATE "C" PRIMARY KEY,
    webhook       text COLLATE "C" NOT NULL,
    at            timestamptz NOT NULL,
    source_ip     text NOT NULL DEFAULT '',
    headers       json NOT NULL DEFAULT '{}',
    body          text NOT NULL DEFAULT '',
    event_type    text NOT NULL DEFAULT '',
    verdict       text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    status        integer NOT NULL,
    invocation_id text NOT NULL DEFAULT ''
);
-- One webhook's log, newest first; pruning by time.
CREATE INDEX inbound_requests_webhook ON inbound_requests (webhook, at, id);
CREATE INDEX inbound_requests_at ON inbound_requests (at);

CREATE TABLE inbound_claims (
    scope      text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (scope, id)
);
CREATE INDEX inbound_claims_expires ON inbound_claims (expires_at);

CREATE TABLE inbound_secrets (
    name   text COLLATE "C" PRIMARY KEY,
    secret text NOT NULL
);

-- +goose Down
DROP TABLE inbound_secrets;
DROP TABLE inbound_claims;
DROP TABLE inbound_requests;
DROP TABLE inbound_webhooks;
DROP TABLE invocations;
ALTER TABLE agents DROP COLUMN runtime;
ALTER TABLE agents DROP COLUMN name;
