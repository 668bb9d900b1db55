-- Herald's schema on PostgreSQL. Tables are created unqualified, in the
-- first schema of the connection's search_path.
--
-- Identifiers are ULIDs (see herald.NewID) in the "C" collation, so that
-- ORDER BY id sorts bytewise, oldest first, as Go compares strings. Times are
-- timestamptz (microseconds). events.data is json, not jsonb: json keeps the
-- exact bytes, which are the signed delivery body, while jsonb would reorder
-- keys and respace them. Webhook headers and response headers are jsonb
-- objects, webhook patterns text[], and retry_schedule bigint[] nanoseconds.
-- Events and deliveries carry a bigint identity seq that orders their lists.

-- +goose Up
CREATE TABLE webhooks (
    id                text COLLATE "C" PRIMARY KEY,
    name              text NOT NULL DEFAULT '',
    description       text NOT NULL DEFAULT '',
    url               text NOT NULL,
    events            text[] NOT NULL,
    agent_id          text NOT NULL DEFAULT '',
    is_active         boolean NOT NULL,
    secret            text NOT NULL,
    headers           jsonb NOT NULL DEFAULT '{}',
    timeout_seconds   integer NOT NULL,
    max_retries       integer NOT NULL,
    retry_schedule    bigint[] NOT NULL DEFAULT '{}',
    verify_ssl        boolean NOT NULL,
    signature_header  text NOT NULL,
    signature_format  text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_triggered_at timestamptz,
    last_success_at   timestamptz,
    last_failure_at   timestamptz
);

CREATE TABLE events (
    id         text COLLATE "C" PRIMARY KEY,
    seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    type       text NOT NULL,
    data       json NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_type ON events (type, seq);

CREATE TABLE deliveries (
    id                   text COLLATE "C" PRIMARY KEY,
    seq                  bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    webhook_id           text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id             text COLLATE "C" NOT NULL REFERENCES events (id),
    event_type           text NOT NULL,
    webhook_name         text NOT NULL,
    status               text NOT NULL CHECK (status IN ('pending', 'success', 'failed')),
    attempts             integer NOT NULL DEFAULT 0,
    response_status_code integer,
    error_message        text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    last_attempt_at      timestamptz,
    next_attempt_at      timestamptz,
    delivered_at         timestamptz
);
-- The list filters: every list names a webhook (or an event), newest first,
-- optionally by event type or by "not successful" (herald webhooks logs --failed).
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_webhook_type ON deliveries (webhook_id, event_type, seq);
CREATE INDEX deliveries_webhook_unsuccessful ON deliveries (webhook_id, seq) WHERE status <> 'success';
CREATE INDEX deliveries_event ON deliveries (event_id, seq);

CREATE TABLE attempts (
    id               text COLLATE "C" PRIMARY KEY,
    delivery_id      text COLLATE "C" NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number           integer NOT NULL,
    started_at       timestamptz NOT NULL,
    duration_ms      bigint NOT NULL,
    status_code      integer,
    response_headers jsonb NOT NULL DEFAULT '{}',
    response_body    text NOT NULL,
    error            text NOT NULL,
    success          boolean NOT NULL,
    UNIQUE (delivery_id, number)
);

CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL,
    scope        text NOT NULL,
    prefix       text NOT NULL,
    hash         text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE webhooks;
