-- Ingestion: agents, their logs and metric points, and deployments with
-- their status history. Ids and metric names are in the "C" collation, so
-- that they sort bytewise as in Go and SQLite; metadata, last_metrics and
-- changes are json (the bytes as reported).

-- +goose Up
CREATE TABLE agents (
    id                text COLLATE "C" PRIMARY KEY,
    status            text NOT NULL,
    node_id           text NOT NULL DEFAULT '',
    error             text NOT NULL DEFAULT '',
    metadata          json,
    last_metrics      json NOT NULL DEFAULT '{}',
    last_metrics_at   timestamptz,
    last_seen         timestamptz NOT NULL,
    status_changed_at timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
-- The list, most recently seen first; the status filter and the heartbeat
-- monitor (status = 'running' AND last_seen < $1) use the second index.
CREATE INDEX agents_last_seen ON agents (last_seen, id);
CREATE INDEX agents_status ON agents (status, last_seen, id);

CREATE TABLE agent_logs (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id text COLLATE "C" NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    level    text NOT NULL,
    message  text NOT NULL,
    ts       timestamptz NOT NULL
);
CREATE INDEX agent_logs_agent ON agent_logs (agent_id, ts, seq);

CREATE TABLE metric_points (
    agent_id text COLLATE "C" NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    name     text COLLATE "C" NOT NULL,
    value    double precision NOT NULL,
    ts       timestamptz NOT NULL
);
-- One agent's series, and one metric over all agents (alert aggregation).
CREATE INDEX metric_points_agent ON metric_points (agent_id, name, ts);
CREATE INDEX metric_points_name ON metric_points (name, ts);

CREATE TABLE deployments (
    id         text COLLATE "C" PRIMARY KEY,
    agent_id   text COLLATE "C" NOT NULL,
    status     text NOT NULL,
    version    text NOT NULL DEFAULT '',
    changes    json,
    error      text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
-- The list, most recently updated first, optionally by agent or status.
CREATE INDEX deployments_updated ON deployments (updated_at, id);
CREATE INDEX deployments_agent ON deployments (agent_id, updated_at, id);
CREATE INDEX deployments_status ON deployments (status, updated_at, id);

CREATE TABLE deployment_history (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_id text COLLATE "C" NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    status        text NOT NULL,
    version       text NOT NULL DEFAULT '',
    changes       json,
    error         text NOT NULL DEFAULT '',
    reason        text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL
);
CREATE INDEX deployment_history_deployment ON deployment_history (deployment_id, seq);

-- +goose Down
DROP TABLE deployment_history;
DROP TABLE deployments;
DROP TABLE metric_points;
DROP TABLE agent_logs;
DROP TABLE agents;
