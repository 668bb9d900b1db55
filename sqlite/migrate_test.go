package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/heraldhq/herald"
)

// v7Rows are rows of every table of migration 00007's schema, as a store
// from before tenants holds them.
var v7Rows = []string{
	`INSERT INTO webhooks (id, name, url, events, is_active, secret, headers, timeout_seconds, max_retries,
		retry_schedule, verify_ssl, signature_header, signature_format, created_at, updated_at)
		VALUES ('wh_1', 'hook', 'https://example.com', '["*"]', 1, 's', '{}', 10, 3, '[]', 1, 'X-Sig', 'sha256=hex', 1, 1)`,
	`INSERT INTO events (id, type, data, created_at, agent_id) VALUES ('evt_1', 'agent.status', '{"agent_id":"a1"}', 1, 'a1')`,
	`INSERT INTO events (id, type, data, created_at) VALUES ('evt_2', 'agent.status', '{}', 2)`,
	`INSERT INTO deliveries (id, webhook_id, event_id, event_type, webhook_name, status, created_at)
		VALUES ('dlv_1', 'wh_1', 'evt_1', 'agent.status', 'hook', 'pending', 1)`,
	`INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, response_headers, response_body, error, success)
		VALUES ('att_1', 'dlv_1', 1, 1, 5, '{}', '', 'refused', 0)`,
	`INSERT INTO api_keys (id, name, scope, prefix, hash, created_at) VALUES ('key_1', 'admin', 'admin', 'hk_x', 'h1', 1)`,
	`INSERT INTO agents (id, status, last_seen, status_changed_at, created_at, updated_at, name)
		VALUES ('a1', 'running', 1, 1, 1, 1, 'Agent one')`,
	`INSERT INTO agent_logs (agent_id, level, message, ts) VALUES ('a1', 'info', 'booted', 1)`,
	`INSERT INTO metric_points (agent_id, name, value, ts) VALUES ('a1', 'cpu', 0.5, 1)`,
	`INSERT INTO deployments (id, agent_id, status, created_at, updated_at) VALUES ('dep_1', 'a1', 'created', 1, 1)`,
	`INSERT INTO deployment_history (deployment_id, status, at) VALUES ('dep_1', 'created', 1)`,
	`INSERT INTO alerts (id, name, metric, agg, op, threshold, window_ns, is_active, created_at, updated_at)
		VALUES ('alr_1', 'cpu', 'cpu', 'avg', '>', 1, 60000000000, 1, 1, 1)`,
	`INSERT INTO inbound_webhooks (name, agent, enabled, provider, response_mode, created_at, updated_at)
		VALUES ('github', 'a1', 1, 'github', 'sync', 1, 1)`,
	`INSERT INTO inbound_requests (id, webhook, at, verdict, status) VALUES ('req_1', 'github', 1, 'accepted', 200)`,
	`INSERT INTO invocations (id, agent, source, mode, status, message, created_at)
		VALUES ('inv_1', 'a1', 'generic', 'sync', 'queued', 'hi', 1)`,
}

// ownedTables are the tables whose rows have a tenant.
var ownedTables = []string{"webhooks", "events", "deliveries", "attempts", "api_keys", "agents", "agent_logs",
	"metric_points", "deployments", "deployment_history", "alerts", "inbound_webhooks", "inbound_requests", "invocations"}

// TestMigrateTenants migrates a store holding rows of every table to
// tenants and back: the rows become the platform's and keep their keys,
// the foreign keys hold, and going back drops the tenants' rows only.
func TestMigrateTenants(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	raw, p := openMigrator(t, path)
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	exec(t, raw, v7Rows...)
	counts := countRows(t, raw)
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	checkSchema(t, raw)
	if got := countRows(t, raw); !equalCounts(got, counts) {
		t.Fatalf("rows after migrating: %v, want %v", got, counts)
	}
	for _, table := range ownedTables {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM ` + table + ` WHERE tenant_id <> ''`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s: %d rows of a tenant (%v), want the platform's only", table, n, err)
		}
	}
	// AUTOINCREMENT goes on from the old tables' counters.
	var seq int
	if err := raw.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&seq); err != nil || seq != 2 {
		t.Fatalf("events counter: %d %v, want 2", seq, err)
	}
	raw.Close()

	// The store reads the migrated rows, and adds a tenant's beside them.
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	task, err := s.DeliveryTask(ctx, herald.Ref{Tenancy: herald.Platform(), ID: "dlv_1"})
	if err != nil || task.Event.ID != "evt_1" || task.Webhook.ID != "wh_1" || task.Event.TenantID != "" {
		t.Fatalf("migrated delivery: %+v %v", task, err)
	}
	if d, err := s.Deployment(ctx, herald.Ref{Tenancy: herald.Platform(), ID: "dep_1"}); err != nil || len(d.History) != 1 {
		t.Fatalf("migrated deployment: %+v %v", d, err)
	}
	if _, err := s.PutTenant(ctx, &herald.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportAgentStatus(ctx, &herald.AgentReport{TenantID: "acme", AgentID: "a1", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishEvent(ctx, herald.PublishParams{TenantID: "acme", ID: "evt_1", Type: "x.y", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	raw, p = openMigrator(t, path)
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	checkSchema(t, raw)
	if got := countRows(t, raw); !equalCounts(got, counts) {
		t.Fatalf("rows after migrating back: %v, want the platform's %v", got, counts)
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	checkSchema(t, raw)
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// countRows counts the rows of every owned table.
func countRows(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range ownedTables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkSchema fails unless every foreign key holds, the file is sound, and
// no table is left from a rebuild.
func checkSchema(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			table, parent string
			rowid         sql.NullInt64
			fk            int
		)
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Fatal(err)
		}
		t.Errorf("foreign key %d of %s row %v to %s does not hold", fk, table, rowid, parent)
	}
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity check: %s %v", ok, err)
	}
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name LIKE '%\_new' ESCAPE '\' OR name LIKE '%\_old' ESCAPE '\'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d tables left from a rebuild (%v)", left, err)
	}
}

// TestMigrateAttemptsWebhook: migration 00019 gives each existing attempt
// its delivery's webhook, so that the webhook's health, which reads
// attempts by webhook, still counts the attempts made before it; the
// health queries read attempts_webhook; going back and up again works.
func TestMigrateAttemptsWebhook(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	raw, p := openMigrator(t, path)
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	exec(t, raw, v7Rows[0], v7Rows[1],
		fmt.Sprintf(`INSERT INTO deliveries (id, webhook_id, event_id, event_type, webhook_name, status, created_at, last_attempt_at)
			VALUES ('dlv_1', 'wh_1', 'evt_1', 'agent.status', 'hook', 'failed', %d, %d)`, micros(now), micros(now)),
		fmt.Sprintf(`INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, response_headers, response_body, error, success)
			VALUES ('att_1', 'dlv_1', 1, %d, 5, '{}', '', 'refused', 0)`, micros(now.Add(-time.Minute))))
	if _, err := p.UpTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	var webhookID string
	if err := raw.QueryRow(`SELECT webhook_id FROM attempts WHERE id = 'att_1'`).Scan(&webhookID); err != nil || webhookID != "wh_1" {
		t.Fatalf("attempt's webhook after the migration: %q %v, want wh_1", webhookID, err)
	}
	var plan strings.Builder
	rows, err := raw.Query(`EXPLAIN QUERY PLAN SELECT count(*) FROM attempts a WHERE a.webhook_id = ? AND a.started_at >= ?`, "wh_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "attempts_webhook") {
		t.Fatalf("a webhook's attempts are read without attempts_webhook:\n%s", plan.String())
	}
	raw.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.WebhookHealth(ctx, herald.HealthParams{Ref: herald.Ref{Tenancy: herald.Platform(), ID: "wh_1"}, Now: now})
	if err != nil || h.Windows[0].Failed != 1 || h.FailedDeliveries != 1 || h.FailingSince == nil {
		t.Fatalf("health after the migration: %+v, %v", h, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	raw, p = openMigrator(t, path)
	if _, err := p.DownTo(ctx, 18); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	if _, err := p.UpTo(ctx, 19); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
}

// openMigrator opens the SQLite file at path on one raw connection, closed
// when the test ends, and returns it with the store's migrations on it.
func openMigrator(t *testing.T, path string) (*sql.DB, *goose.Provider) {
	t.Helper()
	raw := openDB("file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { raw.Close() })
	p, err := (&DB{db: raw}).goose()
	if err != nil {
		t.Fatal(err)
	}
	return raw, p
}
