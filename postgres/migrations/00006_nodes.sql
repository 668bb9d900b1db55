-- Node liveness: every node that works jobs upserts its row, keyed by its
-- River client id (river_job.attempted_by), every --node-heartbeat; the
-- leader queues again the running jobs of a node silent for
-- --node-dead-after and deletes its row.

-- +goose Up
CREATE TABLE herald_nodes (
    id           text PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE herald_nodes;
