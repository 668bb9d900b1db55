-- The publish path keeps, per tenant, the active webhooks its events may
-- reach in memory (see reachCache). webhook_reach_version holds one value
-- that these triggers change, to a random one, whenever a webhook is added
-- or removed or a column that decides where events go changes: the cache
-- is good while the value it was read under is the current one. A random
-- value, rather than a counter, never repeats after a rollback.

-- +goose Up
CREATE TABLE webhook_reach_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO webhook_reach_version (id, version) VALUES (1, random());
-- +goose StatementBegin
CREATE TRIGGER webhooks_reach_insert AFTER INSERT ON webhooks
BEGIN
    UPDATE webhook_reach_version SET version = random();
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhooks_reach_update
AFTER UPDATE OF id, name, events, agent_id, tenant_id, all_tenants, is_active, ordering ON webhooks
BEGIN
    UPDATE webhook_reach_version SET version = random();
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhooks_reach_delete AFTER DELETE ON webhooks
BEGIN
    UPDATE webhook_reach_version SET version = random();
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER webhooks_reach_delete;
DROP TRIGGER webhooks_reach_update;
DROP TRIGGER webhooks_reach_insert;
DROP TABLE webhook_reach_version;
