-- Tenants: the platform's customers, and the tenant that owns each row of
-- the owned tables (tenant_id, '' for the platform's own rows, which all
-- existing rows become). Agent ids, deployment ids, inbound webhook names
-- and event ids are unique per tenant, so the tables keyed by them, and
-- their children, are rebuilt: each *_new table references the *_new
-- parent, the old tables are dropped children first (no cascade reaches
-- the new ones), and the new ones take the old names. A delivery keeps its
-- webhook's tenant (tenant_id) and its event's (event_tenant_id), which
-- differ for the deliveries of an all_tenants webhook. Times are unix
-- microseconds (UTC); JSON is text.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    metadata   TEXT NOT NULL DEFAULT '{}', -- JSON object
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Fan-out reads a tenant's active webhooks and the platform's.
ALTER TABLE webhooks ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN all_tenants INTEGER NOT NULL DEFAULT 0;
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, is_active);

ALTER TABLE api_keys ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

ALTER TABLE alerts ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_tenant ON alerts (tenant_id, id);

ALTER TABLE invocations ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
CREATE INDEX invocations_tenant ON invocations (tenant_id, created_at, id);

ALTER TABLE inbound_requests ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
DROP INDEX inbound_requests_webhook;
CREATE INDEX inbound_requests_webhook ON inbound_requests (tenant_id, webhook, at, id);

CREATE TABLE events_new (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT NOT NULL DEFAULT '',
    id         TEXT NOT NULL,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    agent_id   TEXT NOT NULL DEFAULT '',
    UNIQUE (id, tenant_id)
);

CREATE TABLE deliveries_new (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    tenant_id            TEXT NOT NULL DEFAULT '', -- the webhook's tenant
    webhook_id           TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_tenant_id      TEXT NOT NULL DEFAULT '', -- the event's tenant
    event_id             TEXT NOT NULL,
    event_type           TEXT NOT NULL,
    webhook_name         TEXT NOT NULL,
    status               TEXT NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    response_status_code INTEGER,
    error_message        TEXT NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    last_attempt_at      INTEGER,
    next_attempt_at      INTEGER,
    delivered_at         INTEGER,
    FOREIGN KEY (event_id, event_tenant_id) REFERENCES events_new (id, tenant_id)
);

CREATE TABLE attempts_new (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL DEFAULT '', -- the delivery's
    delivery_id      TEXT NOT NULL REFERENCES deliveries_new (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    status_code      INTEGER,
    response_headers TEXT NOT NULL,
    response_body    TEXT NOT NULL,
    error            TEXT NOT NULL,
    success          INTEGER NOT NULL
);

CREATE TABLE agents_new (
    tenant_id         TEXT NOT NULL DEFAULT '',
    id                TEXT NOT NULL,
    status            TEXT NOT NULL,
    node_id           TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    metadata          TEXT,
    last_metrics      TEXT NOT NULL DEFAULT '{}',
    last_metrics_at   INTEGER,
    last_seen         INTEGER NOT NULL,
    status_changed_at INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    runtime           TEXT,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE agent_logs_new (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL DEFAULT '',
    agent_id  TEXT NOT NULL,
    level     TEXT NOT NULL,
    message   TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents_new (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE metric_points_new (
    tenant_id TEXT NOT NULL DEFAULT '',
    agent_id  TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     REAL NOT NULL,
    ts        INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents_new (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE deployments_new (
    tenant_id  TEXT NOT NULL DEFAULT '',
    id         TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    changes    TEXT,
    error      TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE deployment_history_new (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     TEXT NOT NULL DEFAULT '',
    deployment_id TEXT NOT NULL,
    status        TEXT NOT NULL,
    version       TEXT NOT NULL DEFAULT '',
    changes       TEXT,
    error         TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    at            INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments_new (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE inbound_webhooks_new (
    tenant_id         TEXT NOT NULL DEFAULT '',
    name              TEXT NOT NULL,
    agent             TEXT NOT NULL,
    secret            TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    enabled           INTEGER NOT NULL,
    provider          TEXT NOT NULL,
    transform         TEXT NOT NULL DEFAULT '{}',
    filters           TEXT NOT NULL DEFAULT '{}',
    response_mode     TEXT NOT NULL,
    allowed_ips       TEXT NOT NULL DEFAULT '[]',
    rate_limit        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_triggered_at INTEGER,
    bot_token         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, name)
);

-- Parents first; seq and rowid are kept, so are the orders they give.
INSERT INTO events_new (seq, id, type, data, created_at, agent_id)
    SELECT seq, id, type, data, created_at, agent_id FROM events;
INSERT INTO deliveries_new (seq, id, webhook_id, event_id, event_type, webhook_name, status, attempts,
        response_status_code, error_message, created_at, last_attempt_at, next_attempt_at, delivered_at)
    SELECT seq, id, webhook_id, event_id, event_type, webhook_name, status, attempts,
        response_status_code, error_message, created_at, last_attempt_at, next_attempt_at, delivered_at
    FROM deliveries;
INSERT INTO attempts_new (rowid, id, delivery_id, number, started_at, duration_ms, status_code,
        response_headers, response_body, error, success)
    SELECT rowid, id, delivery_id, number, started_at, duration_ms, status_code,
        response_headers, response_body, error, success FROM attempts;
INSERT INTO agents_new (rowid, id, status, node_id, error, metadata, last_metrics, last_metrics_at, last_seen,
        status_changed_at, created_at, updated_at, name, runtime)
    SELECT rowid, id, status, node_id, error, metadata, last_metrics, last_metrics_at, last_seen,
        status_changed_at, created_at, updated_at, name, runtime FROM agents;
INSERT INTO agent_logs_new (seq, agent_id, level, message, ts)
    SELECT seq, agent_id, level, message, ts FROM agent_logs;
INSERT INTO metric_points_new (rowid, agent_id, name, value, ts)
    SELECT rowid, agent_id, name, value, ts FROM metric_points;
INSERT INTO deployments_new (rowid, id, agent_id, status, version, changes, error, reason, created_at, updated_at)
    SELECT rowid, id, agent_id, status, version, changes, error, reason, created_at, updated_at FROM deployments;
INSERT INTO deployment_history_new (seq, deployment_id, status, version, changes, error, reason, at)
    SELECT seq, deployment_id, status, version, changes, error, reason, at FROM deployment_history;
INSERT INTO inbound_webhooks_new (rowid, name, agent, secret, description, enabled, provider, transform, filters,
        response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token)
    SELECT rowid, name, agent, secret, description, enabled, provider, transform, filters,
        response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token
    FROM inbound_webhooks;

-- Children first: the old parents have no children left when dropped.
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE agent_logs;
DROP TABLE metric_points;
DROP TABLE agents;
DROP TABLE deployment_history;
DROP TABLE deployments;
DROP TABLE inbound_webhooks;

-- Renaming a parent renames it in its children's foreign keys too.
ALTER TABLE events_new RENAME TO events;
ALTER TABLE deliveries_new RENAME TO deliveries;
ALTER TABLE attempts_new RENAME TO attempts;
ALTER TABLE agents_new RENAME TO agents;
ALTER TABLE agent_logs_new RENAME TO agent_logs;
ALTER TABLE metric_points_new RENAME TO metric_points;
ALTER TABLE deployments_new RENAME TO deployments;
ALTER TABLE deployment_history_new RENAME TO deployment_history;
ALTER TABLE inbound_webhooks_new RENAME TO inbound_webhooks;

-- The lists, newest first, of every tenant and of one.
CREATE INDEX events_type ON events (type, seq);
CREATE INDEX events_agent ON events (agent_id, seq);
CREATE INDEX events_tenant ON events (tenant_id, seq);

CREATE INDEX deliveries_webhook ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_event ON deliveries (event_id, event_tenant_id);
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, seq);
-- The deliveries-pending alert metric, of one tenant.
CREATE INDEX deliveries_pending ON deliveries (tenant_id, webhook_id) WHERE status = 'pending';

CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
-- The webhook-failures alert metrics, of one tenant.
CREATE INDEX attempts_tenant ON attempts (tenant_id, started_at);

CREATE INDEX agents_last_seen ON agents (last_seen, id);
CREATE INDEX agents_status ON agents (status, last_seen, id);
CREATE INDEX agents_tenant ON agents (tenant_id, last_seen, id);
CREATE INDEX agent_logs_agent ON agent_logs (tenant_id, agent_id, ts);
CREATE INDEX metric_points_agent ON metric_points (tenant_id, agent_id, name, ts);
-- One metric over a tenant's agents (alert aggregation).
CREATE INDEX metric_points_name ON metric_points (tenant_id, name, ts);

CREATE INDEX deployments_updated ON deployments (updated_at, id);
CREATE INDEX deployments_agent ON deployments (agent_id, updated_at, id);
CREATE INDEX deployments_status ON deployments (status, updated_at, id);
CREATE INDEX deployments_tenant ON deployments (tenant_id, updated_at, id);
CREATE INDEX deployment_history_deployment ON deployment_history (tenant_id, deployment_id, seq);

-- +goose Down
-- The tenants' rows go: the old keys cannot hold them.
DELETE FROM attempts WHERE tenant_id <> ''
    OR delivery_id IN (SELECT id FROM deliveries WHERE event_tenant_id <> '');
DELETE FROM deliveries WHERE tenant_id <> '' OR event_tenant_id <> '';
DELETE FROM events WHERE tenant_id <> '';
DELETE FROM webhooks WHERE tenant_id <> '';
DELETE FROM agent_logs WHERE tenant_id <> '';
DELETE FROM metric_points WHERE tenant_id <> '';
DELETE FROM deployment_history WHERE tenant_id <> '';
DELETE FROM deployments WHERE tenant_id <> '';
DELETE FROM agents WHERE tenant_id <> '';
DELETE FROM alerts WHERE tenant_id <> '';
DELETE FROM invocations WHERE tenant_id <> '';
DELETE FROM inbound_requests WHERE tenant_id <> '';
DELETE FROM inbound_webhooks WHERE tenant_id <> '';
DELETE FROM api_keys WHERE tenant_id <> '';
DROP TABLE tenants;

CREATE TABLE events_old (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    agent_id   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE deliveries_old (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    webhook_id           TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id             TEXT NOT NULL REFERENCES events_old (id),
    event_type           TEXT NOT NULL,
    webhook_name         TEXT NOT NULL,
    status               TEXT NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    response_status_code INTEGER,
    error_message        TEXT NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    last_attempt_at      INTEGER,
    next_attempt_at      INTEGER,
    delivered_at         INTEGER
);

CREATE TABLE attempts_old (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL REFERENCES deliveries_old (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    status_code      INTEGER,
    response_headers TEXT NOT NULL,
    response_body    TEXT NOT NULL,
    error            TEXT NOT NULL,
    success          INTEGER NOT NULL
);

CREATE TABLE agents_old (
    id                TEXT PRIMARY KEY,
    status            TEXT NOT NULL,
    node_id           TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    metadata          TEXT,
    last_metrics      TEXT NOT NULL DEFAULT '{}',
    last_metrics_at   INTEGER,
    last_seen         INTEGER NOT NULL,
    status_changed_at INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    runtime           TEXT
);

CREATE TABLE agent_logs_old (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL REFERENCES agents_old (id) ON DELETE CASCADE,
    level    TEXT NOT NULL,
    message  TEXT NOT NULL,
    ts       INTEGER NOT NULL
);

CREATE TABLE metric_points_old (
    agent_id TEXT NOT NULL REFERENCES agents_old (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    value    REAL NOT NULL,
    ts       INTEGER NOT NULL
);

CREATE TABLE deployments_old (
    id         TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    changes    TEXT,
    error      TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE deployment_history_old (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL REFERENCES deployments_old (id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    version       TEXT NOT NULL DEFAULT '',
    changes       TEXT,
    error         TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    at            INTEGER NOT NULL
);

CREATE TABLE inbound_webhooks_old (
    name              TEXT PRIMARY KEY,
    agent             TEXT NOT NULL,
    secret            TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    enabled           INTEGER NOT NULL,
    provider          TEXT NOT NULL,
    transform         TEXT NOT NULL DEFAULT '{}',
    filters           TEXT NOT NULL DEFAULT '{}',
    response_mode     TEXT NOT NULL,
    allowed_ips       TEXT NOT NULL DEFAULT '[]',
    rate_limit        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_triggered_at INTEGER,
    bot_token         TEXT NOT NULL DEFAULT ''
);

INSERT INTO events_old (seq, id, type, data, created_at, agent_id)
    SELECT seq, id, type, data, created_at, agent_id FROM events;
INSERT INTO deliveries_old (seq, id, webhook_id, event_id, event_type, webhook_name, status, attempts,
        response_status_code, error_message, created_at, last_attempt_at, next_attempt_at, delivered_at)
    SELECT seq, id, webhook_id, event_id, event_type, webhook_name, status, attempts,
        response_status_code, error_message, created_at, last_attempt_at, next_attempt_at, delivered_at
    FROM deliveries;
INSERT INTO attempts_old (rowid, id, delivery_id, number, started_at, duration_ms, status_code,
        response_headers, response_body, error, success)
    SELECT rowid, id, delivery_id, number, started_at, duration_ms, status_code,
        response_headers, response_body, error, success FROM attempts;
INSERT INTO agents_old (rowid, id, status, node_id, error, metadata, last_metrics, last_metrics_at, last_seen,
        status_changed_at, created_at, updated_at, name, runtime)
    SELECT rowid, id, status, node_id, error, metadata, last_metrics, last_metrics_at, last_seen,
        status_changed_at, created_at, updated_at, name, runtime FROM agents;
INSERT INTO agent_logs_old (seq, agent_id, level, message, ts)
    SELECT seq, agent_id, level, message, ts FROM agent_logs;
INSERT INTO metric_points_old (rowid, agent_id, name, value, ts)
    SELECT rowid, agent_id, name, value, ts FROM metric_points;
INSERT INTO deployments_old (rowid, id, agent_id, status, version, changes, error, reason, created_at, updated_at)
    SELECT rowid, id, agent_id, status, version, changes, error, reason, created_at, updated_at FROM deployments;
INSERT INTO deployment_history_old (seq, deployment_id, status, version, changes, error, reason, at)
    SELECT seq, deployment_id, status, version, changes, error, reason, at FROM deployment_history;
INSERT INTO inbound_webhooks_old (rowid, name, agent, secret, description, enabled, provider, transform, filters,
        response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token)
    SELECT rowid, name, agent, secret, description, enabled, provider, transform, filters,
        response_mode, allowed_ips, rate_limit, created_at, updated_at, last_triggered_at, bot_token
    FROM inbound_webhooks;

DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE agent_logs;
DROP TABLE metric_points;
DROP TABLE agents;
DROP TABLE deployment_history;
DROP TABLE deployments;
DROP TABLE inbound_webhooks;

ALTER TABLE events_old RENAME TO events;
ALTER TABLE deliveries_old RENAME TO deliveries;
ALTER TABLE attempts_old RENAME TO attempts;
ALTER TABLE agents_old RENAME TO agents;
ALTER TABLE agent_logs_old RENAME TO agent_logs;
ALTER TABLE metric_points_old RENAME TO metric_points;
ALTER TABLE deployments_old RENAME TO deployments;
ALTER TABLE deployment_history_old RENAME TO deployment_history;
ALTER TABLE inbound_webhooks_old RENAME TO inbound_webhooks;

CREATE INDEX events_type ON events (type, seq);
CREATE INDEX events_agent ON events (agent_id, seq);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, seq);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_pending ON deliveries (webhook_id) WHERE status = 'pending';
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
CREATE INDEX attempts_started ON attempts (started_at);
CREATE INDEX agents_last_seen ON agents (last_seen, id);
CREATE INDEX agents_status ON agents (status, last_seen, id);
CREATE INDEX agent_logs_agent ON agent_logs (agent_id, ts);
CREATE INDEX metric_points_agent ON metric_points (agent_id, name, ts);
CREATE INDEX metric_points_name ON metric_points (name, ts);
CREATE INDEX deployments_updated ON deployments (updated_at, id);
CREATE INDEX deployments_agent ON deployments (agent_id, updated_at, id);
CREATE INDEX deployments_status ON deployments (status, updated_at, id);
CREATE INDEX deployment_history_deployment ON deployment_history (deployment_id, seq);

DROP INDEX inbound_requests_webhook;
ALTER TABLE inbound_requests DROP COLUMN tenant_id;
CREATE INDEX inbound_requests_webhook ON inbound_requests (webhook, at, id);
DROP INDEX invocations_tenant;
ALTER TABLE invocations DROP COLUMN tenant_id;
DROP INDEX alerts_tenant;
ALTER TABLE alerts DROP COLUMN tenant_id;
DROP INDEX api_keys_tenant;
ALTER TABLE api_keys DROP COLUMN tenant_id;
DROP INDEX webhooks_tenant;
ALTER TABLE webhooks DROP COLUMN all_tenants;
ALTER TABLE webhooks DROP COLUMN tenant_id;
