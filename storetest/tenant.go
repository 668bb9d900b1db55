package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// tenantTests check tenants: confinement of every read, list, update and
// delete by Tenancy, names unique per tenant, fan-out by tenant with the
// platform's all_tenants webhooks, the tenant check of creates,
// DeleteTenant, alert values per tenant, and export and import.
var tenantTests = map[string]func(t *testing.T, s herald.Store){
	"TenantCRUD":              testTenantCRUD,
	"TenantConfinedReads":     testTenantConfinedReads,
	"TenantConfinedLists":     testTenantConfinedLists,
	"TenantConfinedWrites":    testTenantConfinedWrites,
	"TenantConfinedInbound":   testTenantConfinedInbound,
	"TenantUniqueNames":       testTenantUniqueNames,
	"TenantFanOut":            testTenantFanOut,
	"TenantReportEvents":      testTenantReportEvents,
	"TenantUnknown":           testTenantUnknown,
	"TenantDelete":            testTenantDelete,
	"TenantDeleteAndRecreate": testTenantDeleteAndRecreate,
	"TenantAlertValue":        testTenantAlertValue,
}

// tenantStoresTests are tenant tests that need more than one store.
var tenantStoresTests = map[string]func(t *testing.T, open Open){
	"TenantExportImport": testTenantExportImport,
}

// The owners of the rows of the tenancy tests: two tenants and the
// platform ("").
const (
	tenantA = "acme"
	tenantB = "bravo"
)

var owners = []string{tenantA, tenantB, ""}

// tenantT0 is when the rows of the tenancy tests are reported.
var tenantT0 = time.Date(2025, 9, 1, 8, 0, 0, 250000000, time.UTC)

// label names an owner in test failures.
func label(owner string) string {
	if owner == "" {
		return "the platform"
	}
	return owner
}

// only is the Tenancy of one owner; only("") is the platform's.
func only(owner string) herald.Tenancy { return herald.OnlyTenant(owner) }

// viewers are the Tenancies a confinement test reads with: each owner's,
// every tenant, and the zero Tenancy, which reaches nothing.
var viewers = []herald.Tenancy{only(tenantA), only(tenantB), herald.Platform(), herald.AnyTenant(), {}}

// ownerRows are the rows the world gives one owner, each of which the
// owners hold under the same names: webhook ("hook"), API key, agent
// "default" with two log lines, a metric point and deployment "dep-1",
// alert rule, inbound webhook "github" with a logged request, a queued
// invocation, and event "evt_same" with its deliveries, one of which has
// a failed attempt.
type ownerRows struct {
	tenant  string
	hook    *herald.Webhook
	key     *herald.APIKey
	alert   *herald.AlertRule
	inbound *herald.InboundWebhook
	request *herald.InboundRequest
	inv     *herald.Invocation
	same    *herald.PublishResult
	// own is evt_same's delivery to hook; firehose its delivery to the
	// platform's all_tenants webhook.
	own, firehose *herald.Delivery
}

// world is a store holding the rows of tenants A and B and of the
// platform, and the platform's all_tenants webhook, which gets every
// event: a firehose.
type world struct {
	by       map[string]*ownerRows
	firehose *herald.Webhook
}

// cpuOf is the cpu value each owner's agent reports.
var cpuOf = map[string]float64{tenantA: 10, tenantB: 100, "": 1000}

// newWorld stores the rows of tenants A and B and of the platform.
func newWorld(t *testing.T, s herald.Store) *world {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{tenantA, tenantB} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id, Name: "Tenant " + id}); err != nil {
			t.Fatalf("put tenant %s: %v", id, err)
		}
	}
	w := &world{by: map[string]*ownerRows{}}
	w.firehose = NewWebhook(t, s, []string{"*"}, func(h *herald.Webhook) { h.Name, h.AllTenants = "firehose", true })
	for _, o := range owners {
		r := &ownerRows{tenant: o}
		w.by[o] = r
		tid := herald.TenantID(o)
		r.hook = NewWebhook(t, s, []string{"*"}, func(h *herald.Webhook) { h.TenantID, h.Name = tid, "hook of "+label(o) })
		r.key = herald.NewAPIKey("key of "+label(o), herald.ScopeAdmin, tenantT0)
		r.key.TenantID = tid
		if err := s.CreateAPIKey(ctx, r.key); err != nil {
			t.Fatalf("create key of %s: %v", label(o), err)
		}
		reportStatus(t, s, herald.AgentReport{TenantID: tid, AgentID: "default", Status: herald.AgentRunning, Now: tenantT0,
			Logs: []herald.LogEntry{{Message: "log of " + label(o)}, {Message: "again"}}})
		if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{TenantID: tid, AgentID: "default",
			Metrics: map[string]float64{"cpu": cpuOf[o]}, Now: tenantT0}); err != nil {
			t.Fatalf("metrics of %s: %v", label(o), err)
		}
		reportDeployment(t, s, herald.DeploymentReport{TenantID: tid, DeploymentID: "dep-1", AgentID: "default",
			Status: "completed", Version: "v-" + o, Now: tenantT0})
		r.alert = herald.NewAlertDefaults()
		r.alert.TenantID, r.alert.Name, r.alert.Metric = tid, "cpu of "+label(o), "cpu"
		if err := s.CreateAlert(ctx, r.alert); err != nil {
			t.Fatalf("create alert of %s: %v", label(o), err)
		}
		r.inbound = &herald.InboundWebhook{TenantID: tid, Name: "github", Agent: "default", Secret: "whsec_" + o,
			Description: "github of " + label(o), Enabled: true, Provider: herald.ProviderGeneric,
			ResponseMode: herald.ResponseAsync, CreatedAt: tenantT0, UpdatedAt: tenantT0}
		if err := s.CreateInboundWebhook(ctx, r.inbound); err != nil {
			t.Fatalf("create inbound webhook of %s: %v", label(o), err)
		}
		r.request = recordRequest(t, s, &herald.InboundRequest{TenantID: tid, Webhook: "github", At: tenantT0,
			Body: "request of " + label(o), Verdict: herald.VerdictAccepted, Status: 202})
		r.inv = newInvocation("default", herald.InvocationQueued, tenantT0)
		r.inv.TenantID, r.inv.Message = tid, "message of "+label(o)
		if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: r.inv, Queue: true,
			Events: []herald.EventSpec{{Type: "agent.invoked", Data: map[string]any{"agent_id": "default", "invocation_id": r.inv.ID}}},
		}); err != nil {
			t.Fatalf("create invocation of %s: %v", label(o), err)
		}
		r.same = publish(t, s, herald.PublishParams{TenantID: o, ID: "evt_same", Type: "order.created",
			Data: json.RawMessage(fmt.Sprintf(`{"owner":%q}`, o))})
		for _, d := range r.same.Deliveries {
			switch d.WebhookID {
			case r.hook.ID:
				r.own = d
			case w.firehose.ID:
				r.firehose = d
			}
		}
		if r.own == nil || r.firehose == nil || len(r.same.Deliveries) != 2 {
			t.Fatalf("evt_same of %s went to %s, want its hook and the firehose", label(o), webhooksOf(r.same.Deliveries))
		}
		failAttempt(t, s, r.own, tenantT0)
	}
	// The firehose's delivery of A's event has an attempt: the platform's.
	failAttempt(t, s, w.by[tenantA].firehose, tenantT0)
	return w
}

// failAttempt records a failed attempt of d at at, leaving it pending.
func failAttempt(t *testing.T, s herald.Store, d *herald.Delivery, at time.Time) {
	t.Helper()
	code := 500
	if _, err := s.RecordAttempt(context.Background(), herald.AttemptResult{DeliveryID: d.ID, Status: herald.DeliveryPending,
		Attempt: &herald.Attempt{StartedAt: at, StatusCode: &code, Error: "endpoint answered 500"}}); err != nil {
		t.Fatalf("record attempt of %s: %v", d.ID, err)
	}
}

// webhooksOf lists the webhooks of deliveries, for test failures.
func webhooksOf(ds []*herald.Delivery) string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.WebhookID+" ("+label(string(d.TenantID))+")")
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

// rowKinds are the kinds of rows census counts: one per owned table.
var rowKinds = []string{"webhooks", "api_keys", "events", "deliveries", "attempts", "agents", "agent_logs",
	"metric_points", "deployments", "deployment_history", "alerts", "inbound_webhooks", "inbound_requests", "invocations"}

// census counts an owner's rows of every kind through the store's reads
// confined to it (and, for the request log, the export of every row).
func census(t *testing.T, s herald.Store, owner string) map[string]int {
	t.Helper()
	ctx := context.Background()
	in := only(owner)
	n := map[string]int{}
	fail := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("census of %s: %s: %v", label(owner), what, err)
		}
	}
	hooks, total, err := s.ListWebhooks(ctx, herald.WebhookFilter{Tenancy: in, Limit: herald.MaxLimit})
	fail("webhooks", err)
	n["webhooks"] = total
	for _, h := range hooks {
		if string(h.TenantID) != owner {
			t.Fatalf("census of %s: listed webhook %s of %s", label(owner), h.ID, label(string(h.TenantID)))
		}
	}
	keys, err := s.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: in})
	fail("api keys", err)
	n["api_keys"] = len(keys)
	_, n["events"], err = s.ListEvents(ctx, herald.EventFilter{Tenancy: in})
	fail("events", err)
	ds, total, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: in, Limit: herald.MaxLimit})
	fail("deliveries", err)
	n["deliveries"] = total
	for _, d := range ds {
		full, err := s.Delivery(ctx, herald.Ref{Tenancy: in, ID: d.ID})
		fail("delivery", err)
		n["attempts"] += len(full.AttemptList)
	}
	agents, total, err := s.ListAgents(ctx, herald.AgentFilter{Tenancy: in, Limit: herald.MaxLimit})
	fail("agents", err)
	n["agents"] = total
	for _, a := range agents {
		logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: in, AgentID: a.ID, Limit: herald.MaxLimit})
		fail("agent logs", err)
		points, err := s.AgentMetrics(ctx, herald.MetricFilter{Tenancy: in, AgentID: a.ID})
		fail("metric points", err)
		n["agent_logs"], n["metric_points"] = n["agent_logs"]+len(logs), n["metric_points"]+len(points)
	}
	deps, total, err := s.ListDeployments(ctx, herald.DeploymentFilter{Tenancy: in, Limit: herald.MaxLimit})
	fail("deployments", err)
	n["deployments"] = total
	for _, d := range deps {
		full, err := s.Deployment(ctx, herald.Ref{Tenancy: in, ID: d.ID})
		fail("deployment", err)
		n["deployment_history"] += len(full.History)
	}
	_, n["alerts"], err = s.ListAlerts(ctx, herald.AlertFilter{Tenancy: in})
	fail("alerts", err)
	inbound, err := s.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: in})
	fail("inbound webhooks", err)
	n["inbound_webhooks"] = len(inbound)
	_, n["invocations"], err = s.ListInvocations(ctx, herald.InvocationFilter{Tenancy: in})
	fail("invocations", err)
	err = s.ExportInbound(ctx, herald.InboundExportParams{Requests: func(reqs []*herald.InboundRequest) error {
		for _, r := range reqs {
			if string(r.TenantID) == owner {
				n["inbound_requests"]++
			}
		}
		return nil
	}})
	fail("inbound requests", err)
	return n
}

// sameCounts fails the test unless got and want count alike.
func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	for _, k := range rowKinds {
		if got[k] != want[k] {
			t.Errorf("%s: %d %s, want %d", what, got[k], k, want[k])
		}
	}
}

// wantCode fails the test unless err has the code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if herald.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func testTenantCRUD(t *testing.T, s herald.Store) {
	ctx := context.Background()
	a := &herald.Tenant{ID: "acme-1", Name: "Acme"}
	created, err := s.PutTenant(ctx, a)
	if err != nil || !created || a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) || string(a.Metadata) != "{}" {
		t.Fatalf("create: %v %+v %v", created, a, err)
	}
	got, err := s.Tenant(ctx, a.ID)
	if err != nil || got.Name != "Acme" || string(got.Metadata) != "{}" || !got.CreatedAt.Equal(a.CreatedAt) ||
		got.Counts == nil || *got.Counts != (herald.TenantCounts{}) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	time.Sleep(2 * time.Millisecond)
	upd := &herald.Tenant{ID: a.ID, Name: "Acme Corp", Metadata: json.RawMessage(`{"plan":"pro"}`)}
	created, err = s.PutTenant(ctx, upd)
	if err != nil || created || !upd.CreatedAt.Equal(a.CreatedAt) || !upd.UpdatedAt.After(a.UpdatedAt) {
		t.Fatalf("update: %v %+v %v", created, upd, err)
	}
	got, err = s.Tenant(ctx, a.ID)
	if err != nil || got.Name != "Acme Corp" || !jsonEqual(got.Metadata, `{"plan":"pro"}`) ||
		!got.CreatedAt.Equal(a.CreatedAt) || !got.UpdatedAt.Equal(upd.UpdatedAt) {
		t.Fatalf("updated read back: %+v %v", got, err)
	}
	for _, bad := range []*herald.Tenant{{ID: ""}, {ID: "-x"}, {ID: "a b"}, {ID: "ok", Metadata: json.RawMessage(`[1]`)}} {
		_, err := s.PutTenant(ctx, bad)
		wantCode(t, fmt.Sprintf("put %+v", bad), err, herald.EINVALID)
	}
	_, err = s.Tenant(ctx, "missing")
	wantCode(t, "missing tenant", err, herald.ENOTFOUND)
	wantCode(t, "delete missing tenant", s.DeleteTenant(ctx, "missing"), herald.ENOTFOUND)
	wantCode(t, "delete the platform", s.DeleteTenant(ctx, ""), herald.ENOTFOUND)

	// Counts: the tenant's own webhooks and agents.
	NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = herald.TenantID(a.ID) })
	NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = herald.TenantID(a.ID) })
	NewWebhook(t, s, []string{"*"})
	reportStatus(t, s, herald.AgentReport{TenantID: herald.TenantID(a.ID), AgentID: "default", Status: "running"})
	reportStatus(t, s, herald.AgentReport{AgentID: "default", Status: "running"})
	if got, err := s.Tenant(ctx, a.ID); err != nil || got.Counts == nil || *got.Counts != (herald.TenantCounts{Webhooks: 2, Agents: 1}) {
		t.Fatalf("counts: %+v %v", got, err)
	}

	// The list: by id, paged, with the total.
	for _, id := range []string{"zulu", "bravo", "m:1@x"} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(f herald.TenantFilter) ([]string, int) {
		t.Helper()
		list, total, err := s.ListTenants(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, x := range list {
			if x.Counts != nil {
				t.Fatalf("listed tenant %s with counts", x.ID)
			}
			out = append(out, x.ID)
		}
		return out, total
	}
	if got, total := ids(herald.TenantFilter{}); total != 4 || !slices.Equal(got, []string{"acme-1", "bravo", "m:1@x", "zulu"}) {
		t.Fatalf("list: %v of %d", got, total)
	}
	if got, total := ids(herald.TenantFilter{Skip: 1, Limit: 2}); total != 4 || !slices.Equal(got, []string{"bravo", "m:1@x"}) {
		t.Fatalf("page: %v of %d", got, total)
	}
	if err := s.DeleteTenant(ctx, "bravo"); err != nil {
		t.Fatal(err)
	}
	if got, total := ids(herald.TenantFilter{}); total != 3 || !slices.Equal(got, []string{"acme-1", "m:1@x", "zulu"}) {
		t.Fatalf("list after delete: %v of %d", got, total)
	}
}

// jsonEqual reports whether a JSON value equals want, whatever its
// spacing and key order.
func jsonEqual(got json.RawMessage, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
