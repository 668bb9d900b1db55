-- The event catalogue: the platform's event types (no tenant owns them),
-- each with the JSON Schema of its data and an example, and every version
-- each one had. Schemas and examples are text, kept byte for byte as
-- written (jsonb would reorder their keys).

-- +goose Up
CREATE TABLE event_types (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    schema      text NOT NULL DEFAULT 'null', -- JSON Schema or null, as written
    example     text NOT NULL DEFAULT 'null', -- JSON object or null, as written
    deprecated  boolean NOT NULL DEFAULT false,
    version     integer NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE event_type_versions (
    name        text NOT NULL REFERENCES event_types (name) ON DELETE CASCADE,
    version     integer NOT NULL,
    description text NOT NULL DEFAULT '',
    schema      text NOT NULL DEFAULT 'null',
    example     text NOT NULL DEFAULT 'null',
    deprecated  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);

-- +goose Down
DROP TABLE event_type_versions;
DROP TABLE event_types;
