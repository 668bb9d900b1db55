package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func testTenantDelete(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	a, b := w.by[tenantA], w.by[tenantB]
	before := censusAll(t, s)
	for _, k := range rowKinds {
		if before[tenantA][k] == 0 {
			t.Fatalf("A has no %s to delete", k)
		}
	}
	if _, err := s.DeliveryTask(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: a.own.ID}); err != nil {
		t.Fatalf("A's queued delivery before the delete: %v", err)
	}
	depth, err := s.QueueDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteTenant(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	after := censusAll(t, s)
	sameCounts(t, "A after its delete", after[tenantA], map[string]int{})
	sameCounts(t, "B after A's delete", after[tenantB], before[tenantB])
	// The platform loses the firehose's deliveries of A's events (one per
	// event), with their attempts: their event is gone.
	want := map[string]int{}
	for k, n := range before[""] {
		want[k] = n
	}
	want["deliveries"] -= before[tenantA]["events"]
	want["attempts"]--
	sameCounts(t, "the platform after A's delete", after[""], want)

	_, err = s.Tenant(ctx, tenantA)
	wantCode(t, "A after its delete", err, herald.ENOTFOUND)
	if list, total, err := s.ListTenants(ctx, herald.TenantFilter{}); err != nil || total != 1 || list[0].ID != tenantB {
		t.Fatalf("tenants after A's delete: %+v %d %v", list, total, err)
	}
	wantCode(t, "delete A again", s.DeleteTenant(ctx, tenantA), herald.ENOTFOUND)

	// Jobs stay queued, and find nothing: A's deliveries (and the
	// firehose's of its events), invocations and replies.
	if n, err := s.QueueDepth(ctx); err != nil || n != depth {
		t.Fatalf("queue depth %d -> %d (%v), want the jobs left", depth, n, err)
	}
	for _, id := range []string{a.own.ID, a.firehose.ID} {
		_, err := s.DeliveryTask(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
		wantCode(t, "task of deleted delivery "+id, err, herald.ENOTFOUND)
		_, err = s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: id, Status: herald.DeliverySuccess,
			Attempt: &herald.Attempt{StartedAt: tenantT0, Success: true}})
		wantCode(t, "attempt of deleted delivery "+id, err, herald.ENOTFOUND)
	}
	_, err = s.StartInvocation(ctx, a.inv.ID, tenantT0)
	wantCode(t, "start of A's invocation", err, herald.ENOTFOUND)
	wantCode(t, "reply of A's invocation", s.RecordReply(ctx, herald.RecordReplyParams{InvocationID: a.inv.ID,
		Status: herald.ReplySent}), herald.ENOTFOUND)
	_, err = s.APIKeyByHash(ctx, a.key.Hash)
	wantCode(t, "A's key", err, herald.ENOTFOUND)
	_, err = s.Event(ctx, herald.Ref{Tenancy: only(tenantA), ID: "evt_same"})
	wantCode(t, "A's evt_same", err, herald.ENOTFOUND)
	if ev, err := s.Event(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: "evt_same"}); err != nil || ev.TenantID != "" {
		t.Fatalf("evt_same after A's delete: %+v %v", ev, err)
	}
	// B's and the platform's still work.
	for _, d := range []*herald.Delivery{b.own, b.firehose, w.by[""].own} {
		if task, err := s.DeliveryTask(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: d.ID}); err != nil || task.Delivery.ID != d.ID {
			t.Fatalf("task of %s: %+v %v", d.ID, task, err)
		}
	}
	if _, err := s.StartInvocation(ctx, b.inv.ID, tenantT0); err != nil {
		t.Fatalf("start of B's invocation: %v", err)
	}
	if k, err := s.APIKeyByHash(ctx, b.key.Hash); err != nil || k.TenantID != tenantB {
		t.Fatalf("B's key: %+v %v", k, err)
	}

	// No row of A is left where only the alert values, which count every
	// row of a tenant, would see it.
	for _, metric := range []string{herald.MetricWebhookFailures, herald.MetricDeliveriesPending, herald.MetricAgentUnresponsive, "cpu"} {
		r := herald.NewAlertDefaults()
		r.TenantID, r.Metric, r.Agg = tenantA, metric, "count"
		v := alertValue(t, s, r, tenantT0.Add(-time.Hour), tenantT0.Add(time.Hour))
		wantAlertValue(t, "A's "+metric+" after its delete", v, ref(0.0))
	}
	var left int
	err = s.ExportInbound(ctx, herald.InboundExportParams{
		Invocations: func(invs []*herald.Invocation) error {
			for _, inv := range invs {
				if inv.TenantID == tenantA {
					left++
				}
			}
			return nil
		},
		Requests: func(reqs []*herald.InboundRequest) error {
			for _, r := range reqs {
				if r.TenantID == tenantA {
					left++
				}
			}
			return nil
		}})
	if err != nil || left != 0 {
		t.Fatalf("export after A's delete: %d of A's invocations and requests left (%v)", left, err)
	}
}

// testTenantDeleteAndRecreate deletes tenant A and creates it again: it
// starts empty, and the names it used hold none of the old rows.
func testTenantDeleteAndRecreate(t *testing.T, s herald.Store) {
	ctx := context.Background()
	newWorld(t, s)
	if err := s.DeleteTenant(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	if created, err := s.PutTenant(ctx, &herald.Tenant{ID: tenantA}); err != nil || !created {
		t.Fatalf("put A again: %v %v", created, err)
	}
	sameCounts(t, "A created again", census(t, s, tenantA), map[string]int{})
	tid := herald.TenantID(tenantA)
	t1 := tenantT0.Add(time.Hour)
	reportStatus(t, s, herald.AgentReport{TenantID: tid, AgentID: "default", Status: "stopped", Now: t1,
		Logs: []herald.LogEntry{{Message: "new"}}})
	if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{TenantID: tid, AgentID: "default",
		Metrics: map[string]float64{"mem": 1}, Now: t1}); err != nil {
		t.Fatal(err)
	}
	res := reportDeployment(t, s, herald.DeploymentReport{TenantID: tid, DeploymentID: "dep-1", AgentID: "default",
		Status: "created", Now: t1})
	if !res.Deployment.CreatedAt.Equal(t1) {
		t.Errorf("dep-1 of A again: %+v, want a new deployment", res.Deployment)
	}
	ag, err := s.Agent(ctx, herald.Ref{Tenancy: only(tenantA), ID: "default"})
	if err != nil || !ag.CreatedAt.Equal(t1) || ag.LastMetrics["cpu"] != 0 {
		t.Errorf("default of A again: %+v %v, want a new agent", ag, err)
	}
	logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: only(tenantA), AgentID: "default"})
	if err != nil || len(logs) != 1 || logs[0].Message != "new" {
		t.Errorf("logs of A's default again: %+v %v", logs, err)
	}
	points, err := s.AgentMetrics(ctx, herald.MetricFilter{Tenancy: only(tenantA), AgentID: "default"})
	if err != nil || len(points) != 1 || points[0].Name != "mem" {
		t.Errorf("metrics of A's default again: %+v %v", points, err)
	}
	d, err := s.Deployment(ctx, herald.Ref{Tenancy: only(tenantA), ID: "dep-1"})
	if err != nil || len(d.History) != 1 || d.History[0].Status != "created" {
		t.Errorf("dep-1 of A again: %+v %v", d, err)
	}
	again := publish(t, s, herald.PublishParams{TenantID: tenantA, ID: "evt_same", Type: "order.created", Data: json.RawMessage(`{"n":2}`)})
	if !again.Created || string(again.Event.Data) != `{"n":2}` {
		t.Errorf("evt_same of A again: %+v, want a new event", again)
	}
	if err := s.CreateInboundWebhook(ctx, &herald.InboundWebhook{TenantID: tid, Name: "github", Agent: "default",
		Provider: herald.ProviderGitHub, ResponseMode: herald.ResponseSync}); err != nil {
		t.Fatalf("github of A again: %v", err)
	}
	if reqs, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: only(tenantA), Webhook: "github"}); err != nil || len(reqs) != 0 {
		t.Errorf("request log of A's github again: %+v %v", reqs, err)
	}
}

// testTenantAlertValue checks that a rule's value counts the rows of its
// tenant alone, whatever webhook or agent it names.
func testTenantAlertValue(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	a, b, p := w.by[tenantA], w.by[tenantB], w.by[""]
	t1 := tenantT0.Add(time.Hour)
	since, until := t1.Add(-time.Minute), t1.Add(time.Minute)
	for d, n := range map[*herald.Delivery]int{a.own: 2, b.own: 3, p.own: 4, a.firehose: 1} {
		for i := range n {
			failAttempt(t, s, d, t1.Add(-time.Duration(i+1)*time.Second))
		}
	}
	ok := 200
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: a.own.ID, Status: herald.DeliverySuccess,
		Attempt: &herald.Attempt{StartedAt: t1, StatusCode: &ok, Success: true}}); err != nil {
		t.Fatal(err)
	}
	// A gets a second agent; B's default stops; then every running agent
	// is marked unresponsive.
	reportStatus(t, s, herald.AgentReport{TenantID: tenantA, AgentID: "worker", Status: "running", Now: tenantT0})
	if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{TenantID: tenantA, AgentID: "worker",
		Metrics: map[string]float64{"cpu": 20}, Now: tenantT0}); err != nil {
		t.Fatal(err)
	}
	reportStatus(t, s, herald.AgentReport{TenantID: tenantB, AgentID: "default", Status: "stopped", Now: tenantT0})
	if _, err := s.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: t1, Now: t1}); err != nil {
		t.Fatal(err)
	}

	pending := func(o string) float64 {
		ds, _, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: only(o), Limit: herald.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		n := 0.0
		for _, d := range ds {
			if d.Status == herald.DeliveryPending {
				n++
			}
		}
		return n
	}
	rule := func(o, metric, agg, agent, webhook string) *herald.AlertRule {
		r := herald.NewAlertDefaults()
		r.TenantID, r.Metric, r.Agg, r.AgentID, r.WebhookID = herald.TenantID(o), metric, agg, agent, webhook
		return r
	}
	metricsSince, metricsUntil := tenantT0.Add(-time.Minute), tenantT0.Add(time.Minute)
	for _, c := range []struct {
		rule         *herald.AlertRule
		since, until time.Time
		want         *float64
	}{
		{rule(tenantA, herald.MetricWebhookFailures, "", "", ""), since, until, ref(2.0)},
		{rule(tenantB, herald.MetricWebhookFailures, "", "", ""), since, until, ref(3.0)},
		{rule("", herald.MetricWebhookFailures, "", "", ""), since, until, ref(5.0)},
		{rule(tenantA, herald.MetricWebhookFailures, "", "", b.hook.ID), since, until, ref(0.0)},
		{rule(tenantA, herald.MetricWebhookFailures, "", "", w.firehose.ID), since, until, ref(0.0)},
		{rule("", herald.MetricWebhookFailures, "", "", w.firehose.ID), since, until, ref(1.0)},
		{rule(tenantA, herald.MetricWebhookFailureRate, "", "", ""), since, until, ref(2.0 / 3)},
		{rule(tenantB, herald.MetricWebhookFailureRate, "", "", ""), since, until, ref(1.0)},
		{rule(tenantA, herald.MetricDeliveriesPending, "", "", ""), since, until, ref(pending(tenantA))},
		{rule(tenantB, herald.MetricDeliveriesPending, "", "", ""), since, until, ref(pending(tenantB))},
		{rule("", herald.MetricDeliveriesPending, "", "", ""), since, until, ref(pending(""))},
		{rule(tenantA, herald.MetricDeliveriesPending, "", "", p.hook.ID), since, until, ref(0.0)},
		{rule(tenantA, herald.MetricAgentUnresponsive, "", "", ""), since, until, ref(2.0)},
		{rule(tenantB, herald.MetricAgentUnresponsive, "", "", ""), since, until, ref(0.0)},
		{rule("", herald.MetricAgentUnresponsive, "", "", ""), since, until, ref(1.0)},
		{rule(tenantB, herald.MetricAgentUnresponsive, "", "default", ""), since, until, ref(0.0)},
		{rule(tenantA, "cpu", "avg", "", ""), metricsSince, metricsUntil, ref(15.0)},
		{rule(tenantA, "cpu", "count", "", ""), metricsSince, metricsUntil, ref(2.0)},
		{rule(tenantA, "cpu", "avg", "default", ""), metricsSince, metricsUntil, ref(10.0)},
		{rule(tenantB, "cpu", "sum", "", ""), metricsSince, metricsUntil, ref(100.0)},
		{rule(tenantB, "cpu", "avg", "worker", ""), metricsSince, metricsUntil, nil},
		{rule("", "cpu", "max", "", ""), metricsSince, metricsUntil, ref(1000.0)},
	} {
		r := c.rule
		what := label(string(r.TenantID)) + "'s " + r.Metric + " " + r.Agg + " of agent " + r.AgentID + " webhook " + r.WebhookID
		wantAlertValue(t, what, alertValue(t, s, r, c.since, c.until), c.want)
	}
	if pending(tenantA) == 0 || pending(tenantB) == 0 || pending("") == 0 {
		t.Fatal("every owner should have pending deliveries")
	}
}
