package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// exportAll reads every record of every tenant from s, in the order of
// herald.Record, as "herald export" writes them.
func exportAll(t *testing.T, s herald.Store) []*herald.Record {
	t.Helper()
	ctx := context.Background()
	all := herald.AnyTenant()
	var out []*herald.Record
	fail := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("export %s: %v", what, err)
		}
	}
	tenants, _, err := s.ListTenants(ctx, herald.TenantFilter{Limit: herald.MaxLimit})
	fail("tenants", err)
	for _, x := range tenants {
		out = append(out, &herald.Record{Tenant: x})
	}
	types, err := s.ListEventTypes(ctx, herald.EventTypeFilter{})
	fail("event types", err)
	for _, et := range types {
		full, err := s.EventType(ctx, herald.EventTypeRef{Name: et.Name, Versions: true})
		fail("event type", err)
		out = append(out, &herald.Record{EventType: full})
	}
	hooks, _, err := s.ListWebhooks(ctx, herald.WebhookFilter{Tenancy: all, Limit: herald.MaxLimit})
	fail("webhooks", err)
	for _, h := range hooks {
		out = append(out, &herald.Record{Webhook: h})
		if len(h.PreviousSecrets) > 0 {
			out = append(out, &herald.Record{WebhookSecrets: &herald.ExportedWebhookSecrets{
				TenantID: h.TenantID, WebhookID: h.ID, Previous: h.PreviousSecrets}})
		}
	}
	keys, err := s.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: all})
	fail("api keys", err)
	for _, k := range keys {
		out = append(out, &herald.Record{APIKey: &herald.ExportedAPIKey{APIKey: *k, Hash: k.Hash}})
	}
	evs, _, err := s.ListEvents(ctx, herald.EventFilter{Tenancy: all, Limit: herald.MaxLimit})
	fail("events", err)
	slices.Reverse(evs)
	for _, e := range evs {
		out = append(out, &herald.Record{Event: e})
	}
	for _, h := range hooks {
		ds, _, err := s.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: all, WebhookID: h.ID, Limit: herald.MaxLimit})
		fail("deliveries", err)
		slices.Reverse(ds)
		for _, d := range ds {
			full, err := s.Delivery(ctx, herald.Ref{Tenancy: all, ID: d.ID})
			fail("delivery", err)
			task, err := s.DeliveryTask(ctx, herald.Ref{Tenancy: all, ID: d.ID})
			fail("delivery task", err)
			out = append(out, &herald.Record{Delivery: &herald.ExportedDelivery{Delivery: *full,
				WebhookName: task.WebhookName, EventTenantID: task.Event.TenantID}})
		}
	}
	agents, _, err := s.ListAgents(ctx, herald.AgentFilter{Tenancy: all, Limit: herald.MaxLimit})
	fail("agents", err)
	for _, a := range agents {
		out = append(out, &herald.Record{Agent: a})
		lines, points := exportAgentOf(t, s, string(a.TenantID), a.ID)
		if len(lines) > 0 {
			out = append(out, &herald.Record{AgentLogs: &herald.ExportedLogs{TenantID: a.TenantID, AgentID: a.ID, Lines: lines}})
		}
		if len(points) > 0 {
			out = append(out, &herald.Record{MetricPoints: &herald.ExportedPoints{TenantID: a.TenantID, AgentID: a.ID, Points: points}})
		}
	}
	deps, _, err := s.ListDeployments(ctx, herald.DeploymentFilter{Tenancy: all, Limit: herald.MaxLimit})
	fail("deployments", err)
	for _, d := range deps {
		full, err := s.Deployment(ctx, herald.Ref{Tenancy: only(string(d.TenantID)), ID: d.ID})
		fail("deployment", err)
		out = append(out, &herald.Record{Deployment: full})
	}
	rules, _, err := s.ListAlerts(ctx, herald.AlertFilter{Tenancy: all, Limit: herald.MaxLimit})
	fail("alerts", err)
	for _, r := range rules {
		out = append(out, &herald.Record{Alert: r})
	}
	inbound, err := s.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: all})
	fail("inbound webhooks", err)
	for _, h := range inbound {
		out = append(out, &herald.Record{InboundWebhook: h})
	}
	err = s.ExportInbound(ctx, herald.InboundExportParams{
		Invocations: func(invs []*herald.Invocation) error {
			for _, inv := range invs {
				out = append(out, &herald.Record{Invocation: herald.ExportInvocation(inv)})
			}
			return nil
		},
		Requests: func(reqs []*herald.InboundRequest) error {
			for _, r := range reqs {
				out = append(out, &herald.Record{InboundRequest: r})
			}
			return nil
		}})
	fail("inbound", err)
	return out
}

// testTenantExportImport exports a store holding tenants A and B and the
// platform's rows into a fresh one: every record keeps its tenant, the
// firehose's deliveries keep their events (evt_same of each owner), the
// event catalogue keeps its versions, a rotated webhook its previous
// secret, and a second import changes nothing. A record of a tenant the import has not
// stored is EINVALID.
func testTenantExportImport(t *testing.T, open Open) {
	ctx := context.Background()
	src := open(t)
	w := newWorld(t, src)
	if _, err := src.PutTenant(ctx, &herald.Tenant{ID: tenantA, Name: "Tenant " + tenantA, Retention: retention(7 * day)}); err != nil {
		t.Fatal(err)
	}
	for _, desc := range []string{"v1", "v2"} {
		if _, err := src.PutEventType(ctx, herald.PutEventTypeParams{Type: &herald.EventType{Name: "order.paid", Description: desc,
			Schema: json.RawMessage(`{"type":"object"}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.RotateWebhookSecret(ctx, herald.RotateSecretParams{Ref: herald.Ref{Tenancy: only(tenantA), ID: w.by[tenantA].hook.ID},
		Secret: herald.GenerateSecret(), Grace: day, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// As "herald export" writes them: the webhooks' previous secrets only
	// in their own records.
	records := viaJSON(t, exportAll(t, src))
	var secrets, types int
	for _, r := range records {
		if r.WebhookSecrets != nil && len(r.WebhookSecrets.Previous) == 1 {
			secrets++
		}
		if r.EventType != nil && len(r.EventType.Versions) == 2 {
			types++
		}
	}
	if secrets != 1 || types != 1 {
		t.Fatalf("export holds %d previous secrets and %d event types with 2 versions, want 1 and 1", secrets, types)
	}

	dst := open(t)
	res, err := dst.Import(ctx, herald.ImportParams{Records: records})
	if err != nil || res.Stored != len(records) || res.Present != 0 {
		t.Fatalf("import: %+v %v, want %d stored", res, err, len(records))
	}
	if res, err := dst.Import(ctx, herald.ImportParams{Records: records}); err != nil || res.Present != len(records) || res.Stored != 0 {
		t.Fatalf("import again: %+v %v, want %d present", res, err, len(records))
	}
	sameJSON(t, "export of the imported store", exportAll(t, dst), records)
	for _, o := range owners {
		sameCounts(t, "census of "+label(o)+" imported", census(t, dst, o), census(t, src, o))
		r := w.by[o]
		in := herald.Ref{Tenancy: only(o)}
		read := func(id string) herald.Ref { in.ID = id; return in }
		got, err := dst.Event(ctx, read("evt_same"))
		want, werr := src.Event(ctx, read("evt_same"))
		if err != nil || werr != nil || got.TenantID != herald.TenantID(o) {
			t.Fatalf("evt_same of %s imported: %+v %v %v", label(o), got, err, werr)
		}
		// The import stores deliveries webhook by webhook: their order
		// among the event's may change.
		for _, ev := range []*herald.Event{got, want} {
			slices.SortFunc(ev.Deliveries, func(x, y *herald.Delivery) int { return strings.Compare(x.ID, y.ID) })
		}
		sameJSON(t, "evt_same of "+label(o)+" imported", got, want)
		task, err := dst.DeliveryTask(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: r.firehose.ID})
		if err != nil || string(task.Event.TenantID) != o || !jsonEqual(task.Event.Data, `{"owner":"`+o+`"}`) {
			t.Errorf("the firehose's delivery of %s's evt_same imported: %+v %v", label(o), task, err)
		}
		if k, err := dst.APIKeyByHash(ctx, r.key.Hash); err != nil || string(k.TenantID) != o {
			t.Errorf("key of %s imported: %+v %v", label(o), k, err)
		}
		sameJSON(t, "agent of "+label(o)+" imported", must[herald.Agent](t)(dst.Agent(ctx, read("default"))),
			must[herald.Agent](t)(src.Agent(ctx, read("default"))))
		sameJSON(t, "deployment of "+label(o)+" imported", must[herald.Deployment](t)(dst.Deployment(ctx, read("dep-1"))),
			must[herald.Deployment](t)(src.Deployment(ctx, read("dep-1"))))
		sameJSON(t, "inbound webhook of "+label(o)+" imported", must[herald.InboundWebhook](t)(dst.InboundWebhook(ctx, read("github"))),
			must[herald.InboundWebhook](t)(src.InboundWebhook(ctx, read("github"))))
		sameJSON(t, "alert of "+label(o)+" imported", must[herald.AlertRule](t)(dst.Alert(ctx, read(r.alert.ID))),
			must[herald.AlertRule](t)(src.Alert(ctx, read(r.alert.ID))))
		sameJSON(t, "invocation of "+label(o)+" imported", must[herald.Invocation](t)(dst.Invocation(ctx, read(r.inv.ID))),
			must[herald.Invocation](t)(src.Invocation(ctx, read(r.inv.ID))))
	}
	if got, _, err := dst.ListTenants(ctx, herald.TenantFilter{}); err != nil || len(got) != 2 {
		t.Fatalf("tenants imported: %+v %v", got, err)
	}
	if got, err := dst.Tenant(ctx, tenantA); err != nil || got.Retention == nil || time.Duration(*got.Retention) != 7*day {
		t.Fatalf("tenant A imported: %+v %v, want retention 7d", got, err)
	}
	sameJSON(t, "event type imported", must[herald.EventType](t)(dst.EventType(ctx, herald.EventTypeRef{Name: "order.paid", Versions: true})),
		must[herald.EventType](t)(src.EventType(ctx, herald.EventTypeRef{Name: "order.paid", Versions: true})))
	hookA := herald.Ref{Tenancy: only(tenantA), ID: w.by[tenantA].hook.ID}
	gotHook, wantHook := must[herald.Webhook](t)(dst.Webhook(ctx, hookA)), must[herald.Webhook](t)(src.Webhook(ctx, hookA))
	if len(gotHook.PreviousSecrets) != 1 || gotHook.PreviousSecrets[0].Secret != wantHook.PreviousSecrets[0].Secret ||
		!gotHook.PreviousSecrets[0].ExpiresAt.Equal(wantHook.PreviousSecrets[0].ExpiresAt) || gotHook.Secret != wantHook.Secret {
		t.Fatalf("rotated webhook imported: previous %+v, want %+v", gotHook.PreviousSecrets, wantHook.PreviousSecrets)
	}

	// The tenant comes first: without it, a record is refused, and the
	// batch stores nothing.
	empty := open(t)
	var hook *herald.Record
	for _, r := range records {
		if r.Webhook != nil && r.Webhook.TenantID == tenantA {
			hook = r
		}
	}
	_, err = empty.Import(ctx, herald.ImportParams{Records: []*herald.Record{records[1], hook}})
	if herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "tenant_id") ||
		records[1].Tenant == nil || records[1].Tenant.ID != tenantB {
		t.Fatalf("import of A's webhook without A: %v, want invalid naming tenant_id", err)
	}
	if _, total, err := empty.ListTenants(ctx, herald.TenantFilter{}); err != nil || total != 0 {
		t.Fatalf("a refused import stored %d tenants (%v)", total, err)
	}
}

// viaJSON returns the records as an import reads them from an export's
// lines.
func viaJSON(t *testing.T, records []*herald.Record) []*herald.Record {
	t.Helper()
	out := make([]*herald.Record, len(records))
	for i, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &out[i]); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
	return out
}

// must returns a function that returns the row of a read, and fails the
// test on its error.
func must[T any](t *testing.T) func(*T, error) *T {
	return func(row *T, err error) *T {
		t.Helper()
		if err != nil {
			t.Fatalf("read %T: %v", row, err)
		}
		return row
	}
}
