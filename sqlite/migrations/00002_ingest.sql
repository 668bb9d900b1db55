-- Ingestion: agents, their logs and metric points, and deployments with
-- their status history. Times are unix microseconds (UTC); JSON is text.

-- +goose Up
CREATE TABLE agents (
    id                TEXT PRIMARY KEY,
    status            TEXT NOT NULL,
    node_id           TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    metadata          TEXT,                       -- JSON object, NULL when never reported
    last_metrics      TEXT NOT NULL DEFAULT '{}', -- JSON object {name: latest value}
    last_metrics_at   INTEGER,
    last_seen         INTEGER NOT NULL,
    status_changed_at INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
-- The list, most recently seen first; the status filter and the heartbeat
-- monitor (status = 'running' AND last_seen < ?) use the second index.
CREATE INDEX agents_last_seen ON agents (last_seen, id);
CREATE INDEX agents_status ON agents (status, last_seen, id);

CREATE TABLE agent_logs (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    level    TEXT NOT NULL,
    message  TEXT NOT NULL,
    ts       INTEGER NOT NULL
);
CREATE INDEX agent_logs_agent ON agent_logs (agent_id, ts);

CREATE TABLE metric_points (
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    value    REAL NOT NULL,
    ts       INTEGER NOT NULL
);
-- One agent's series, and one metric over all agents (alert aggregation).
CREATE INDEX metric_points_agent ON metric_points (agent_id, name, ts);
CREATE INDEX metric_points_name ON metric_points (name, ts);

CREATE TABLE deployments (
    id         TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    changes    TEXT,                              -- JSON, NULL when never reported
    error      TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- The list, most recently updated first, optionally by agent or status.
CREATE INDEX deployments_updated ON deployments (updated_at, id);
CREATE INDEX deployments_agent ON deployments (agent_id, updated_at, id);
CREATE INDEX deployments_status ON deployments (status, updated_at, id);

CREATE TABLE deployment_history (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    version       TEXT NOT NULL DEFAULT '',
    changes       TEXT,
    error         TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    at            INTEGER NOT NULL
);
CREATE INDEX deployment_history_deployment ON deployment_history (deployment_id, seq);

-- +goose Down
DROP TABLE deployment_history;
DROP TABLE deployments;
DROP TABLE metric_points;
DROP TABLE agent_logs;
DROP TABLE agents;
