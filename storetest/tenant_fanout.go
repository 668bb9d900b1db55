package storetest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// putTenants stores tenants A and B.
func putTenants(t *testing.T, s herald.Store) {
	t.Helper()
	for _, id := range []string{tenantA, tenantB} {
		if _, err := s.PutTenant(context.Background(), &herald.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
}

// reached maps the webhooks deliveries went to to the deliveries' tenants.
func reached(ds []*herald.Delivery) map[string]herald.TenantID {
	out := map[string]herald.TenantID{}
	for _, d := range ds {
		out[d.WebhookID] = d.TenantID
	}
	return out
}

func testTenantFanOut(t *testing.T, s herald.Store) {
	ctx := context.Background()
	putTenants(t, s)
	tenantHook := func(tenant string, mutate ...func(*herald.Webhook)) *herald.Webhook {
		return NewWebhook(t, s, []string{"*"}, append([]func(*herald.Webhook){func(w *herald.Webhook) {
			w.TenantID = herald.TenantID(tenant)
		}}, mutate...)...)
	}
	aHook := tenantHook(tenantA)
	aAgent := NewWebhook(t, s, []string{"agent.*"}, func(w *herald.Webhook) { w.TenantID, w.AgentID = tenantA, "a1" })
	// all_tenants makes a firehose of the platform's webhooks only.
	aAll := tenantHook(tenantA, func(w *herald.Webhook) { w.AllTenants = true })
	bHook := tenantHook(tenantB)
	plain := tenantHook("")
	firehose := tenantHook("", func(w *herald.Webhook) { w.AllTenants = true })
	tenantHook("", func(w *herald.Webhook) { w.AllTenants, w.IsActive = true, false })
	deployHose := NewWebhook(t, s, []string{"deployment.*"}, func(w *herald.Webhook) { w.AllTenants = true })

	data := json.RawMessage(`{"agent_id":"a1","new_status":"running"}`)
	cases := []struct {
		tenant string
		want   map[string]herald.TenantID // webhook -> the delivery's tenant
	}{
		{tenantA, map[string]herald.TenantID{aHook.ID: tenantA, aAgent.ID: tenantA, aAll.ID: tenantA, firehose.ID: ""}},
		{tenantB, map[string]herald.TenantID{bHook.ID: tenantB, firehose.ID: ""}},
		{"", map[string]herald.TenantID{plain.ID: "", firehose.ID: ""}},
	}
	events := map[string]*herald.PublishResult{}
	for _, c := range cases {
		before, _ := s.QueueDepth(ctx)
		res := publish(t, s, herald.PublishParams{TenantID: c.tenant, Type: "agent.status", Data: data})
		events[c.tenant] = res
		if got := reached(res.Deliveries); !maps.Equal(got, c.want) || string(res.Event.TenantID) != c.tenant {
			t.Errorf("event of %s (%s) went to %v, want %v", label(c.tenant), label(string(res.Event.TenantID)), got, c.want)
		}
		if after, err := s.QueueDepth(ctx); err != nil || after-before != len(c.want) {
			t.Errorf("event of %s queued %d jobs (%v), want %d", label(c.tenant), after-before, err, len(c.want))
		}
	}

	// A's event and its deliveries, as each Tenancy reads them.
	evA := events[tenantA].Event
	var hoseA *herald.Delivery
	for _, d := range events[tenantA].Deliveries {
		if d.WebhookID == firehose.ID {
			hoseA = d
		}
	}
	for _, c := range []struct {
		v     herald.Tenancy
		hooks []string // nil: not found
	}{
		{only(tenantA), []string{aHook.ID, aAgent.ID, aAll.ID}},
		{only(tenantB), nil},
		{herald.Platform(), nil},
		{herald.AnyTenant(), []string{aHook.ID, aAgent.ID, aAll.ID, firehose.ID}},
		{herald.Tenancy{}, nil},
	} {
		ev, err := s.Event(ctx, herald.Ref{Tenancy: c.v, ID: evA.ID})
		if c.hooks == nil {
			wantCode(t, "A's event read by "+c.v.String(), err, herald.ENOTFOUND)
			continue
		}
		if err != nil || ev.TenantID != tenantA {
			t.Fatalf("A's event read by %s: %+v %v", c.v, ev, err)
		}
		if got := slices.Collect(maps.Keys(reached(ev.Deliveries))); !sameSet(got, c.hooks) {
			t.Errorf("A's event read by %s has deliveries to %v, want %v", c.v, got, c.hooks)
		}
	}
	// The firehose's delivery of A's event is the platform's, about A's
	// event.
	for _, v := range viewers {
		task, err := s.DeliveryTask(ctx, herald.Ref{Tenancy: v, ID: hoseA.ID})
		if !v.Allows("") {
			wantCode(t, "the firehose's task read by "+v.String(), err, herald.ENOTFOUND)
		} else if err != nil || task.Delivery.TenantID != "" || task.Event.TenantID != tenantA || task.Event.ID != evA.ID ||
			task.Webhook.ID != firehose.ID || !task.Webhook.AllTenants || string(task.Event.Data) != string(data) {
			t.Errorf("the firehose's task read by %s: %+v %v", v, task, err)
		}
	}
	for v, want := range map[herald.Tenancy]int{only(tenantA): 0, only(tenantB): 0, herald.Platform(): 3, herald.AnyTenant(): 3} {
		if _, total, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: v, WebhookID: firehose.ID}); err != nil || total != want {
			t.Errorf("the firehose's deliveries within %s: %d (%v), want %d", v, total, err, want)
		}
	}
	// A webhook gets only events of types it wants, of every tenant for
	// the platform's all_tenants ones.
	res := publish(t, s, herald.PublishParams{TenantID: tenantB, Type: "deployment.created"})
	if got := reached(res.Deliveries); !maps.Equal(got, map[string]herald.TenantID{bHook.ID: tenantB, firehose.ID: "", deployHose.ID: ""}) {
		t.Errorf("B's deployment event went to %v", got)
	}

	// A test send goes to a webhook the event's tenant reaches.
	for _, c := range []struct {
		tenant, webhook string
		want            herald.TenantID // the delivery's tenant; "-": not found
	}{
		{tenantA, aHook.ID, tenantA},
		{tenantA, firehose.ID, ""},
		{tenantA, bHook.ID, "-"},
		{tenantA, plain.ID, "-"},
		{"", aHook.ID, "-"},
		{"", plain.ID, ""},
		{tenantB, aAll.ID, "-"},
	} {
		res, err := s.PublishEvent(ctx, herald.PublishParams{TenantID: c.tenant, Type: "webhook.test", WebhookID: c.webhook,
			Data: json.RawMessage(`{}`)})
		if c.want == "-" {
			wantCode(t, "test event of "+label(c.tenant)+" to "+c.webhook, err, herald.ENOTFOUND)
		} else if err != nil || len(res.Deliveries) != 1 || res.Deliveries[0].WebhookID != c.webhook || res.Deliveries[0].TenantID != c.want {
			t.Errorf("test event of %s to %s: %+v %v", label(c.tenant), c.webhook, res, err)
		}
	}
}

// checkReached fails unless every event is the tenant's, and went to
// hooks alone (read with AnyTenant).
func checkReached(t *testing.T, s herald.Store, what string, evs []*herald.Event, tenant string, hooks ...string) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatalf("%s published nothing", what)
	}
	for _, e := range evs {
		ev, err := s.Event(context.Background(), herald.Ref{Tenancy: only(tenant), ID: e.ID})
		if err != nil || string(e.TenantID) != tenant {
			t.Fatalf("%s: %s event %s of %s (%v), want %s's", what, e.Type, e.ID, label(string(e.TenantID)), err, label(tenant))
		}
		full, err := s.Event(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: e.ID})
		if err != nil || full.TenantID != ev.TenantID {
			t.Fatalf("%s: %s event read by any tenant: %+v %v", what, e.Type, full, err)
		}
		if got := slices.Collect(maps.Keys(reached(full.Deliveries))); !sameSet(got, hooks) {
			t.Errorf("%s: %s event went to %v, want %v", what, e.Type, got, hooks)
		}
	}
}

// testTenantReportEvents checks that the events that reports, alert
// evaluations, invocations and the heartbeat monitor publish are the
// tenant's of their row, and reach its webhooks and the firehose alone.
func testTenantReportEvents(t *testing.T, s herald.Store) {
	ctx := context.Background()
	putTenants(t, s)
	hooks := map[string]*herald.Webhook{}
	for _, o := range owners {
		hooks[o] = NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = herald.TenantID(o) })
	}
	firehose := NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.AllTenants = true })
	for _, o := range owners {
		tid := herald.TenantID(o)
		reach := []string{hooks[o].ID, firehose.ID}
		what := func(s string) string { return s + " of " + label(o) }
		t0 := tenantT0.Add(time.Duration(len(o)) * time.Minute)

		res := reportStatus(t, s, herald.AgentReport{TenantID: tid, AgentID: "a1", Status: "running", Now: t0})
		checkReached(t, s, what("status report"), res.Events, o, reach...)
		if res.Agent.TenantID != tid {
			t.Errorf("%s registered an agent of %s", what("status report"), label(string(res.Agent.TenantID)))
		}
		m, err := s.ReportMetrics(ctx, &herald.MetricsReport{TenantID: tid, AgentID: "m1", Metrics: map[string]float64{"cpu": 1}, Now: t0})
		if err != nil || m.Agent.TenantID != tid {
			t.Fatalf("%s: %+v %v", what("metrics report"), m, err)
		}
		checkReached(t, s, what("metrics report"), m.Events, o, reach...)
		dep := reportDeployment(t, s, herald.DeploymentReport{TenantID: tid, DeploymentID: "d1", AgentID: "d-agent", Status: "created", Now: t0})
		if dep.Deployment.TenantID != tid || dep.Agent.TenantID != tid {
			t.Errorf("%s: deployment of %s, agent of %s", what("deployment report"), label(string(dep.Deployment.TenantID)),
				label(string(dep.Agent.TenantID)))
		}
		checkReached(t, s, what("deployment report"), dep.Events, o, reach...)
		if a, err := s.Agent(ctx, herald.Ref{Tenancy: only(o), ID: "d-agent"}); err != nil || a.Status != "deploying" {
			t.Errorf("%s: the deployed agent %+v %v", what("deployment report"), a, err)
		}

		rule := herald.NewAlertDefaults()
		rule.TenantID, rule.Metric = tid, "cpu"
		if err := s.CreateAlert(ctx, rule); err != nil {
			t.Fatal(err)
		}
		st, err := s.SetAlertState(ctx, herald.AlertStateParams{AlertID: rule.ID, Value: ref(2.0), Triggered: true, Now: t0})
		if err != nil || st.Event == nil {
			t.Fatalf("%s: %+v %v", what("alert"), st, err)
		}
		checkReached(t, s, what("alert"), []*herald.Event{st.Event}, o, reach...)

		inv := newInvocation("a1", herald.InvocationQueued, t0)
		inv.TenantID = tid
		if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv, Events: []herald.EventSpec{
			{Type: "agent.invoked", Data: map[string]any{"agent_id": "a1", "invocation_id": inv.ID}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartInvocation(ctx, inv.ID, t0); err != nil {
			t.Fatal(err)
		}
		done, err := s.FinishInvocation(ctx, herald.InvocationOutcome{ID: inv.ID, Status: herald.InvocationCompleted, Now: t0,
			Response: &herald.InvocationResponse{Response: "ok"},
			Events:   []herald.EventSpec{{Type: "agent.response", Data: map[string]any{"agent_id": "a1", "invocation_id": inv.ID}}}})
		if err != nil || done.TenantID != tid {
			t.Fatalf("%s: %+v %v", what("finished invocation"), done, err)
		}
		for _, typ := range []string{"agent.invoked", "agent.response"} {
			evs, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: only(o), Type: typ})
			if err != nil || len(evs) != 1 {
				t.Fatalf("%s: %d %s events (%v)", what("invocation"), len(evs), typ, err)
			}
			checkReached(t, s, what("invocation"), evs, o, reach...)
		}
	}
	// The heartbeat monitor marks every tenant's silent agents, each
	// agent's event its tenant's.
	marked, err := s.MarkUnresponsive(ctx, herald.UnresponsiveParams{Before: tenantT0.Add(time.Hour), Now: tenantT0.Add(time.Hour)})
	if err != nil || len(marked) != 3 {
		t.Fatalf("marked %d agents (%v), want a1 of each owner", len(marked), err)
	}
	for _, res := range marked {
		o := string(res.Agent.TenantID)
		if res.Agent.ID != "a1" || res.Agent.Status != herald.AgentUnresponsive {
			t.Errorf("marked %+v", res.Agent)
		}
		checkReached(t, s, "unresponsive agent of "+label(o), res.Events, o, hooks[o].ID, firehose.ID)
		if a, err := s.Agent(ctx, herald.Ref{Tenancy: only(o), ID: "a1"}); err != nil || a.Status != herald.AgentUnresponsive {
			t.Errorf("a1 of %s after marking: %+v %v", label(o), a, err)
		}
	}
}
