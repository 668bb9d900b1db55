-- Operations: bulk re-sends (recover, replay, replay_missing) that a
-- durable job works through in batches, with their progress and the
-- cursor each batch resumes from.

-- +goose Up
CREATE TABLE operations (
    id          text COLLATE "C" PRIMARY KEY,
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    tenant_id   text COLLATE "C" NOT NULL DEFAULT '',
    kind        text NOT NULL CHECK (kind IN ('recover', 'replay', 'replay_missing')),
    status      text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    webhook_id  text COLLATE "C" NOT NULL DEFAULT '',
    event_id    text COLLATE "C" NOT NULL DEFAULT '',
    webhook_ids text[] NOT NULL DEFAULT '{}',
    since       timestamptz,
    until       timestamptz,
    total       integer,
    done        integer NOT NULL DEFAULT 0,
    cursor      text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    finished_at timestamptz
);
CREATE INDEX operations_tenant ON operations (tenant_id, seq);
-- recover and replay_missing windows.
CREATE INDEX deliveries_webhook_failed_attempted ON deliveries (webhook_id, last_attempt_at) WHERE status = 'failed';
CREATE INDEX events_tenant_created ON events (tenant_id, created_at);

-- +goose Down
DROP INDEX events_tenant_created;
DROP INDEX deliveries_webhook_failed_attempted;
DROP TABLE operations;
