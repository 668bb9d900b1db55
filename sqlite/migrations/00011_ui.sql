-- Server keys: secrets of the server itself that every node shares, such
-- as the key that signs the web UI's sessions and portal tokens. Times
-- are unix microseconds (UTC).

-- +goose Up
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    key        BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE server_keys;
