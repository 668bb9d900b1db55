-- Ordered delivery: a webhook's ordering (none, fifo or key), the
-- ordering_key an event was published with, and on each delivery its line
-- (ordering_key: NULL when unordered, '' for a fifo webhook's one line, the
-- event's key under key) and whether it is held behind an earlier delivery
-- of its line, with no job until that one settles.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none';
ALTER TABLE events ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
ALTER TABLE deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
-- The pending deliveries of each line, in order: a turn's check and a
-- release read the first of them.
CREATE INDEX deliveries_line ON deliveries (webhook_id, ordering_key, seq)
    WHERE status = 'pending' AND ordering_key IS NOT NULL;

-- +goose Down
DROP INDEX deliveries_line;
ALTER TABLE deliveries DROP COLUMN held;
ALTER TABLE deliveries DROP COLUMN ordering_key;
ALTER TABLE events DROP COLUMN ordering_key;
ALTER TABLE webhooks DROP COLUMN ordering;
