package storetest

import (
	"context"
	"testing"

	"github.com/heraldhq/herald"
)

// checkRead fails unless a read of owner's row with Tenancy v found it,
// owned by owner, exactly when v allows owner, and was ENOTFOUND
// otherwise.
func checkRead(t *testing.T, what string, v herald.Tenancy, owner string, got herald.TenantID, err error) {
	t.Helper()
	if !v.Allows(owner) {
		if herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Errorf("%s of %s read by %s: %v (of %s), want not found", what, label(owner), v, err, label(string(got)))
		}
		return
	}
	if err != nil || string(got) != owner {
		t.Errorf("%s of %s read by %s: of %s, %v; want it", what, label(owner), v, label(string(got)), err)
	}
}

// owned turns a row's tenant getter into one of a read's result: the
// row's tenant, or "" when the read found none.
func owned[T any](of func(*T) herald.TenantID) func(*T, error) (herald.TenantID, error) {
	return func(row *T, err error) (herald.TenantID, error) {
		if row == nil {
			return "", err
		}
		return of(row), err
	}
}

// The tenants of the rows of reads.
var (
	webhookTenant    = owned(func(x *herald.Webhook) herald.TenantID { return x.TenantID })
	deliveryTenant   = owned(func(x *herald.Delivery) herald.TenantID { return x.TenantID })
	taskTenant       = owned(func(x *herald.DeliveryTask) herald.TenantID { return x.Delivery.TenantID })
	alertTenant      = owned(func(x *herald.AlertRule) herald.TenantID { return x.TenantID })
	invocationTenant = owned(func(x *herald.Invocation) herald.TenantID { return x.TenantID })
	eventTenant      = owned(func(x *herald.Event) herald.TenantID { return x.TenantID })
	agentTenant      = owned(func(x *herald.Agent) herald.TenantID { return x.TenantID })
	deploymentTenant = owned(func(x *herald.Deployment) herald.TenantID { return x.TenantID })
	inboundTenant    = owned(func(x *herald.InboundWebhook) herald.TenantID { return x.TenantID })
)

func testTenantConfinedReads(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	for _, v := range viewers {
		ref := func(id string) herald.Ref { return herald.Ref{Tenancy: v, ID: id} }
		for _, o := range owners {
			r := w.by[o]
			got, err := webhookTenant(s.Webhook(ctx, ref(r.hook.ID)))
			checkRead(t, "webhook", v, o, got, err)
			got, err = deliveryTenant(s.Delivery(ctx, ref(r.own.ID)))
			checkRead(t, "delivery", v, o, got, err)
			got, err = taskTenant(s.DeliveryTask(ctx, ref(r.own.ID)))
			checkRead(t, "delivery task", v, o, got, err)
			// The firehose's deliveries of every owner's events are the
			// platform's.
			got, err = deliveryTenant(s.Delivery(ctx, ref(r.firehose.ID)))
			checkRead(t, "firehose delivery of "+label(o)+"'s event", v, "", got, err)
			if task, err := s.DeliveryTask(ctx, ref(r.firehose.ID)); v.Allows("") {
				if err != nil || task.Delivery.TenantID != "" || string(task.Event.TenantID) != o || task.Webhook.ID != w.firehose.ID {
					t.Errorf("firehose task of %s's event read by %s: %+v %v", label(o), v, task, err)
				}
			} else {
				wantCode(t, "firehose task read by "+v.String(), err, herald.ENOTFOUND)
			}
			got, err = alertTenant(s.Alert(ctx, ref(r.alert.ID)))
			checkRead(t, "alert", v, o, got, err)
			got, err = invocationTenant(s.Invocation(ctx, ref(r.inv.ID)))
			checkRead(t, "invocation", v, o, got, err)
			invoked, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: only(o), Type: "agent.invoked"})
			if err != nil || len(invoked) != 1 {
				t.Fatalf("agent.invoked events of %s: %d %v", label(o), len(invoked), err)
			}
			ev, err := s.Event(ctx, ref(invoked[0].ID))
			got, err = eventTenant(ev, err)
			checkRead(t, "event", v, o, got, err)
			if err == nil {
				for _, d := range ev.Deliveries {
					if !v.Allows(string(d.TenantID)) {
						t.Errorf("event of %s read by %s lists a delivery of %s", label(o), v, label(string(d.TenantID)))
					}
				}
			}
		}

		// The names unique per tenant read the owner's row (AnyTenant: the
		// platform's), and nothing with the zero Tenancy.
		owner, ok := v.Owner()
		byName := func(what string, got herald.TenantID, err error) {
			t.Helper()
			if !ok {
				wantCode(t, what+" read by "+v.String(), err, herald.ENOTFOUND)
			} else if err != nil || string(got) != owner {
				t.Errorf("%s read by %s: of %s, %v; want %s's", what, v, label(string(got)), err, label(owner))
			}
		}
		got, err := agentTenant(s.Agent(ctx, ref("default")))
		byName("agent default", got, err)
		got, err = deploymentTenant(s.Deployment(ctx, ref("dep-1")))
		byName("deployment dep-1", got, err)
		got, err = inboundTenant(s.InboundWebhook(ctx, ref("github")))
		byName("inbound webhook github", got, err)
		logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: v, AgentID: "default"})
		if !ok {
			wantCode(t, "logs read by "+v.String(), err, herald.ENOTFOUND)
		} else if err != nil || len(logs) != 2 || logs[0].Message != "log of "+label(owner) {
			t.Errorf("logs of default read by %s: %+v %v, want %s's", v, logs, err, label(owner))
		}
		points, err := s.AgentMetrics(ctx, herald.MetricFilter{Tenancy: v, AgentID: "default"})
		if !ok {
			wantCode(t, "metrics read by "+v.String(), err, herald.ENOTFOUND)
		} else if err != nil || len(points) != 1 || points[0].Value != cpuOf[owner] {
			t.Errorf("metrics of default read by %s: %+v %v, want %s's", v, points, err, label(owner))
		}
		reqs, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: v, Webhook: "github"})
		if !ok {
			if err != nil || len(reqs) != 0 {
				t.Errorf("request log read by %s: %+v %v, want none", v, reqs, err)
			}
		} else if err != nil || len(reqs) != 1 || reqs[0].ID != w.by[owner].request.ID || string(reqs[0].TenantID) != owner {
			t.Errorf("request log of github read by %s: %+v %v, want %s's", v, reqs, err, label(owner))
		}

		// Event ids are unique per tenant: one tenant reads its own
		// evt_same, with its deliveries within the Tenancy; AnyTenant the
		// newest, the platform's.
		ev, err := s.Event(ctx, ref("evt_same"))
		want := w.by[owner]
		switch {
		case !ok:
			wantCode(t, "evt_same read by "+v.String(), err, herald.ENOTFOUND)
		case err != nil || string(ev.TenantID) != owner || ev.ID != "evt_same" || !jsonEqual(ev.Data, `{"owner":"`+owner+`"}`):
			t.Errorf("evt_same read by %s: %+v %v, want %s's", v, ev, err, label(owner))
		default:
			wantIDs := []string{want.own.ID, want.firehose.ID} // both the platform's
			if owner != "" {
				wantIDs = wantIDs[:1]
			}
			if gotIDs := deliveryIDs(ev.Deliveries); !sameSet(gotIDs, wantIDs) {
				t.Errorf("evt_same read by %s has deliveries %v, want %v", v, gotIDs, wantIDs)
			}
		}
	}

	// ExportAgentData reads the agent of its tenant.
	for _, o := range owners {
		lines, points := exportAgentOf(t, s, o, "default")
		if len(lines) != 2 || lines[0].Message != "log of "+label(o) || len(points) != 1 || points[0].Value != cpuOf[o] {
			t.Errorf("export of %s's default: %+v %+v", label(o), lines, points)
		}
	}
	err := s.ExportAgentData(ctx, herald.ExportParams{TenantID: "nobody", AgentID: "default",
		Logs: func([]herald.LogEntry) error { return nil }})
	wantCode(t, "export of another tenant's agent", err, herald.ENOTFOUND)
}

// exportAgentOf returns every log line and metric point of a tenant's
// agent that ExportAgentData reads.
func exportAgentOf(t *testing.T, s herald.Store, tenant, agentID string) ([]herald.LogEntry, []herald.MetricPoint) {
	t.Helper()
	var (
		lines  []herald.LogEntry
		points []herald.MetricPoint
	)
	err := s.ExportAgentData(context.Background(), herald.ExportParams{TenantID: tenant, AgentID: agentID,
		Logs:   func(l []herald.LogEntry) error { lines = append(lines, l...); return nil },
		Points: func(p []herald.MetricPoint) error { points = append(points, p...); return nil }})
	if err != nil {
		t.Fatalf("export agent %s of %s: %v", agentID, label(tenant), err)
	}
	return lines, points
}

func deliveryIDs(ds []*herald.Delivery) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[string]int{}
	for _, x := range a {
		n[x]++
	}
	for _, x := range b {
		n[x]--
	}
	for _, c := range n {
		if c != 0 {
			return false
		}
	}
	return true
}

// lister lists rows of one kind within a Tenancy, returning each row's
// tenant and the total.
type lister struct {
	what string
	list func(v herald.Tenancy) ([]herald.TenantID, int, error)
	// some is set when not every owner has rows in the list.
	some bool
}

// tenantsOf maps rows to their tenants.
func tenantsOf[T any](rows []T, of func(T) herald.TenantID) []herald.TenantID {
	out := make([]herald.TenantID, len(rows))
	for i, r := range rows {
		out[i] = of(r)
	}
	return out
}

func testTenantConfinedLists(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	page := func(v herald.Tenancy) herald.EventFilter {
		return herald.EventFilter{Tenancy: v, Limit: herald.MaxLimit}
	}
	listers := []lister{
		{what: "webhooks", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListWebhooks(ctx, herald.WebhookFilter{Tenancy: v, Limit: herald.MaxLimit})
			return tenantsOf(rows, func(x *herald.Webhook) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "events", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListEvents(ctx, page(v))
			return tenantsOf(rows, func(x *herald.Event) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "events of a type", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			f := page(v)
			f.Type = "order.created"
			rows, n, err := s.ListEvents(ctx, f)
			return tenantsOf(rows, func(x *herald.Event) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "events of an agent", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			f := page(v)
			f.AgentID = "default"
			rows, n, err := s.ListEvents(ctx, f)
			return tenantsOf(rows, func(x *herald.Event) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "deliveries", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: v, Limit: herald.MaxLimit})
			return tenantsOf(rows, func(x *herald.Delivery) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "deliveries of evt_same", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: v, EventID: "evt_same"})
			return tenantsOf(rows, func(x *herald.Delivery) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "deliveries of the firehose", some: true, list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: v, WebhookID: w.firehose.ID, Limit: herald.MaxLimit})
			return tenantsOf(rows, func(x *herald.Delivery) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "failed deliveries", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			no := false
			rows, n, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: v, Success: &no, Limit: herald.MaxLimit})
			return tenantsOf(rows, func(x *herald.Delivery) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "api keys", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, err := s.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: v})
			return tenantsOf(rows, func(x *herald.APIKey) herald.TenantID { return x.TenantID }), len(rows), err
		}},
		{what: "agents", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListAgents(ctx, herald.AgentFilter{Tenancy: v, Status: herald.AgentRunning})
			return tenantsOf(rows, func(x *herald.Agent) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "deployments", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListDeployments(ctx, herald.DeploymentFilter{Tenancy: v, AgentID: "default"})
			return tenantsOf(rows, func(x *herald.Deployment) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "alerts", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListAlerts(ctx, herald.AlertFilter{Tenancy: v})
			return tenantsOf(rows, func(x *herald.AlertRule) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "invocations", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, n, err := s.ListInvocations(ctx, herald.InvocationFilter{Tenancy: v, Agent: "default"})
			return tenantsOf(rows, func(x *herald.Invocation) herald.TenantID { return x.TenantID }), n, err
		}},
		{what: "inbound webhooks", list: func(v herald.Tenancy) ([]herald.TenantID, int, error) {
			rows, err := s.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: v})
			return tenantsOf(rows, func(x *herald.InboundWebhook) herald.TenantID { return x.TenantID }), len(rows), err
		}},
	}
	for _, l := range listers {
		all, total, err := l.list(herald.AnyTenant())
		if err != nil || total != len(all) {
			t.Fatalf("%s of every tenant: %d of %d, %v", l.what, len(all), total, err)
		}
		count := map[string]int{}
		for _, tenant := range all {
			count[string(tenant)]++
		}
		for _, o := range owners {
			if count[o] == 0 && !l.some {
				t.Fatalf("%s: %s has none in the world", l.what, label(o))
			}
		}
		for _, v := range viewers {
			want := 0
			for tenant, n := range count {
				if v.Allows(tenant) {
					want += n
				}
			}
			rows, total, err := l.list(v)
			if err != nil || total != want || len(rows) != want {
				t.Errorf("%s within %s: %d rows of %d (%v), want %d", l.what, v, len(rows), total, err, want)
			}
			for _, tenant := range rows {
				if !v.Allows(string(tenant)) {
					t.Errorf("%s within %s lists a row of %s", l.what, v, label(string(tenant)))
				}
			}
		}
	}

	// A page of one tenant's rows counts that tenant's alone.
	hooks, total, err := s.ListWebhooks(ctx, herald.WebhookFilter{Tenancy: herald.Platform(), Skip: 1, Limit: 1})
	if err != nil || total != 2 || len(hooks) != 1 || hooks[0].TenantID != "" {
		t.Fatalf("second page of the platform's webhooks: %+v of %d, %v", hooks, total, err)
	}
	// A filter naming another tenant's row finds nothing.
	ds, total, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: only(tenantA), WebhookID: w.by[tenantB].hook.ID})
	if err != nil || total != 0 || len(ds) != 0 {
		t.Fatalf("A's deliveries of B's webhook: %d of %d, %v", len(ds), total, err)
	}
}
