package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// The two tenants of the tenant tests.
const (
	tenantA = "acme"
	tenantB = "globex"
)

// caller calls a test server's API with one key, as a tenant (or the
// platform) does, optionally sending X-Herald-Tenant.
type caller struct {
	ts     *testServer
	key    string
	tenant string // the X-Herald-Tenant header; "" sends none
}

// as returns a caller with key.
func (ts *testServer) as(key string) *caller { return &caller{ts: ts, key: key} }

// scoped returns a copy of c that sends X-Herald-Tenant: tenant.
func (c *caller) scoped(tenant string) *caller { return &caller{ts: c.ts, key: c.key, tenant: tenant} }

// do sends a request with c's key and returns the status and body.
func (c *caller) do(method, path string, body any) (int, []byte) {
	c.ts.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.ts.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.ts.URL()+path, r)
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	if c.tenant != "" {
		req.Header.Set(client.TenantHeader, c.tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// must sends a request, fails the test unless the status is want, and
// decodes the answer into v (when not nil).
func (c *caller) must(want int, method, path string, body, v any) {
	c.ts.t.Helper()
	status, out := c.do(method, path, body)
	if status != want {
		c.ts.t.Fatalf("%s %s (key of %s): status %d, want %d: %s", method, path, c.who(), status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			c.ts.t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

// who names the caller in failures.
func (c *caller) who() string {
	if c.key == c.ts.key {
		return "the platform"
	}
	return "a tenant"
}

// refused checks that a request is answered want with an error of code,
// whose message holds each of words.
func (c *caller) refused(want int, code, method, path string, body any, words ...string) {
	c.ts.t.Helper()
	status, out := c.do(method, path, body)
	if status != want {
		c.ts.t.Errorf("%s %s: status %d, want %d: %s", method, path, status, want, out)
		return
	}
	got, msg := errorOf(c.ts.t, out)
	if got != code {
		c.ts.t.Errorf("%s %s: code %q, want %q", method, path, got, code)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			c.ts.t.Errorf("%s %s: message %q does not name %q", method, path, msg, w)
		}
	}
}

// webhook registers a webhook for events at url and returns it.
func (c *caller) webhook(url string, events ...string) *herald.Webhook {
	c.ts.t.Helper()
	var w herald.Webhook
	c.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": url, "events": events, "max_retries": 0}, &w)
	return &w
}

// publish sends an event and returns its id and delivery count.
func (c *caller) publish(body map[string]any) (string, int) {
	c.ts.t.Helper()
	var res struct {
		ID         string `json:"id"`
		Deliveries int    `json:"deliveries"`
	}
	c.must(http.StatusAccepted, "POST", "/v1/events", body, &res)
	return res.ID, res.Deliveries
}

// tenantsAB creates tenantA and tenantB with an admin key each, and
// returns callers with those keys.
func (ts *testServer) tenantsAB() (a, b *caller) {
	ts.t.Helper()
	key := func(id string) *caller {
		var tn herald.Tenant
		ts.must(http.StatusCreated, "PUT", "/v1/tenants/"+id, map[string]any{"name": "Tenant " + id}, &tn)
		if tn.ID != id || tn.Name != "Tenant "+id {
			ts.t.Fatalf("tenant %s: %+v", id, tn)
		}
		var k herald.APIKey
		ts.must(http.StatusCreated, "POST", "/v1/keys", map[string]any{"name": id + "-admin", "scope": "admin", "tenant_id": id}, &k)
		if string(k.TenantID) != id || k.Key == "" {
			ts.t.Fatalf("key of %s: %+v", id, k)
		}
		return ts.as(k.Key)
	}
	return key(tenantA), key(tenantB)
}

// deliveryWebhooks returns the sorted webhook ids of an event's
// deliveries, as c sees them.
func (c *caller) deliveryWebhooks(eventID string) []string {
	c.ts.t.Helper()
	var ev herald.Event
	c.must(http.StatusOK, "GET", "/v1/events/"+eventID, nil, &ev)
	var ids []string
	for _, d := range ev.Deliveries {
		ids = append(ids, d.WebhookID)
	}
	slices.Sort(ids)
	return ids
}

// sorted returns ids sorted.
func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// onlyHit checks that rc's requests so far are the one of eventID alone.
func onlyHit(t *testing.T, rc *receiver, eventID, what string) captured {
	t.Helper()
	c := recv(t, rc.hits, what)
	if got := c.Header.Get("webhook-id"); got != eventID {
		t.Fatalf("%s: got event %s, want %s: %s", what, got, eventID, c.Body)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 1 {
		var ids []string
		for _, g := range rc.got {
			ids = append(ids, g.Header.Get("webhook-id"))
		}
		t.Fatalf("%s: received %d requests (%v), want only %s", what, len(rc.got), ids, eventID)
	}
	return c
}

// TestTenantEventsReachOnlyTheirTenant registers an agent.* webhook for
// each of two tenants and two for the platform, one of them a firehose
// (all_tenants). Events published for tenant A, with A's key or with the
// platform's key naming A, reach A's webhook and the firehose, whose body
// carries tenant_id; B's webhook and the platform's plain one receive
// nothing: each receives its own event afterwards, and that alone.
func TestTenantEventsReachOnlyTheirTenant(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		a, b := ts.tenantsAB()
		admin := ts.as(ts.key)
		rcA, rcB, rcPlat, rcFire := newReceiver(t, statuses(200)), newReceiver(t, statuses(200)), newReceiver(t, statuses(200)), newReceiver(t, statuses(200))
		whA, whB, whPlat := a.webhook(rcA.URL, "agent.*"), b.webhook(rcB.URL, "agent.*"), admin.webhook(rcPlat.URL, "agent.*")
		var whFire herald.Webhook
		admin.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": rcFire.URL, "events": []string{"agent.*"}, "all_tenants": true}, &whFire)
		if whA.TenantID != tenantA || whB.TenantID != tenantB || whPlat.TenantID != "" || whFire.TenantID != "" || !whFire.AllTenants || whPlat.AllTenants {
			t.Fatalf("webhooks' tenants: %q %q %q %q (firehose %v)", whA.TenantID, whB.TenantID, whPlat.TenantID, whFire.TenantID, whFire.AllTenants)
		}
		// Only the platform's webhooks may be firehoses.
		a.refused(http.StatusBadRequest, herald.EINVALID, "POST", "/v1/webhooks",
			map[string]any{"url": rcA.URL, "events": []string{"*"}, "all_tenants": true}, "all_tenants")
		admin.refused(http.StatusBadRequest, herald.EINVALID, "POST", "/v1/webhooks",
			map[string]any{"url": rcA.URL, "events": []string{"*"}, "all_tenants": true, "tenant_id": tenantA}, "all_tenants")

		data := map[string]any{"agent_id": "bot", "new_status": "running", "old_status": "starting"}
		ev1, n1 := a.publish(map[string]any{"type": "agent.status", "data": data})
		ev2, n2 := admin.publish(map[string]any{"type": "agent.status", "data": data, "tenant_id": tenantA})
		if n1 != 2 || n2 != 2 {
			t.Fatalf("A's events went to %d and %d webhooks, want 2 each (A's and the firehose)", n1, n2)
		}
		for _, ev := range []string{ev1, ev2} {
			if got, want := admin.deliveryWebhooks(ev), sorted(whA.ID, whFire.ID); !slices.Equal(got, want) {
				t.Fatalf("event %s delivered to %v, want %v", ev, got, want)
			}
			// The firehose's deliveries are the platform's: A does not see them.
			if got := a.deliveryWebhooks(ev); !slices.Equal(got, []string{whA.ID}) {
				t.Fatalf("A sees the deliveries of event %s to %v, want its webhook's alone", ev, got)
			}
			var e herald.Event
			a.must(http.StatusOK, "GET", "/v1/events/"+ev, nil, &e)
			if e.TenantID != tenantA {
				t.Fatalf("event %s is %q's", ev, e.TenantID)
			}
		}
		// Both reach A's webhook and the firehose, with tenant_id right
		// after the id in the body.
		for name, rc := range map[string]*receiver{"A's webhook": rcA, "the firehose": rcFire} {
			seen := map[string]bool{}
			for range 2 {
				c := recv(t, rc.hits, "an event of A at "+name)
				id := c.Header.Get("webhook-id")
				seen[id] = true
				if prefix := `{"id":"` + id + `","tenant_id":"` + tenantA + `",`; !bytes.HasPrefix(c.Body, []byte(prefix)) {
					t.Errorf("%s: body %s does not start with %s", name, c.Body, prefix)
				}
			}
			if !seen[ev1] || !seen[ev2] {
				t.Errorf("%s received %v, want %s and %s", name, seen, ev1, ev2)
			}
		}

		// B's webhook and the platform's plain one got nothing of A's:
		// each gets an event of its own now, and has that one alone.
		evB, nB := b.publish(map[string]any{"type": "agent.started", "data": map[string]any{"agent_id": "b1"}})
		evP, nP := admin.publish(map[string]any{"type": "agent.started", "data": map[string]any{"agent_id": "p1"}})
		if nB != 2 || nP != 2 {
			t.Fatalf("B's event went to %d webhooks, the platform's to %d; want 2 each", nB, nP)
		}
		onlyHit(t, rcB, evB, "B's event at B's webhook")
		c := onlyHit(t, rcPlat, evP, "the platform's event at its webhook")
		if bytes.Contains(c.Body, []byte(`"tenant_id"`)) {
			t.Errorf("a platform event's body carries tenant_id: %s", c.Body)
		}
		for range 2 {
			c := recv(t, rcFire.hits, "B's and the platform's events at the firehose")
			switch id := c.Header.Get("webhook-id"); id {
			case evB:
				if !bytes.HasPrefix(c.Body, []byte(`{"id":"`+evB+`","tenant_id":"`+tenantB+`",`)) {
					t.Errorf("firehose body of B's event: %s", c.Body)
				}
			case evP:
				if bytes.Contains(c.Body, []byte(`"tenant_id"`)) {
					t.Errorf("firehose body of the platform's event carries tenant_id: %s", c.Body)
				}
			default:
				t.Errorf("the firehose received %s, want %s or %s", id, evB, evP)
			}
		}
		rcA.mu.Lock()
		if len(rcA.got) != 2 {
			t.Errorf("A's webhook received %d requests, want its 2 events", len(rcA.got))
		}
		rcA.mu.Unlock()

		// Lists: a tenant key sees its own webhook; the platform key all,
		// or one tenant's with ?tenant_id= or X-Herald-Tenant.
		listIDs := func(c *caller, path string) []string {
			t.Helper()
			var l client.WebhookList
			c.must(http.StatusOK, "GET", path, nil, &l)
			var ids []string
			for _, w := range l.Items {
				ids = append(ids, w.ID)
			}
			slices.Sort(ids)
			return ids
		}
		for _, tc := range []struct {
			c    *caller
			path string
			want []string
		}{
			{a, "/v1/webhooks", []string{whA.ID}},
			{b, "/v1/webhooks", []string{whB.ID}},
			{admin, "/v1/webhooks", sorted(whA.ID, whB.ID, whPlat.ID, whFire.ID)},
			{admin, "/v1/webhooks?tenant_id=" + tenantA, []string{whA.ID}},
			{admin.scoped(tenantB), "/v1/webhooks", []string{whB.ID}},
		} {
			if got := listIDs(tc.c, tc.path); !slices.Equal(got, tc.want) {
				t.Errorf("%s with the key of %s (tenant header %q): %v, want %v", tc.path, tc.c.who(), tc.c.tenant, got, tc.want)
			}
		}
	})
}

// TestTenantKeyConfinement gives tenant B a webhook with a delivery, an
// agent with a deployment, an inbound webhook with an invocation, an alert
// rule and a key, and checks that A's key gets 404 for each, exactly as
// for a missing one, changes none of them, and is refused with 403 when
// it names B in a body, a header or a query, or manages tenants.
func TestTenantKeyConfinement(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		a, b := ts.tenantsAB()
		admin := ts.as(ts.key)
		rc := newReceiver(t, statuses(200))
		whA := a.webhook(rc.URL, "agent.*")
		whB := b.webhook(rc.URL, "agent.*")
		whPlat := admin.webhook(rc.URL, "agent.*")
		evB, _ := b.publish(map[string]any{"type": "agent.started", "data": map[string]any{"agent_id": "bot"}})
		var evBRead herald.Event
		b.must(http.StatusOK, "GET", "/v1/events/"+evB, nil, &evBRead)
		if len(evBRead.Deliveries) != 1 {
			t.Fatalf("B's event has %d deliveries, want 1", len(evBRead.Deliveries))
		}
		dB := evBRead.Deliveries[0].ID
		b.must(http.StatusCreated, "POST", "/v1/agents", map[string]any{"id": "bot", "runtime": map[string]any{"type": "echo"}}, nil)
		b.must(http.StatusAccepted, "POST", "/ingest/deployment", map[string]any{"deployment_id": "dep-b", "agent_id": "bot", "status": "created", "version": "1.0"}, nil)
		b.must(http.StatusCreated, "POST", "/api/webhooks", map[string]any{"name": "hook-b", "agent": "bot", "secret": "hook-b-secret"}, nil)
		var inv struct {
			RequestID string `json:"request_id"`
		}
		b.must(http.StatusOK, "POST", "/api/tenants/"+tenantB+"/webhooks/hook-b/trigger", map[string]any{"message": "hi"}, &inv)
		var alert herald.AlertRule
		b.must(http.StatusCreated, "POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "threshold": 5}, &alert)
		var keyB herald.APIKey
		b.must(http.StatusCreated, "POST", "/v1/keys", map[string]any{"name": "b-ingest", "scope": "ingest"}, &keyB)
		if alert.TenantID != tenantB || keyB.TenantID != tenantB || inv.RequestID == "" {
			t.Fatalf("B's rows: alert %q, key %q, invocation %q", alert.TenantID, keyB.TenantID, inv.RequestID)
		}

		// B's rows, and the platform's, are missing for A.
		missing := []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/webhooks/" + whB.ID, nil},
			{"PATCH", "/v1/webhooks/" + whB.ID, map[string]any{"name": "taken"}},
			{"POST", "/v1/webhooks/" + whB.ID + "/test", nil},
			{"GET", "/v1/webhooks/" + whB.ID + "/deliveries", nil},
			{"GET", "/v1/webhooks/" + whB.ID + "/deliveries/" + dB, nil},
			{"POST", "/v1/webhooks/" + whB.ID + "/deliveries/" + dB + "/retry", nil},
			{"GET", "/v1/webhooks/" + whA.ID + "/deliveries/" + dB, nil},
			{"GET", "/v1/events/" + evB, nil},
			{"GET", "/v1/agents/bot", nil},
			{"PATCH", "/v1/agents/bot", map[string]any{"name": "taken"}},
			{"GET", "/v1/agents/bot/logs", nil},
			{"GET", "/v1/agents/bot/metrics", nil},
			{"GET", "/v1/deployments/dep-b", nil},
			{"GET", "/api/webhooks/hook-b", nil},
			{"PUT", "/api/webhooks/hook-b", map[string]any{"agent": "bot"}},
			{"GET", "/api/webhooks/hook-b/requests", nil},
			{"GET", "/v1/invocations/" + inv.RequestID, nil},
			{"GET", "/v1/alerts/" + alert.ID, nil},
			{"PATCH", "/v1/alerts/" + alert.ID, map[string]any{"threshold": 1}},
			{"DELETE", "/v1/alerts/" + alert.ID, nil},
			{"DELETE", "/v1/keys/" + keyB.ID, nil},
			{"DELETE", "/api/webhooks/hook-b", nil},
			{"DELETE", "/v1/webhooks/" + whB.ID, nil},
			{"GET", "/v1/webhooks/" + whPlat.ID, nil},
			{"GET", "/v1/agents/" + herald.DefaultAgentID, nil},
		}
		for _, m := range missing {
			a.refused(http.StatusNotFound, herald.ENOTFOUND, m.method, m.path, m.body)
		}
		// A's key does not open B's inbound webhook, whose URL takes its
		// own secret (or B's key), as any sender's does.
		a.refused(http.StatusUnauthorized, herald.EUNAUTHORIZED, "POST", "/api/tenants/"+tenantB+"/webhooks/hook-b/trigger", map[string]any{"message": "hi"})

		// Nothing of B's changed.
		var gotWh herald.Webhook
		b.must(http.StatusOK, "GET", "/v1/webhooks/"+whB.ID, nil, &gotWh)
		var gotAlert herald.AlertRule
		b.must(http.StatusOK, "GET", "/v1/alerts/"+alert.ID, nil, &gotAlert)
		var gotAgent herald.Agent
		b.must(http.StatusOK, "GET", "/v1/agents/bot", nil, &gotAgent)
		b.must(http.StatusOK, "GET", "/api/webhooks/hook-b", nil, nil)
		if gotWh.Name != "" || gotAlert.Threshold != 5 || gotAgent.Name == "taken" {
			t.Errorf("A changed B's rows: webhook %q, alert threshold %v, agent %q", gotWh.Name, gotAlert.Threshold, gotAgent.Name)
		}
		var invs client.InvocationList
		b.must(http.StatusOK, "GET", "/v1/invocations", nil, &invs)
		if invs.Total != 1 {
			t.Errorf("B's agent has %d invocations, want its own 1", invs.Total)
		}
		var keys client.KeyList
		b.must(http.StatusOK, "GET", "/v1/keys", nil, &keys)
		for _, k := range keys.Items {
			if k.RevokedAt != nil {
				t.Errorf("A revoked B's key %s", k.ID)
			}
		}

		// A's lists hold A's rows alone.
		for path, want := range map[string]int{
			"/v1/webhooks": 1, "/v1/events": 0, "/v1/agents": 0, "/v1/deployments": 0, "/v1/alerts": 0, "/v1/invocations": 0,
		} {
			var l struct {
				Total int `json:"total"`
			}
			a.must(http.StatusOK, "GET", path, nil, &l)
			if l.Total != want {
				t.Errorf("A's %s: total %d, want %d", path, l.Total, want)
			}
		}
		var aKeys client.KeyList
		a.must(http.StatusOK, "GET", "/v1/keys", nil, &aKeys)
		if len(aKeys.Items) != 1 || aKeys.Items[0].TenantID != tenantA {
			t.Errorf("A's keys: %+v", aKeys.Items)
		}
		var inbound client.InboundList
		a.must(http.StatusOK, "GET", "/api/webhooks", nil, &inbound)
		if len(inbound.Webhooks) != 0 {
			t.Errorf("A's inbound webhooks: %+v", inbound.Webhooks)
		}

		// Naming B in a body, a header or a query is a 403; so are the
		// platform-wide routes.
		forbidden := []struct {
			method, path string
			body         any
		}{
			{"POST", "/v1/webhooks", map[string]any{"url": rc.URL, "events": []string{"*"}, "tenant_id": tenantB}},
			{"POST", "/v1/events", map[string]any{"type": "agent.started", "tenant_id": tenantB}},
			{"POST", "/v1/keys", map[string]any{"name": "k", "scope": "admin", "tenant_id": tenantB}},
			{"POST", "/v1/alerts", map[string]any{"metric": "webhook-failures", "threshold": 1, "tenant_id": tenantB}},
			{"POST", "/api/webhooks", map[string]any{"name": "x", "agent": "bot", "tenant_id": tenantB}},
			{"POST", "/ingest/agent-status", map[string]any{"agent_id": "bot", "status": "running", "tenant_id": tenantB}},
			{"GET", "/v1/webhooks?tenant_id=" + tenantB, nil},
		}
		for _, f := range forbidden {
			a.refused(http.StatusForbidden, herald.EFORBIDDEN, f.method, f.path, f.body, "tenant")
		}
		a.scoped(tenantB).refused(http.StatusForbidden, herald.EFORBIDDEN, "GET", "/v1/webhooks", nil, "tenant")
		for _, f := range []struct{ method, path string }{
			{"GET", "/v1/tenants"}, {"GET", "/v1/tenants/" + tenantA}, {"PUT", "/v1/tenants/" + tenantA}, {"DELETE", "/v1/tenants/" + tenantB},
			{"PUT", "/v1/inbound/secrets/generic"},
		} {
			a.refused(http.StatusForbidden, herald.EFORBIDDEN, f.method, f.path, map[string]any{"secret": "s"})
		}
		// Naming its own tenant is fine.
		var own herald.Webhook
		a.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": rc.URL, "events": []string{"*"}, "tenant_id": tenantA}, &own)
		a.scoped(tenantA).must(http.StatusOK, "GET", "/v1/webhooks/"+own.ID, nil, nil)

		// A 404 says nothing more than a missing row's: once B deletes its
		// webhook, A's answer is the same.
		_, before := a.do("GET", "/v1/webhooks/"+whB.ID, nil)
		b.must(http.StatusNoContent, "DELETE", "/v1/webhooks/"+whB.ID, nil, nil)
		_, after := a.do("GET", "/v1/webhooks/"+whB.ID, nil)
		if !bytes.Equal(before, after) {
			t.Errorf("A's 404 for B's webhook %s differs from the one for a missing webhook %s", before, after)
		}
	})
}

// TestTenantJWTIngest: an ingest JWT whose tenant_id claim names A
// registers A's agent, whose events reach A's webhook alone; it cannot
// report for B, and the platform's agent of that id is another one.
func TestTenantJWTIngest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, func(c *Config) { c.JWTSecret = jwtSecret })
		a, b := ts.tenantsAB()
		admin := ts.as(ts.key)
		rcA, rcB, rcPlat := newReceiver(t, statuses(200)), newReceiver(t, statuses(200)), newReceiver(t, statuses(200))
		whA, _, _ := a.webhook(rcA.URL, "agent.*"), b.webhook(rcB.URL, "agent.*"), admin.webhook(rcPlat.URL, "agent.*")

		token := ts.as(hs256Token(t, inAnHour(jwt.MapClaims{"tenant_id": tenantA, "agent_id": "bot"})))
		var res ingestAnswer
		token.must(http.StatusAccepted, "POST", "/ingest/agent-status", map[string]any{"agent_id": "bot", "status": "running"}, &res)
		if res.Agent == nil || res.Agent.TenantID != tenantA || len(res.Events) != 2 {
			t.Fatalf("report: %+v", res)
		}
		for _, ev := range res.Events {
			if got := admin.deliveryWebhooks(ev.ID); !slices.Equal(got, []string{whA.ID}) {
				t.Fatalf("%s %s delivered to %v, want A's webhook alone", ev.Type, ev.ID, got)
			}
		}
		seen := map[string]bool{}
		for range 2 {
			c := recv(t, rcA.hits, "the agent's events at A's webhook")
			seen[c.Header.Get("X-Webhook-Event")] = true
			if !bytes.Contains(c.Body, []byte(`"tenant_id":"`+tenantA+`"`)) {
				t.Errorf("body without A's tenant_id: %s", c.Body)
			}
		}
		if !seen["agent.status"] || !seen["agent.started"] {
			t.Errorf("A's webhook received %v", seen)
		}

		// The agent is A's: A sees it, B and the platform do not.
		var got herald.Agent
		a.must(http.StatusOK, "GET", "/v1/agents/bot", nil, &got)
		if got.TenantID != tenantA || got.Status != "running" {
			t.Errorf("A's agent: %+v", got)
		}
		b.refused(http.StatusNotFound, herald.ENOTFOUND, "GET", "/v1/agents/bot", nil)
		admin.refused(http.StatusNotFound, herald.ENOTFOUND, "GET", "/v1/agents/bot", nil)
		admin.scoped(tenantA).must(http.StatusOK, "GET", "/v1/agents/bot", nil, nil)

		// The token cannot report for B, in the body.
		token.refused(http.StatusForbidden, herald.EFORBIDDEN, "POST", "/ingest/agent-status",
			map[string]any{"agent_id": "bot", "status": "stopped", "tenant_id": tenantB}, "tenant")
		// A token without the claim reports for the platform: its bot is
		// another agent.
		plat := ts.as(hs256Token(t, inAnHour(jwt.MapClaims{"agent_id": "bot"})))
		plat.must(http.StatusAccepted, "POST", "/ingest/agent-status", map[string]any{"agent_id": "bot", "status": "stopped"}, &res)
		if res.Agent.TenantID != "" {
			t.Fatalf("a token without the claim reported for %q", res.Agent.TenantID)
		}
		a.must(http.StatusOK, "GET", "/v1/agents/bot", nil, &got)
		if got.Status != "running" {
			t.Errorf("the platform's report changed A's agent: %+v", got)
		}

		// B's webhook got nothing, the platform's only its own agent's
		// events.
		evB, _ := b.publish(map[string]any{"type": "agent.started", "data": map[string]any{"agent_id": "b1"}})
		onlyHit(t, rcB, evB, "B's event at B's webhook")
		platEvents := map[string]bool{}
		for _, e := range res.Events {
			platEvents[e.ID] = true
		}
		c := recv(t, rcPlat.hits, "the platform agent's event")
		if id := c.Header.Get("webhook-id"); !platEvents[id] {
			t.Errorf("the platform's webhook received %s, not an event of the platform's agent (%v)", id, platEvents)
		}
	})
}

// TestTenantJWTClaimName reads the tenant from the claim that
// --jwt-tenant-claim names.
func TestTenantJWTClaimName(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.JWTSecret = jwtSecret; c.JWTTenantClaim = "org" })
	ts.tenantsAB()
	var res ingestAnswer
	ts.as(hs256Token(t, inAnHour(jwt.MapClaims{"org": tenantB, "tenant_id": tenantA}))).
		must(http.StatusAccepted, "POST", "/ingest/metrics", map[string]any{"agent_id": "m1", "metrics": map[string]float64{"cpu": 1}}, &res)
	if res.Agent == nil || res.Agent.TenantID != tenantB {
		t.Fatalf("the org claim did not make the report B's: %+v", res.Agent)
	}
}

// TestTenantInboundWebhook: /api/tenants/A/webhooks/github reaches A's
// github webhook, which invokes A's agent "default", not the platform's
// agent of that name nor the platform's github webhook.
func TestTenantInboundWebhook(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		a, _ := ts.tenantsAB()
		admin := ts.as(ts.key)
		a.must(http.StatusCreated, "POST", "/v1/agents", map[string]any{"id": herald.DefaultAgentID, "name": "A's default",
			"runtime": map[string]any{"type": "echo"}}, nil)
		var hook herald.InboundWebhook
		a.must(http.StatusCreated, "POST", "/api/webhooks", map[string]any{"name": "github", "agent": herald.DefaultAgentID, "secret": "a-github-secret"}, &hook)
		if hook.TenantID != tenantA || hook.Provider != "github" {
			t.Fatalf("A's github webhook: %+v", hook)
		}
		admin.must(http.StatusCreated, "POST", "/api/webhooks", map[string]any{"name": "github", "agent": herald.DefaultAgentID, "secret": "platform-github-secret"}, nil)
		rcPlat := newReceiver(t, statuses(200))
		admin.webhook(rcPlat.URL, "agent.*", "user.*")

		push := `{"ref":"refs/heads/main","repository":{"full_name":"acme/app"},"sender":{"login":"octo"}}`
		sign := func(secret string) string { return "sha256=" + hexHMAC(secret, push) }
		// The platform's path with A's secret is the platform's webhook,
		// which refuses it.
		if st, _, _ := ts.postRaw("/api/webhooks/github", push, "X-GitHub-Event", "push", "X-GitHub-Delivery", "d0",
			"X-Hub-Signature-256", sign("a-github-secret")); st != http.StatusUnauthorized {
			t.Fatalf("A's signature at the platform's path: %d, want 401", st)
		}
		st, out, _ := ts.postRaw("/api/tenants/"+tenantA+"/webhooks/github", push, "X-GitHub-Event", "push", "X-GitHub-Delivery", "d1",
			"X-Hub-Signature-256", sign("a-github-secret"))
		if st != http.StatusOK || out["success"] != true || out["agent"] != herald.DefaultAgentID {
			t.Fatalf("A's github webhook: %d %v", st, out)
		}
		invID, _ := out["request_id"].(string)
		var inv herald.Invocation
		a.must(http.StatusOK, "GET", "/v1/invocations/"+invID, nil, &inv)
		if inv.TenantID != tenantA || inv.Agent != herald.DefaultAgentID || inv.Source != "webhook:github" {
			t.Fatalf("invocation: %+v", inv)
		}
		// The platform's default agent was not invoked.
		var all client.InvocationList
		admin.must(http.StatusOK, "GET", "/v1/invocations?agent=default", nil, &all)
		for _, i := range all.Items {
			if i.TenantID != tenantA {
				t.Errorf("the platform's agent was invoked: %+v", i)
			}
		}
		// Unknown tenants and names are 404, and B's path does not reach A's webhook.
		for _, path := range []string{"/api/tenants/" + tenantB + "/webhooks/github", "/api/tenants/nobody/webhooks/github"} {
			if st, _, _ := ts.postRaw(path, push, "X-GitHub-Event", "push", "X-Hub-Signature-256", sign("a-github-secret")); st != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, st)
			}
		}
		// A's invocation events stayed A's: the platform's webhook gets
		// its own next event alone.
		evP, _ := admin.publish(map[string]any{"type": "agent.started", "data": map[string]any{"agent_id": "p1"}})
		onlyHit(t, rcPlat, evP, "the platform's event at its webhook")
	})
}
