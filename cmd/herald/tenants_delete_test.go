package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" driver, for countRows

	"github.com/heraldhq/herald"
)

// ownedTables are the tables whose rows belong to a tenant.
var ownedTables = []string{"webhooks", "events", "deliveries", "attempts", "agents", "agent_logs", "metric_points",
	"deployments", "deployment_history", "alerts", "inbound_webhooks", "inbound_requests", "invocations", "api_keys"}

// countRows runs a count query (with ? placeholders) on ts's database,
// read directly, and returns the count.
func countRows(t *testing.T, ts *testServer, query string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if isPostgres(ts.Config.Database) {
		conn, err := pgx.Connect(ctx, ts.Config.Database)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
		if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	db, err := sql.Open("sqlite", "file:"+ts.Config.DatabasePath()+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tenantRows counts a tenant's rows in every owned table.
func tenantRows(t *testing.T, ts *testServer, tenant string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range ownedTables {
		out[table] = countRows(t, ts, "SELECT count(*) FROM "+table+" WHERE tenant_id = ?", tenant)
	}
	return out
}

// liveDeliveryJobs counts the delivery jobs that have not ended.
func liveDeliveryJobs(t *testing.T, ts *testServer) int {
	t.Helper()
	return countRows(t, ts, "SELECT count(*) FROM river_job WHERE kind = ? AND state NOT IN ('completed', 'cancelled', 'discarded')", "herald.deliver")
}

// waitLiveDeliveryJobs waits up to 30s until n delivery jobs have not
// ended.
func waitLiveDeliveryJobs(t *testing.T, ts *testServer, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for got := liveDeliveryJobs(t, ts); got != n; got = liveDeliveryJobs(t, ts) {
		if time.Now().After(deadline) {
			t.Fatalf("%d delivery jobs still live after 30s, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seedTenant gives c's tenant a row in every owned table but webhooks and
// deliveries: an agent "bot" with a log line, a metric point and a
// deployment with its history (by ingestion), an echo agent with a named
// inbound webhook, one invocation through it and its logged request, and
// an alert rule. Its events reach no webhook (there is none yet).
func seedTenant(c *caller, tenant string) {
	c.ts.t.Helper()
	c.must(http.StatusAccepted, "POST", "/ingest/agent-status", map[string]any{"agent_id": "bot", "status": "running", "logs": []string{"up"}}, nil)
	c.must(http.StatusAccepted, "POST", "/ingest/metrics", map[string]any{"agent_id": "bot", "metrics": map[string]float64{"cpu": 0.5}}, nil)
	c.must(http.StatusAccepted, "POST", "/ingest/deployment", map[string]any{"deployment_id": "dep-1", "agent_id": "bot", "status": "created", "version": "1"}, nil)
	c.must(http.StatusCreated, "POST", "/v1/agents", map[string]any{"id": "echo", "runtime": map[string]any{"type": "echo"}}, nil)
	c.must(http.StatusCreated, "POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "echo", "secret": "hook-secret-" + tenant}, nil)
	if st, out, _ := c.ts.postRaw("/api/tenants/"+tenant+"/webhooks/hook", `{"message": "hi"}`, "X-Webhook-Secret", "hook-secret-"+tenant); st != http.StatusOK {
		c.ts.t.Fatalf("%s's inbound webhook: %d %v", tenant, st, out)
	}
	c.must(http.StatusCreated, "POST", "/v1/alerts", map[string]any{"metric": "cpu", "threshold": 0.9, "agent_id": "bot"}, nil)
}

// TestTenantDelete deletes tenant A while one delivery of A's is in
// flight at a receiver that holds it and more are queued behind it: every
// row of A's goes, in every owned table, B's and the platform's stay, and
// the queued deliveries are never sent.
func TestTenantDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		// One request in flight per webhook: the others wait in the queue.
		ts := startServer(t, db, func(c *Config) { c.MaxInFlightPerWebhook = 1 })
		a, b := ts.tenantsAB()
		admin := ts.as(ts.key)
		// A webhook of A's for the seed's deployment and metrics events,
		// so that A has attempts too.
		rc := newReceiver(t, statuses(200))
		a.webhook(rc.URL, "deployment.*", "metrics.*")
		seedTenant(a, tenantA)
		for range 2 {
			recv(t, ts.attempts, "the attempts of A's deployment and metrics events")
		}
		seedTenant(b, tenantB)

		entered := make(chan string, 100)
		release := make(chan struct{})
		var hits atomic.Int64
		held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			entered <- r.Header.Get("webhook-id")
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		t.Cleanup(func() { free(); held.Close() })
		whA := a.webhook(held.URL, "agent.*")
		whB := b.webhook(rc.URL, "agent.*")
		whPlat := admin.webhook(rc.URL, "agent.*")

		const queued = 5
		for i := range queued {
			if _, n := a.publish(map[string]any{"type": "agent.status", "data": map[string]any{"agent_id": "bot", "i": i}}); n != 1 {
				t.Fatalf("A's event %d went to %d webhooks, want 1", i, n)
			}
		}
		recv(t, entered, "the first of A's deliveries at the receiver that holds it")
		before := tenantRows(t, ts, tenantA)
		for _, table := range ownedTables {
			if before[table] == 0 {
				t.Errorf("setup: tenant A has no rows in %s", table)
			}
		}
		bRows := tenantRows(t, ts, tenantB)
		platform := tenantRows(t, ts, "")

		admin.must(http.StatusNoContent, "DELETE", "/v1/tenants/"+tenantA, nil, nil)
		if got := tenantRows(t, ts, tenantA); !reflect.DeepEqual(got, zeroRows()) {
			t.Errorf("after the delete, tenant A still has rows: %v", got)
		}
		if n := countRows(t, ts, "SELECT count(*) FROM tenants WHERE id = ?", tenantA); n != 0 {
			t.Errorf("the tenants row is still there")
		}
		// The queued jobs find their deliveries gone and end unsent; then
		// the request in flight may finish.
		waitLiveDeliveryJobs(t, ts, 1)
		free()
		waitLiveDeliveryJobs(t, ts, 0)
		if n := hits.Load(); n != 1 {
			t.Errorf("the receiver got %d requests, want the 1 in flight before the delete", n)
		}
		select {
		case id := <-entered:
			t.Errorf("event %s was sent after its tenant was deleted", id)
		default:
		}

		// B's and the platform's rows are as they were.
		if got := tenantRows(t, ts, tenantB); !reflect.DeepEqual(got, bRows) {
			t.Errorf("B's rows changed: %v, were %v", got, bRows)
		}
		if got := tenantRows(t, ts, ""); !reflect.DeepEqual(got, platform) {
			t.Errorf("the platform's rows changed: %v, were %v", got, platform)
		}
		b.must(http.StatusOK, "GET", "/v1/webhooks/"+whB.ID, nil, nil)
		b.must(http.StatusOK, "GET", "/v1/agents/bot", nil, nil)
		admin.must(http.StatusOK, "GET", "/v1/webhooks/"+whPlat.ID, nil, nil)

		// A's key is gone with it (once the key cache has let it go); its
		// rows are missing for the platform.
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			st, _ := a.do("GET", "/v1/webhooks", nil)
			if st == http.StatusUnauthorized {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("A's key after the delete: %d, want 401", st)
			}
		}
		admin.refused(http.StatusNotFound, herald.ENOTFOUND, "GET", "/v1/webhooks/"+whA.ID, nil)
		admin.refused(http.StatusNotFound, herald.ENOTFOUND, "GET", "/v1/tenants/"+tenantA, nil)
		admin.refused(http.StatusNotFound, herald.ENOTFOUND, "DELETE", "/v1/tenants/"+tenantA, nil)

		// The id can be taken again, by a tenant that starts empty.
		var again herald.Tenant
		admin.must(http.StatusCreated, "PUT", "/v1/tenants/"+tenantA, map[string]any{}, nil)
		admin.must(http.StatusOK, "GET", "/v1/tenants/"+tenantA, nil, &again)
		if again.Counts == nil || again.Counts.Webhooks != 0 || again.Counts.Agents != 0 {
			t.Errorf("the new tenant A: %+v", again)
		}
	})
}

// zeroRows is tenantRows of a tenant without rows.
func zeroRows() map[string]int {
	out := map[string]int{}
	for _, table := range ownedTables {
		out[table] = 0
	}
	return out
}

// TestTenantExportImport exports a server with two tenants whose agents,
// deployments and inbound webhooks share names with each other's and the
// platform's, imports the dump into a fresh database of each engine, and
// checks that the new database exports the same dump and keeps each row
// with its tenant.
func TestTenantExportImport(t *testing.T) {
	src := startServer(t)
	a, b := src.tenantsAB()
	admin := src.as(src.key)
	seedTenant(a, tenantA)
	seedTenant(b, tenantB)
	admin.must(http.StatusAccepted, "POST", "/ingest/agent-status", map[string]any{"agent_id": "bot", "status": "stopped"}, nil)
	rc := newReceiver(t, statuses(200))
	whA := a.webhook(rc.URL, "agent.*")
	admin.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": rc.URL, "events": []string{"*"}, "all_tenants": true}, nil)
	ev, _ := a.publish(map[string]any{"type": "agent.started", "data": map[string]any{"agent_id": "bot"}})
	for range 2 {
		recv(t, src.attempts, "the deliveries of A's event")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	dump := runExport(t, "--data-dir", src.Config.DataDir)
	counts := countRecords(t, dump)
	if counts["tenant"] != 2 || !bytes.HasPrefix(dump, []byte(`{"tenant":{"id":"`+tenantA+`"`)) {
		t.Fatalf("the dump does not start with the 2 tenants: %v\n%.300s", counts, dump)
	}
	for _, want := range []string{`"tenant_id":"` + tenantA + `"`, `"tenant_id":"` + tenantB + `"`} {
		if !bytes.Contains(dump, []byte(want)) {
			t.Errorf("the dump has no %s", want)
		}
	}

	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		cfg := Config{DataDir: t.TempDir()}
		db(&cfg)
		args := []string{"--data-dir", cfg.DataDir}
		if cfg.Database != "" {
			args = []string{"--database", cfg.Database}
		}
		root := newRootCmd()
		root.SetIn(bytes.NewReader(dump))
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(append([]string{"import"}, args...))
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("import: %v", err)
		}
		if again := runExport(t, args...); !bytes.Equal(again, dump) {
			t.Fatalf("the imported database exports another dump: %s", firstDiff(again, dump))
		}
		dst := startServer(t, func(c *Config) { c.DataDir = cfg.DataDir; c.Database = cfg.Database })
		dst.key = src.key
		// A's key came along, confined to A's rows.
		da := dst.as(a.key)
		var hooks struct {
			Items []herald.Webhook `json:"items"`
		}
		da.must(http.StatusOK, "GET", "/v1/webhooks", nil, &hooks)
		if len(hooks.Items) != 1 || hooks.Items[0].ID != whA.ID || hooks.Items[0].TenantID != tenantA {
			t.Errorf("A's webhooks after the import: %+v", hooks.Items)
		}
		var e herald.Event
		da.must(http.StatusOK, "GET", "/v1/events/"+ev, nil, &e)
		if e.TenantID != tenantA || len(e.Deliveries) != 1 {
			t.Errorf("A's event after the import: %+v, %d deliveries", e, len(e.Deliveries))
		}
		// Each "bot" kept its tenant and its log lines.
		for _, tc := range []struct {
			c      *caller
			tenant herald.TenantID
			lines  int
		}{{da, tenantA, 1}, {dst.as(b.key), tenantB, 1}, {dst.as(src.key), "", 0}} {
			var agent herald.Agent
			tc.c.must(http.StatusOK, "GET", "/v1/agents/bot", nil, &agent)
			var logs struct {
				Items []herald.LogEntry `json:"items"`
			}
			tc.c.must(http.StatusOK, "GET", "/v1/agents/bot/logs", nil, &logs)
			if agent.TenantID != tc.tenant || len(logs.Items) != tc.lines {
				t.Errorf("bot of %q: %+v with %d log lines, want %d", tc.tenant, agent, len(logs.Items), tc.lines)
			}
		}
		var tn herald.Tenant
		dst.as(src.key).must(http.StatusOK, "GET", "/v1/tenants/"+tenantB, nil, &tn)
		if tn.Name != "Tenant "+tenantB || tn.Counts == nil || tn.Counts.Agents != 2 {
			t.Errorf("tenant B after the import: %+v", tn)
		}
	})
}

// TestTenantsCLIAgainstServer runs "herald tenants" and --tenant against a
// server.
func TestTenantsCLIAgainstServer(t *testing.T) {
	ts := startServer(t)
	rc := newReceiver(t, statuses(200))
	run := func(args ...string) string {
		t.Helper()
		out, err := ts.cli(args...)
		if err != nil {
			t.Fatalf("herald %v: %v\n%s", args, err, out)
		}
		return out
	}
	run("tenants", "create", tenantA, "--name", "Acme Corp", "--metadata", `{"plan": "pro"}`)
	run("tenants", "create", tenantB)
	if out, err := ts.cli("tenants", "create", tenantA); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("create of an existing tenant: %v\n%s", err, out)
	}
	key := decodeAs[herald.APIKey](t, run("keys", "create", "--name", "acme-admin", "--scope", "admin", "--tenant", tenantA, "-o", "json"))
	if key.TenantID != tenantA || key.Key == "" {
		t.Fatalf("A's key: %+v", key)
	}
	wh := decodeAs[herald.Webhook](t, run("--tenant", tenantA, "webhooks", "create", "--url", rc.URL, "--events", "agent.*", "-o", "json"))
	if wh.TenantID != tenantA {
		t.Fatalf("webhook created with --tenant: %+v", wh)
	}
	run("webhooks", "create", "--url", rc.URL, "--events", "agent.*", "--all-tenants")

	// The platform's key lists both webhooks, with their tenants; A's
	// view has A's alone, without the column.
	if out := run("webhooks", "list"); !strings.HasPrefix(out, "TENANT") || !strings.Contains(out, tenantA) || !strings.Contains(out, "(all tenants)") {
		t.Errorf("webhooks list:\n%s", out)
	}
	for _, args := range [][]string{{"--tenant", tenantA, "webhooks", "list"}, {"--api-key", key.Key, "webhooks", "list"}} {
		out := run(args...)
		if strings.HasPrefix(out, "TENANT") || !strings.Contains(out, wh.ID) || strings.Count(out, "\n") != 2 {
			t.Errorf("%v:\n%s", args, out)
		}
	}
	out := run("--api-key", key.Key, "events", "send", "agent.started", "--data", `{"agent_id": "a1"}`)
	if !strings.Contains(out, "to 2 webhooks") {
		t.Errorf("A's event: %s", out)
	}
	if out, err := ts.cli("--api-key", key.Key, "--tenant", tenantB, "webhooks", "list"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("A's key with --tenant %s: %v\n%s", tenantB, err, out)
	}

	out = run("tenants", "get", tenantA)
	for _, want := range []string{"Name:      Acme Corp", `Metadata:  {"plan":"pro"}`, "Webhooks:  1", "Agents:    0"} {
		if !strings.Contains(out, want) {
			t.Errorf("tenants get has no %q:\n%s", want, out)
		}
	}
	run("tenants", "update", tenantA, "--name", "Acme Inc.")
	tn := decodeAs[herald.Tenant](t, run("tenants", "get", tenantA, "-o", "json"))
	if tn.Name != "Acme Inc." || compactJSON(tn.Metadata) != `{"plan":"pro"}` {
		t.Errorf("after update: %+v", tn)
	}
	if out := run("tenants", "list"); !strings.Contains(out, "Acme Inc.") || !strings.Contains(out, tenantB) {
		t.Errorf("tenants list:\n%s", out)
	}
	run("tenants", "delete", tenantA)
	if _, err := ts.cli("tenants", "get", tenantA); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("get after delete: %v", err)
	}
}
