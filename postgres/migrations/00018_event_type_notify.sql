-- Every change to the event catalogue notifies the channel
-- herald_event_types, on commit, with the schema's name: each node keeps the
-- catalogue's entries it has read in memory (see eventTypeCache) and drops
-- them when told. A trigger covers every writer, Herald or not.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION herald_event_types_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('herald_event_types', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER event_types_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_types
    FOR EACH STATEMENT EXECUTE FUNCTION herald_event_types_changed();

-- +goose Down
DROP TRIGGER event_types_changed ON event_types;
DROP FUNCTION herald_event_types_changed();
