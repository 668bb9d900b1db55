-- Tenants: the platform's customers, each owning its webhooks, events
-- (with their deliveries and attempts), agents (with their logs, metric
-- points and deployments), alert rules, inbound webhooks (with their
-- request logs and invocations) and API keys.
--
-- Every owned table gets tenant_id, '' for the platform's own rows, which
-- is what every existing row becomes. tenant_id has no foreign key (the
-- platform has no tenants row): creates check the tenant in their
-- transaction with SELECT ... FOR KEY SHARE, which DeleteTenant's lock on
-- the row waits for.
--
-- Agent and deployment ids, inbound webhook names and event ids (the
-- idempotency key) become unique per tenant, so their keys, and the keys
-- their children reference, are (tenant_id, id). A delivery's tenant_id is
-- its webhook's; event_tenant_id is its event's, which differs for the
-- deliveries of the platform's all_tenants webhooks (the firehose).
-- (Migration 00008 is SQLite's only.)

-- +goose Up
CREATE TABLE tenants (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    metadata   json NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Webhooks. The fan-out reads the active webhooks of the event's tenant
-- and the platform's active all_tenants ones: two index scans, one on
-- each index.
ALTER TABLE webhooks ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN all_tenants boolean NOT NULL DEFAULT false;
CREATE INDEX webhooks_tenant_active ON webhooks (tenant_id, is_active);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);
CREATE INDEX webhooks_firehose ON webhooks (id) WHERE tenant_id = '' AND all_tenants AND is_active;

-- Events: the id is unique per tenant. Deliveries reference their event by
-- (event_tenant_id, event_id).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_id_fkey;
ALTER TABLE events ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX events_id ON events (id, seq);
CREATE INDEX events_tenant ON events (tenant_id, seq);

ALTER TABLE deliveries ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN event_tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD CONSTRAINT deliveries_event_fkey
    FOREIGN KEY (event_tenant_id, event_id) REFERENCES events (tenant_id, id);
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, seq);
CREATE INDEX deliveries_event_tenant ON deliveries (event_tenant_id, event_id);

-- Attempts: the alert metrics count one tenant's attempts in a window.
ALTER TABLE attempts ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
DROP INDEX attempts_started;
CREATE INDEX attempts_tenant_started ON attempts (tenant_id, started_at);

-- Agents, with their logs and metric points: the id is unique per tenant.
ALTER TABLE agent_logs DROP CONSTRAINT agent_logs_agent_id_fkey;
ALTER TABLE metric_points DROP CONSTRAINT metric_points_agent_id_fkey;
ALTER TABLE agents ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE agents DROP CONSTRAINT agents_pkey;
ALTER TABLE agents ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX agents_tenant ON agents (tenant_id, last_seen, id);

ALTER TABLE agent_logs ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE agent_logs ADD CONSTRAINT agent_logs_agent_fkey
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE;
DROP INDEX agent_logs_agent;
CREATE INDEX agent_logs_agent ON agent_logs (tenant_id, agent_id, ts, seq);

ALTER TABLE metric_points ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE metric_points ADD CONSTRAINT metric_points_agent_fkey
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE;
DROP INDEX metric_points_agent;
DROP INDEX metric_points_name;
CREATE INDEX metric_points_agent ON metric_points (tenant_id, agent_id, name, ts);
CREATE INDEX metric_points_name ON metric_points (tenant_id, name, ts);

-- Deployments, with their history: the id is unique per tenant.
ALTER TABLE deployment_history DROP CONSTRAINT deployment_history_deployment_id_fkey;
ALTER TABLE deployments ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE deployments DROP CONSTRAINT deployments_pkey;
ALTER TABLE deployments ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX deployments_tenant ON deployments (tenant_id, updated_at, id);

ALTER TABLE deployment_history ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE deployment_history ADD CONSTRAINT deployment_history_deployment_fkey
    FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id) ON DELETE CASCADE;
DROP INDEX deployment_history_deployment;
CREATE INDEX deployment_history_deployment ON deployment_history (tenant_id, deployment_id, seq);

-- Alert rules, API keys and invocations.
ALTER TABLE alerts ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX alerts_tenant ON alerts (tenant_id, id);

ALTER TABLE api_keys ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

ALTER TABLE invocations ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX invocations_tenant ON invocations (tenant_id, created_at, id);

-- Inbound webhooks: the name is unique per tenant; their request log.
ALTER TABLE inbound_webhooks ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE inbound_webhooks DROP CONSTRAINT inbound_webhooks_pkey;
ALTER TABLE inbound_webhooks ADD PRIMARY KEY (tenant_id, name);

ALTER TABLE inbound_requests ADD COLUMN tenant_id text COLLATE "C" NOT NULL DEFAULT '';
DROP INDEX inbound_requests_webhook;
CREATE INDEX inbound_requests_webhook ON inbound_requests (tenant_id, webhook, at, id);

-- +goose Down
-- Going back drops every tenant's rows (and the firehose deliveries of
-- their events): the single-column keys cannot hold two tenants' ids.
DELETE FROM attempts WHERE tenant_id <> '' OR delivery_id IN (SELECT id FROM deliveries WHERE event_tenant_id <> '');
DELETE FROM deliveries WHERE tenant_id <> '' OR event_tenant_id <> '';
DELETE FROM events WHERE tenant_id <> '';
DELETE FROM webhooks WHERE tenant_id <> '';
DELETE FROM agent_logs WHERE tenant_id <> '';
DELETE FROM metric_points WHERE tenant_id <> '';
DELETE FROM agents WHERE tenant_id <> '';
DELETE FROM deployment_history WHERE tenant_id <> '';
DELETE FROM deployments WHERE tenant_id <> '';
DELETE FROM alerts WHERE tenant_id <> '';
DELETE FROM api_keys WHERE tenant_id <> '';
DELETE FROM invocations WHERE tenant_id <> '';
DELETE FROM inbound_requests WHERE tenant_id <> '';
DELETE FROM inbound_webhooks WHERE tenant_id <> '';

DROP INDEX inbound_requests_webhook;
ALTER TABLE inbound_requests DROP COLUMN tenant_id;
CREATE INDEX inbound_requests_webhook ON inbound_requests (webhook, at, id);

ALTER TABLE inbound_webhooks DROP CONSTRAINT inbound_webhooks_pkey;
ALTER TABLE inbound_webhooks DROP COLUMN tenant_id;
ALTER TABLE inbound_webhooks ADD PRIMARY KEY (name);

ALTER TABLE invocations DROP COLUMN tenant_id;
ALTER TABLE api_keys DROP COLUMN tenant_id;
ALTER TABLE alerts DROP COLUMN tenant_id;

DROP INDEX deployment_history_deployment;
ALTER TABLE deployment_history DROP CONSTRAINT deployment_history_deployment_fkey;
ALTER TABLE deployment_history DROP COLUMN tenant_id;
ALTER TABLE deployments DROP CONSTRAINT deployments_pkey;
ALTER TABLE deployments DROP COLUMN tenant_id;
ALTER TABLE deployments ADD PRIMARY KEY (id);
ALTER TABLE deployment_history ADD CONSTRAINT deployment_history_deployment_id_fkey
    FOREIGN KEY (deployment_id) REFERENCES deployments (id) ON DELETE CASCADE;
CREATE INDEX deployment_history_deployment ON deployment_history (deployment_id, seq);

DROP INDEX metric_points_name;
DROP INDEX metric_points_agent;
ALTER TABLE metric_points DROP CONSTRAINT metric_points_agent_fkey;
ALTER TABLE metric_points DROP COLUMN tenant_id;
DROP INDEX agent_logs_agent;
ALTER TABLE agent_logs DROP CONSTRAINT agent_logs_agent_fkey;
ALTER TABLE agent_logs DROP COLUMN tenant_id;
ALTER TABLE agents DROP CONSTRAINT agents_pkey;
ALTER TABLE agents DROP COLUMN tenant_id;
ALTER TABLE agents ADD PRIMARY KEY (id);
ALTER TABLE agent_logs ADD CONSTRAINT agent_logs_agent_id_fkey
    FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE;
ALTER TABLE metric_points ADD CONSTRAINT metric_points_agent_id_fkey
    FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE;
CREATE INDEX agent_logs_agent ON agent_logs (agent_id, ts, seq);
CREATE INDEX metric_points_agent ON metric_points (agent_id, name, ts);
CREATE INDEX metric_points_name ON metric_points (name, ts);

DROP INDEX attempts_tenant_started;
ALTER TABLE attempts DROP COLUMN tenant_id;
CREATE INDEX attempts_started ON attempts (started_at);

ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_fkey;
ALTER TABLE deliveries DROP COLUMN event_tenant_id;
ALTER TABLE deliveries DROP COLUMN tenant_id;
ALTER TABLE events DROP CONSTRAINT events_pkey;
DROP INDEX events_tenant;
DROP INDEX events_id;
ALTER TABLE events DROP COLUMN tenant_id;
ALTER TABLE events ADD PRIMARY KEY (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id);

DROP INDEX webhooks_firehose;
DROP INDEX webhooks_tenant;
DROP INDEX webhooks_tenant_active;
ALTER TABLE webhooks DROP COLUMN all_tenants;
ALTER TABLE webhooks DROP COLUMN tenant_id;

DROP TABLE tenants;
