-- The event catalogue: the platform's event types (no tenant owns them),
-- each with the JSON Schema of its data and an example, and every version
-- each one had. Times are unix microseconds (UTC); JSON is text.

-- +goose Up
CREATE TABLE event_types (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    schema      TEXT NOT NULL DEFAULT 'null', -- JSON Schema or null
    example     TEXT NOT NULL DEFAULT 'null', -- JSON object or null
    deprecated  INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE event_type_versions (
    name        TEXT NOT NULL REFERENCES event_types (name) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    schema      TEXT NOT NULL DEFAULT 'null',
    example     TEXT NOT NULL DEFAULT 'null',
    deprecated  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);

-- +goose Down
DROP TABLE event_type_versions;
DROP TABLE event_types;
