-- The agent an event is about (herald.EventAgentID: data.agent_id, else
-- data.agent when a string, else data.agent.id), stored at publish so
-- GET /v1/events?agent_id= is an indexed lookup. Existing events are
-- backfilled by the same rule.

-- +goose Up
ALTER TABLE events ADD COLUMN agent_id TEXT NOT NULL DEFAULT '';
UPDATE events SET agent_id = COALESCE(
    CASE WHEN json_type(data, '$.agent_id') = 'text' AND json_extract(data, '$.agent_id') <> '' THEN json_extract(data, '$.agent_id') END,
    CASE WHEN json_type(data, '$.agent') = 'text' THEN json_extract(data, '$.agent') END,
    CASE WHEN json_type(data, '$.agent.id') = 'text' THEN json_extract(data, '$.agent.id') END,
    '');
CREATE INDEX events_agent ON events (agent_id, seq);

-- +goose Down
DROP INDEX events_agent;
ALTER TABLE events DROP COLUMN agent_id;
