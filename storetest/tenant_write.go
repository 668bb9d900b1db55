package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// censusAll counts the rows of every owner.
func censusAll(t *testing.T, s herald.Store) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{}
	for _, o := range owners {
		out[o] = census(t, s, o)
	}
	return out
}

func testTenantConfinedWrites(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	before := censusAll(t, s)
	depth, err := s.QueueDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Every write with a Tenancy that does not reach the row, or naming
	// another owner, finds nothing and changes nothing.
	for _, o := range owners {
		r := w.by[o]
		for _, v := range viewers {
			if v.Allows(o) {
				continue
			}
			ref := func(id string) herald.Ref { return herald.Ref{Tenancy: v, ID: id} }
			what := " of " + label(o) + " by " + v.String()
			wantCode(t, "delete webhook"+what, s.DeleteWebhook(ctx, ref(r.hook.ID)), herald.ENOTFOUND)
			_, err := s.RetryDelivery(ctx, herald.RetryParams{Tenancy: v, WebhookID: r.hook.ID, DeliveryID: r.own.ID})
			wantCode(t, "retry delivery"+what, err, herald.ENOTFOUND)
			wantCode(t, "revoke key"+what, s.RevokeAPIKey(ctx, ref(r.key.ID)), herald.ENOTFOUND)
			wantCode(t, "delete alert"+what, s.DeleteAlert(ctx, ref(r.alert.ID)), herald.ENOTFOUND)
		}
		for _, other := range owners {
			if other == o {
				continue
			}
			what := " of " + label(o) + " as " + label(other) + "'s"
			hook := *r.hook
			hook.TenantID, hook.URL = herald.TenantID(other), "https://elsewhere.example.com/"
			wantCode(t, "update webhook"+what, s.UpdateWebhook(ctx, &hook), herald.ENOTFOUND)
			rule := *r.alert
			rule.TenantID, rule.Threshold = herald.TenantID(other), 99
			wantCode(t, "update alert"+what, s.UpdateAlert(ctx, &rule), herald.ENOTFOUND)
		}
	}
	sameCountsAll(t, "after writes out of reach", censusAll(t, s), before)
	if after, err := s.QueueDepth(ctx); err != nil || after != depth {
		t.Fatalf("queue depth %d -> %d (%v): a retry out of reach queued a job", depth, after, err)
	}
	for _, o := range owners {
		r := w.by[o]
		if h, err := s.Webhook(ctx, herald.Ref{Tenancy: only(o), ID: r.hook.ID}); err != nil || h.URL != r.hook.URL {
			t.Errorf("webhook of %s after updates out of reach: %+v %v", label(o), h, err)
		}
		if k, err := s.APIKeyByHash(ctx, r.key.Hash); err != nil || string(k.TenantID) != o || k.RevokedAt != nil {
			t.Errorf("key of %s by its hash: %+v %v", label(o), k, err)
		}
		if a, err := s.Alert(ctx, herald.Ref{Tenancy: only(o), ID: r.alert.ID}); err != nil || a.Threshold == 99 {
			t.Errorf("alert of %s after updates out of reach: %+v %v", label(o), a, err)
		}
	}

	// Each owner's writes change its rows alone, and keep their tenant.
	for _, o := range owners {
		r := w.by[o]
		in := only(o)
		hook := *r.hook
		hook.URL = "https://example.com/" + o
		if err := s.UpdateWebhook(ctx, &hook); err != nil {
			t.Fatalf("update webhook of %s: %v", label(o), err)
		}
		if h, err := s.Webhook(ctx, herald.Ref{Tenancy: in, ID: hook.ID}); err != nil || h.URL != hook.URL || string(h.TenantID) != o {
			t.Fatalf("webhook of %s updated: %+v %v", label(o), h, err)
		}
		rule := *r.alert
		rule.Threshold = 42
		if err := s.UpdateAlert(ctx, &rule); err != nil || string(rule.TenantID) != o || rule.Threshold != 42 {
			t.Fatalf("update alert of %s: %+v %v", label(o), rule, err)
		}
		if d, err := s.RetryDelivery(ctx, herald.RetryParams{Tenancy: in, WebhookID: r.hook.ID, DeliveryID: r.own.ID}); err != nil ||
			string(d.TenantID) != o {
			t.Fatalf("retry of %s: %+v %v", label(o), d, err)
		}
	}
	for i, o := range owners {
		r := w.by[o]
		in := only(o)
		if err := s.RevokeAPIKey(ctx, herald.Ref{Tenancy: in, ID: r.key.ID}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAlert(ctx, herald.Ref{Tenancy: in, ID: r.alert.ID}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, herald.Ref{Tenancy: in, ID: r.hook.ID}); err != nil {
			t.Fatal(err)
		}
		now := census(t, s, o)
		if now["webhooks"] != before[o]["webhooks"]-1 || now["alerts"] != before[o]["alerts"]-1 ||
			now["deliveries"] >= before[o]["deliveries"] {
			t.Fatalf("%s after deleting its webhook and alert: %v, before %v", label(o), now, before[o])
		}
		for j, other := range owners { // the keys of owners up to o are revoked
			_, err := s.APIKeyByHash(ctx, w.by[other].key.Hash)
			if revoked := herald.ErrorCode(err) == herald.ENOTFOUND; revoked != (j <= i) || !revoked && err != nil {
				t.Fatalf("key of %s after revoking %s's: %v", label(other), label(o), err)
			}
		}
	}

	// SaveAgent saves the agent of one tenant.
	for _, v := range []herald.Tenancy{herald.AnyTenant(), {}} {
		_, err := s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: v, ID: "default", Input: herald.AgentInput{Name: ref("x")}})
		if err == nil {
			t.Errorf("save agent with %s: no error", v)
		}
	}
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: only(tenantA), ID: "default", Input: herald.AgentInput{Name: ref("A's")}})
	_, err = s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: only(tenantB), ID: "default", Create: true})
	wantCode(t, "create B's default again", err, herald.ECONFLICT)
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: only(tenantB), ID: "b-only", Create: true})
	_, err = s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: only(tenantA), ID: "b-only", Input: herald.AgentInput{Name: ref("A's")}})
	wantCode(t, "update of B's agent as A's", err, herald.ENOTFOUND)
	for _, o := range owners {
		a, err := s.Agent(ctx, herald.Ref{Tenancy: only(o), ID: "default"})
		if wantName := map[bool]string{true: "A's", false: ""}[o == tenantA]; err != nil || a.Name != wantName {
			t.Errorf("default of %s: %+v %v, want name %q", label(o), a, err, wantName)
		}
	}
	if a, err := s.Agent(ctx, herald.Ref{Tenancy: only(tenantB), ID: "b-only"}); err != nil || a.TenantID != tenantB || a.Name != "" {
		t.Errorf("B's b-only: %+v %v", a, err)
	}
	_, err = s.Agent(ctx, herald.Ref{Tenancy: only(tenantA), ID: "b-only"})
	wantCode(t, "B's agent as A's", err, herald.ENOTFOUND)
}

// sameCountsAll compares the census of every owner.
func sameCountsAll(t *testing.T, what string, got, want map[string]map[string]int) {
	t.Helper()
	for _, o := range owners {
		sameCounts(t, what+": "+label(o), got[o], want[o])
	}
}

func testTenantConfinedInbound(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	read := func(o string) *herald.InboundWebhook {
		t.Helper()
		h, err := s.InboundWebhook(ctx, herald.Ref{Tenancy: only(o), ID: "github"})
		if err != nil {
			t.Fatalf("github of %s: %v", label(o), err)
		}
		return h
	}

	// An update names its tenant.
	upd := read(tenantA)
	upd.Description = "changed"
	if err := s.UpdateInboundWebhook(ctx, upd); err != nil {
		t.Fatal(err)
	}
	ghost := *upd
	ghost.TenantID = "ghost"
	wantCode(t, "update of ghost's github", s.UpdateInboundWebhook(ctx, &ghost), herald.ENOTFOUND)
	for _, o := range owners {
		want := w.by[o].inbound.Description
		if o == tenantA {
			want = "changed"
		}
		if got := read(o); got.Description != want || string(got.TenantID) != o {
			t.Errorf("github of %s: %+v, want description %q", label(o), got, want)
		}
	}

	// Touch: the owner's of the Tenancy (AnyTenant: the platform's).
	at := tenantT0.Add(time.Hour)
	wantCode(t, "touch with the zero Tenancy",
		s.TouchInboundWebhook(ctx, herald.TouchInboundParams{Name: "github", At: at}), herald.ENOTFOUND)
	if err := s.TouchInboundWebhook(ctx, herald.TouchInboundParams{Tenancy: only(tenantB), Name: "github", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchInboundWebhook(ctx, herald.TouchInboundParams{Tenancy: herald.AnyTenant(), Name: "github", At: at.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for o, want := range map[string]*time.Time{tenantA: nil, tenantB: &at, "": ref(at.Add(time.Second))} {
		got := read(o).LastTriggeredAt
		if (got == nil) != (want == nil) || got != nil && !got.Equal(*want) {
			t.Errorf("github of %s last triggered at %v, want %v", label(o), got, want)
		}
	}

	// Delete: the owner's, with its request log only.
	wantCode(t, "delete with the zero Tenancy", s.DeleteInboundWebhook(ctx, herald.Ref{ID: "github"}), herald.ENOTFOUND)
	if err := s.DeleteInboundWebhook(ctx, herald.Ref{Tenancy: only(tenantA), ID: "github"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "delete A's github again", s.DeleteInboundWebhook(ctx, herald.Ref{Tenancy: only(tenantA), ID: "github"}), herald.ENOTFOUND)
	if err := s.DeleteInboundWebhook(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: "github"}); err != nil {
		t.Fatal(err)
	}
	for o, kept := range map[string]bool{tenantA: false, tenantB: true, "": false} {
		_, err := s.InboundWebhook(ctx, herald.Ref{Tenancy: only(o), ID: "github"})
		reqs, lerr := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: only(o), Webhook: "github"})
		n := census(t, s, o)
		if kept != (err == nil) || lerr != nil || len(reqs) != map[bool]int{true: 1}[kept] ||
			n["inbound_webhooks"] != len(reqs) || n["inbound_requests"] != len(reqs) {
			t.Errorf("github of %s after deletes: %v, %d logged (%v), census %v; want it kept: %v", label(o), err, len(reqs), lerr, n, kept)
		}
	}
	reqs, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Webhook: "github"})
	if err != nil || len(reqs) != 0 {
		t.Fatalf("request log with the zero Tenancy: %+v %v", reqs, err)
	}
}

func testTenantUniqueNames(t *testing.T, s herald.Store) {
	ctx := context.Background()
	for _, id := range []string{tenantA, tenantB} {
		if _, err := s.PutTenant(ctx, &herald.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	firsts := map[string]*herald.PublishResult{}
	for _, o := range owners {
		tid := herald.TenantID(o)
		NewWebhook(t, s, []string{"*"}, func(w *herald.Webhook) { w.TenantID = tid })
		reportStatus(t, s, herald.AgentReport{TenantID: tid, AgentID: "default", Status: "running", NodeID: "node-" + o})
		saveAgent(t, s, herald.SaveAgentParams{Tenancy: only(o), ID: "bot", Create: true, Input: herald.AgentInput{Name: ref("bot of " + o)}})
		reportDeployment(t, s, herald.DeploymentReport{TenantID: tid, DeploymentID: "dep-1", AgentID: "default",
			Status: "created", Version: "v-" + o})
		if err := s.CreateInboundWebhook(ctx, &herald.InboundWebhook{TenantID: tid, Name: "github", Agent: "default",
			Provider: herald.ProviderGitHub, ResponseMode: herald.ResponseSync, Description: "of " + o}); err != nil {
			t.Fatalf("github of %s: %v", label(o), err)
		}
		firsts[o] = publish(t, s, herald.PublishParams{TenantID: o, ID: "evt_same", Type: "order.created",
			Data: json.RawMessage(`{"owner":"` + o + `"}`)})
		if !firsts[o].Created || string(firsts[o].Event.TenantID) != o || len(firsts[o].Deliveries) != 1 {
			t.Fatalf("evt_same of %s: %+v", label(o), firsts[o])
		}
	}
	for _, o := range owners {
		tid := herald.TenantID(o)
		in := only(o)
		// Names taken within the tenant.
		_, err := s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: in, ID: "bot", Create: true})
		wantCode(t, "bot of "+label(o)+" again", err, herald.ECONFLICT)
		err = s.CreateInboundWebhook(ctx, &herald.InboundWebhook{TenantID: tid, Name: "github", Agent: "default",
			Provider: herald.ProviderGeneric, ResponseMode: herald.ResponseSync})
		wantCode(t, "github of "+label(o)+" again", err, herald.ECONFLICT)
		again := publish(t, s, herald.PublishParams{TenantID: o, ID: "evt_same", Type: "order.created", Data: json.RawMessage(`{"x":1}`)})
		if again.Created || !jsonEqual(again.Event.Data, `{"owner":"`+o+`"}`) ||
			!sameSet(deliveryIDs(again.Deliveries), deliveryIDs(firsts[o].Deliveries)) {
			t.Errorf("evt_same of %s again: %+v, want the first", label(o), again)
		}
		// Each read finds the tenant's own.
		if a, err := s.Agent(ctx, herald.Ref{Tenancy: in, ID: "default"}); err != nil || a.NodeID != "node-"+o || a.TenantID != tid {
			t.Errorf("default of %s: %+v %v", label(o), a, err)
		}
		if a, err := s.Agent(ctx, herald.Ref{Tenancy: in, ID: "bot"}); err != nil || a.Name != "bot of "+o {
			t.Errorf("bot of %s: %+v %v", label(o), a, err)
		}
		if d, err := s.Deployment(ctx, herald.Ref{Tenancy: in, ID: "dep-1"}); err != nil || d.Version != "v-"+o || d.TenantID != tid ||
			len(d.History) != 1 {
			t.Errorf("dep-1 of %s: %+v %v", label(o), d, err)
		}
		if h, err := s.InboundWebhook(ctx, herald.Ref{Tenancy: in, ID: "github"}); err != nil || h.Description != "of "+o {
			t.Errorf("github of %s: %+v %v", label(o), h, err)
		}
		if ev, err := s.Event(ctx, herald.Ref{Tenancy: in, ID: "evt_same"}); err != nil || ev.TenantID != tid ||
			!jsonEqual(ev.Data, `{"owner":"`+o+`"}`) || len(ev.Deliveries) != 1 || ev.Deliveries[0].ID != firsts[o].Deliveries[0].ID {
			t.Errorf("evt_same of %s: %+v %v", label(o), ev, err)
		}
	}
	// Every tenant's, by tenant, then name.
	hooks, err := s.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: herald.AnyTenant()})
	if err != nil || len(hooks) != 3 {
		t.Fatalf("inbound webhooks: %+v %v", hooks, err)
	}
	for i, o := range []string{"", tenantA, tenantB} {
		if string(hooks[i].TenantID) != o || hooks[i].Name != "github" {
			t.Errorf("inbound webhook %d is %s's %s, want %s's github", i, label(string(hooks[i].TenantID)), hooks[i].Name, label(o))
		}
	}
	if _, total, err := s.ListAgents(ctx, herald.AgentFilter{Tenancy: herald.AnyTenant()}); err != nil || total != 6 {
		t.Fatalf("agents of every tenant: %d %v, want 6", total, err)
	}
	if _, total, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: herald.AnyTenant(), Type: "order.created"}); err != nil || total != 3 {
		t.Fatalf("evt_same of every tenant: %d %v, want 3", total, err)
	}
}

// testTenantUnknown creates rows for a tenant that does not exist: each is
// EINVALID naming tenant_id, and nothing is stored.
func testTenantUnknown(t *testing.T, s herald.Store) {
	ctx := context.Background()
	const ghost = "ghost"
	tid := herald.TenantID(ghost)
	NewWebhook(t, s, []string{"*"}) // a platform webhook, which no ghost's event reaches
	wantInvalid := func(what string, err error) {
		t.Helper()
		if herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "tenant_id") {
			t.Errorf("%s for an unknown tenant: %v, want invalid naming tenant_id", what, err)
		}
	}
	hook := herald.NewWebhookDefaults()
	hook.TenantID, hook.URL, hook.Events, hook.Secret = tid, "https://example.com", []string{"*"}, herald.GenerateSecret()
	wantInvalid("webhook", s.CreateWebhook(ctx, hook))
	_, err := s.PublishEvent(ctx, herald.PublishParams{TenantID: ghost, Type: "order.created", Data: json.RawMessage(`{}`)})
	wantInvalid("event", err)
	key := herald.NewAPIKey("k", herald.ScopeAdmin, tenantT0)
	key.TenantID = tid
	wantInvalid("api key", s.CreateAPIKey(ctx, key))
	_, err = s.ReportAgentStatus(ctx, &herald.AgentReport{TenantID: tid, AgentID: "a1", Status: "running"})
	wantInvalid("agent report", err)
	_, err = s.ReportDeployment(ctx, &herald.DeploymentReport{TenantID: tid, DeploymentID: "d1", AgentID: "a1", Status: "created"})
	wantInvalid("deployment report", err)
	_, err = s.ReportMetrics(ctx, &herald.MetricsReport{TenantID: tid, AgentID: "a1", Metrics: map[string]float64{"cpu": 1}})
	wantInvalid("metrics report", err)
	_, err = s.SaveAgent(ctx, herald.SaveAgentParams{Tenancy: only(ghost), ID: "a1", Create: true})
	wantInvalid("agent", err)
	rule := herald.NewAlertDefaults()
	rule.TenantID, rule.Metric = tid, "cpu"
	wantInvalid("alert", s.CreateAlert(ctx, rule))
	inv := newInvocation("a1", herald.InvocationQueued, tenantT0)
	inv.TenantID = tid
	wantInvalid("invocation", s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv, Queue: true,
		Events: []herald.EventSpec{{Type: "agent.invoked", Data: map[string]any{"agent_id": "a1"}}}}))
	wantInvalid("inbound webhook", s.CreateInboundWebhook(ctx, &herald.InboundWebhook{TenantID: tid, Name: "github",
		Agent: "a1", Provider: herald.ProviderGeneric, ResponseMode: herald.ResponseSync}))
	wantInvalid("inbound request", s.RecordInboundRequest(ctx, &herald.InboundRequest{TenantID: tid, Webhook: "github",
		Verdict: herald.VerdictAccepted, Status: 200}))
	_, err = s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{Webhook: hook}}})
	wantInvalid("imported webhook", err)

	for _, o := range []string{ghost, ""} {
		n := census(t, s, o)
		for _, k := range rowKinds {
			if want := map[bool]int{true: 1}[o == "" && k == "webhooks"]; n[k] != want {
				t.Errorf("%s of %s after creates for an unknown tenant: %d, want %d", k, label(o), n[k], want)
			}
		}
	}
	if depth, err := s.QueueDepth(ctx); err != nil || depth != 0 {
		t.Fatalf("queue depth %d (%v), want 0", depth, err)
	}
}
