package postgres_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/postgres"
)

// ownedTables are the tables holding rows owned by a tenant.
var ownedTables = []string{"webhooks", "events", "deliveries", "attempts", "agents", "agent_logs", "metric_points",
	"deployments", "deployment_history", "alerts", "api_keys", "invocations", "inbound_webhooks", "inbound_requests"}

// migrator runs the migrations of the source tree on the schema of u, one
// version at a time.
func migrator(t *testing.T, u string) *goose.Provider {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// connect opens a plain connection to the schema of u for the test.
func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// schemaAt returns a new schema's URL migrated to version, its migrator
// and a plain connection to it.
func schemaAt(t *testing.T, version int64) (string, *goose.Provider, *pgx.Conn) {
	t.Helper()
	_, u := freshSchema(t)
	m := migrator(t, u)
	if _, err := m.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return u, m, connect(t, u)
}

// execAll runs each statement on conn.
func execAll(t *testing.T, conn *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// countRows counts the rows of table that cond keeps.
func countRows(t *testing.T, conn *pgx.Conn, table, cond string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE `+cond, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// Migration 00010 makes every existing row the platform's, and the store
// reads them as before; going back drops the tenants' rows and keeps the
// platform's, and going up again works.
func TestTenantsMigration(t *testing.T) {
	ctx := context.Background()
	u, m, conn := schemaAt(t, 9)
	execAll(t, conn,
		`INSERT INTO webhooks (id, url, events, is_active, secret, timeout_seconds, max_retries, verify_ssl,
			signature_header, signature_format, created_at, updated_at)
			VALUES ('wh_1', 'https://example.com', '{*}', true, 'secret-1', 30, 3, true, 'X-Sig', 'hex', now(), now())`,
		`INSERT INTO events (id, type, data, created_at, agent_id) VALUES ('ev_1', 'agent.status', '{"agent_id":"a1"}', now(), 'a1')`,
		`INSERT INTO deliveries (id, webhook_id, event_id, event_type, webhook_name, status, created_at)
			VALUES ('dl_1', 'wh_1', 'ev_1', 'agent.status', '', 'pending', now())`,
		`INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, response_body, error, success)
			VALUES ('at_1', 'dl_1', 1, now(), 5, '', 'boom', false)`,
		`INSERT INTO agents (id, status, last_seen, status_changed_at, created_at, updated_at)
			VALUES ('a1', 'running', now(), now(), now(), now())`,
		`INSERT INTO agent_logs (agent_id, level, message, ts) VALUES ('a1', 'info', 'hello', now())`,
		`INSERT INTO metric_points (agent_id, name, value, ts) VALUES ('a1', 'cpu', 0.5, now())`,
		`INSERT INTO deployments (id, agent_id, status, created_at, updated_at) VALUES ('d1', 'a1', 'started', now(), now())`,
		`INSERT INTO deployment_history (deployment_id, status, at) VALUES ('d1', 'started', now())`,
		`INSERT INTO alerts (id, name, metric, agg, op, threshold, window_ns, is_active, created_at, updated_at)
			VALUES ('alr_1', 'n', 'cpu', 'avg', '>=', 1, 60000000000, true, now(), now())`,
		`INSERT INTO api_keys (id, name, scope, prefix, hash, created_at) VALUES ('key_1', 'k', 'admin', 'hk_', 'h1', now())`,
		`INSERT INTO invocations (id, agent, source, mode, status, message, created_at)
			VALUES ('inv_1', 'a1', 'generic', 'sync', 'completed', 'hi', now())`,
		`INSERT INTO inbound_webhooks (name, agent, enabled, provider, response_mode, created_at, updated_at)
			VALUES ('github', 'a1', true, 'github', 'sync', now(), now())`,
		`INSERT INTO inbound_requests (id, webhook, at, verdict, status) VALUES ('req_1', 'github', now(), 'accepted', 200)`,
	)
	if _, err := m.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	for _, table := range ownedTables {
		if n := countRows(t, conn, table, `tenant_id = ''`); n != 1 {
			t.Errorf("%s: %d platform rows after the migration, want 1", table, n)
		}
	}

	db := openURL(t, u, postgres.Options{})
	platform := herald.Platform()
	ev, err := db.Event(ctx, herald.Ref{Tenancy: platform, ID: "ev_1"})
	if err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].ID != "dl_1" {
		t.Fatalf("event: %+v, %v", ev, err)
	}
	task, err := db.DeliveryTask(ctx, herald.Ref{Tenancy: platform, ID: "dl_1"})
	if err != nil || task.Event.ID != "ev_1" || task.Webhook.ID != "wh_1" || task.Webhook.AllTenants {
		t.Fatalf("delivery task: %+v, %v", task, err)
	}
	if d, err := db.Deployment(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: "d1"}); err != nil || len(d.History) != 1 {
		t.Fatalf("deployment: %+v, %v", d, err)
	}
	if logs, err := db.AgentLogs(ctx, herald.LogFilter{Tenancy: platform, AgentID: "a1"}); err != nil || len(logs) != 1 {
		t.Fatalf("agent logs: %v, %v", logs, err)
	}
	if _, err := db.InboundWebhook(ctx, herald.Ref{Tenancy: platform, ID: "github"}); err != nil {
		t.Fatal(err)
	}

	// A tenant's agent and inbound webhook of the same names as the
	// platform's, which going back drops.
	if _, err := db.PutTenant(ctx, &herald.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReportAgentStatus(ctx, &herald.AgentReport{TenantID: "acme", AgentID: "a1", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateInboundWebhook(ctx, &herald.InboundWebhook{TenantID: "acme", Name: "github", Agent: "a1",
		Provider: "github", ResponseMode: herald.ResponseSync}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DownTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"agents", "inbound_webhooks", "webhooks", "events", "deliveries"} {
		if n := countRows(t, conn, table, `true`); n != 1 {
			t.Errorf("%s: %d rows after going back, want the platform's 1", table, n)
		}
	}
	if _, err := m.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
}

// DeleteTenant serializes with the writes of the tenant running at the
// same time: each either commits before it, and its rows are deleted, or
// finds no tenant after it. No row of the tenant is left, nor a firehose
// delivery of its events.
func TestDeleteTenantWhileWriting(t *testing.T) {
	ctx := context.Background()
	_, u := freshSchema(t)
	db := openURL(t, u, postgres.Options{})
	conn := connect(t, u)
	firehose := herald.NewWebhookDefaults()
	firehose.URL, firehose.Events, firehose.Secret, firehose.AllTenants = "https://example.com/all", []string{"*"}, herald.GenerateSecret(), true
	if err := db.CreateWebhook(ctx, firehose); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		tenant := fmt.Sprintf("acme-%d", round)
		if _, err := db.PutTenant(ctx, &herald.Tenant{ID: tenant}); err != nil {
			t.Fatal(err)
		}
		writes := []func(i int) error{
			func(i int) error {
				w := herald.NewWebhookDefaults()
				w.TenantID, w.URL, w.Events, w.Secret = herald.TenantID(tenant), "https://example.com/a", []string{"*"}, herald.GenerateSecret()
				return db.CreateWebhook(ctx, w)
			},
			func(i int) error {
				_, err := db.PublishEvent(ctx, herald.PublishParams{TenantID: tenant, Type: "agent.status", Data: json.RawMessage(`{}`)})
				return err
			},
			func(i int) error {
				_, err := db.ReportAgentStatus(ctx, &herald.AgentReport{TenantID: herald.TenantID(tenant),
					AgentID: fmt.Sprintf("a%d", i%4), Status: "running", Logs: []herald.LogEntry{{Message: "up"}}})
				return err
			},
			func(i int) error {
				_, err := db.ReportMetrics(ctx, &herald.MetricsReport{TenantID: herald.TenantID(tenant),
					AgentID: "m", Metrics: map[string]float64{"cpu": float64(i)}})
				return err
			},
			func(i int) error {
				return db.RecordInboundRequest(ctx, &herald.InboundRequest{TenantID: herald.TenantID(tenant), Webhook: "github",
					Verdict: herald.VerdictAccepted, Status: 200})
			},
			func(i int) error {
				r := herald.NewAlertDefaults()
				r.TenantID, r.Metric = herald.TenantID(tenant), herald.MetricDeliveriesPending
				if err := db.CreateAlert(ctx, r); err != nil {
					return err
				}
				for k := range 3 {
					if _, err := db.SetAlertState(ctx, herald.AlertStateParams{AlertID: r.ID, Triggered: k%2 == 0}); err != nil {
						return err
					}
				}
				return nil
			},
			func(i int) error {
				inv := &herald.Invocation{ID: herald.NewID(herald.PrefixInvocation, time.Now()), TenantID: herald.TenantID(tenant),
					Agent: "a0", Source: "generic", Mode: herald.ResponseSync, Message: "hi"}
				event := []herald.EventSpec{{Type: "agent.invoked", Data: map[string]any{"agent": "a0"}}}
				if err := db.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv, Events: event}); err != nil {
					return err
				}
				_, err := db.FinishInvocation(ctx, herald.InvocationOutcome{ID: inv.ID, Status: herald.InvocationCompleted,
					Events: event})
				return err
			},
		}
		var (
			wg      sync.WaitGroup
			started sync.WaitGroup
			start   = make(chan struct{})
			done    = make([]int, len(writes))
		)
		started.Add(len(writes))
		for k, write := range writes {
			wg.Go(func() {
				<-start
				for i := 0; ; i++ {
					err := write(i)
					if code := herald.ErrorCode(err); code == herald.EINVALID || code == herald.ENOTFOUND {
						if i == 0 {
							started.Done()
						}
						return // the tenant is gone, or what the write made
					} else if err != nil {
						t.Errorf("write %d of kind %d: %v", i, k, err)
						if i == 0 {
							started.Done()
						}
						return
					}
					done[k]++
					if i == 0 {
						started.Done() // every kind writes once before the delete
					}
				}
			})
		}
		close(start)
		started.Wait()
		if err := db.DeleteTenant(ctx, tenant); err != nil {
			t.Fatalf("delete tenant: %v", err)
		}
		wg.Wait()
		for k, n := range done {
			if n == 0 {
				t.Errorf("round %d: no write of kind %d was made before the delete", round, k)
			}
		}
		for _, table := range ownedTables {
			if n := countRows(t, conn, table, `tenant_id = $1`, tenant); n != 0 {
				t.Errorf("round %d: %s holds %d rows of the deleted tenant", round, table, n)
			}
		}
		if n := countRows(t, conn, "deliveries", `event_tenant_id = $1`, tenant); n != 0 {
			t.Errorf("round %d: %d firehose deliveries of the deleted tenant's events are left", round, n)
		}
	}
}

// A tenant's name keeps the character the store escapes NUL with.
func TestTenantNameEscaped(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	in := &herald.Tenant{ID: "acme", Name: "a\uE000b\uE0000", Metadata: json.RawMessage(`{"b":1, "a":[2]}`)}
	if _, err := db.PutTenant(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := db.Tenant(ctx, "acme")
	if err != nil || got.Name != in.Name || string(got.Metadata) != `{"b":1, "a":[2]}` {
		t.Fatalf("tenant %+v, %v; want name %q and the metadata as given", got, err, in.Name)
	}
}

// Migration 00019 gives each existing attempt its delivery's webhook, so
// that the webhook's health, which reads attempts by webhook, still counts
// the attempts made before it; going back and up again works.
func TestAttemptsWebhookMigration(t *testing.T) {
	ctx := context.Background()
	u, m, conn := schemaAt(t, 18)
	execAll(t, conn,
		`INSERT INTO webhooks (id, url, events, is_active, secret, timeout_seconds, max_retries, verify_ssl,
			signature_header, signature_format, created_at, updated_at)
			VALUES ('wh_1', 'https://example.com', '{*}', true, 'secret-1', 30, 3, true, 'X-Sig', 'hex', now(), now())`,
		`INSERT INTO events (id, type, data, created_at) VALUES ('ev_1', 'agent.status', '{}', now())`,
		`INSERT INTO deliveries (id, webhook_id, event_id, event_type, webhook_name, status, created_at, last_attempt_at)
			VALUES ('dl_1', 'wh_1', 'ev_1', 'agent.status', '', 'failed', now(), now())`,
		`INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, response_body, error, success)
			VALUES ('at_1', 'dl_1', 1, now() - interval '1 minute', 5, '', 'boom', false)`,
	)
	if _, err := m.UpTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, conn, "attempts", `webhook_id = 'wh_1'`); n != 1 {
		t.Fatalf("%d attempts of wh_1 after the migration, want 1", n)
	}
	db := openURL(t, u, postgres.Options{})
	h, err := db.WebhookHealth(ctx, herald.HealthParams{Ref: herald.Ref{Tenancy: herald.Platform(), ID: "wh_1"}, Now: time.Now()})
	if err != nil || h.Windows[0].Failed != 1 || h.FailedDeliveries != 1 || h.FailingSince == nil {
		t.Fatalf("health after the migration: %+v, %v", h, err)
	}
	if _, err := m.DownTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
}
