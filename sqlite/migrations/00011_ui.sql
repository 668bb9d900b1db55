-- Server keys: secrets of the server itself that every node shares, such
-- as the key that signs the web UI's sessions and portal tokens; and an
-- index for the web UI's 24-hour figures. Times are unix microseconds
-- (UTC).

-- +goose Up
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    key        BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- The webhooks page counts each webhook's deliveries of the last 24 hours.
CREATE INDEX deliveries_webhook_created ON deliveries (webhook_id, created_at);

-- +goose Down
DROP INDEX deliveries_webhook_created;
DROP TABLE server_keys;
