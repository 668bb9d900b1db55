-- Retention: a tenant's own retention of its events, with their
-- deliveries and attempts, in seconds (NULL follows the server's
-- --retention, 0 keeps everything); and the index the pruning reads old
-- events by. Times are unix microseconds (UTC).

-- +goose Up
ALTER TABLE tenants ADD COLUMN retention_seconds INTEGER;
CREATE INDEX events_created ON events (created_at);

-- +goose Down
DROP INDEX events_created;
ALTER TABLE tenants DROP COLUMN retention_seconds;
