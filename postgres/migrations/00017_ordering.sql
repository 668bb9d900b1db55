-- Ordered delivery: a webhook's ordering (none, fifo or key), the
-- ordering_key an event was published with, and on each delivery its line
-- (ordering_key: NULL when unordered, '' for a fifo webhook's one line, the
-- event's key under key) and whether it is held behind an earlier delivery
-- of its line, with no job until that one settles. A line's writes take a
-- transaction-level advisory lock on hashtextextended(webhook_id || '/' ||
-- ordering_key, 0).

-- +goose Up
ALTER TABLE webhooks ADD COLUMN ordering text NOT NULL DEFAULT 'none'
    CHECK (ordering IN ('none', 'fifo', 'key'));
ALTER TABLE events ADD COLUMN ordering_key text NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN ordering_key text COLLATE "C",
    ADD COLUMN held boolean NOT NULL DEFAULT false;
-- The pending deliveries of each line, in order: a turn's check and a
-- release read the first of them.
CREATE INDEX deliveries_line ON deliveries (webhook_id, ordering_key, seq)
    WHERE status = 'pending' AND ordering_key IS NOT NULL;

-- +goose Down
DROP INDEX deliveries_line;
ALTER TABLE deliveries DROP COLUMN held, DROP COLUMN ordering_key;
ALTER TABLE events DROP COLUMN ordering_key;
ALTER TABLE webhooks DROP COLUMN ordering;
