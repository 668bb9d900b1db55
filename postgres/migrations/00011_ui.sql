-- Server keys: secrets of the server itself that every node shares, such
-- as the key that signs the web UI's sessions and portal tokens.

-- +goose Up
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    key        BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE server_keys;
