package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/eventschema"
	"github.com/heraldhq/herald/internal/pgtest"
)

// TestEventTypesAPI: the built-in catalogue is there from the first start;
// a put makes versions; a schema is checked on publish with a 400 naming
// the path and the rule; tenants read the catalogue and cannot change it.
func TestEventTypesAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		var all struct {
			Items []*herald.EventType `json:"items"`
			Total int                 `json:"total"`
		}
		ts.must(200, "GET", "/v1/event-types", nil, &all)
		var names []string
		for _, et := range all.Items {
			names = append(names, et.Name)
			if et.Version != 1 || !et.HasSchema() || string(et.Example) == "null" {
				t.Errorf("built-in %s: %+v", et.Name, et)
			}
		}
		for _, want := range []string{"agent.status", "deployment.rolled_back", "metrics.report", "alert.triggered", "user.message",
			"agent.invoked", "agent.action", "webhook.test", "webhook.disabled", "webhook.enabled", "webhook.failing"} {
			if !slices.Contains(names, want) {
				t.Errorf("built-in catalogue lacks %s: %v", want, names)
			}
		}
		if !slices.IsSorted(names) || all.Total != len(eventschema.Builtin()) {
			t.Errorf("list: %d of %d, sorted %v", all.Total, len(eventschema.Builtin()), slices.IsSorted(names))
		}
		ts.must(200, "GET", "/v1/event-types?prefix=deployment.", nil, &all)
		if all.Total != 6 {
			t.Errorf("prefix deployment.: %d types", all.Total)
		}

		schema := map[string]any{"type": "object", "required": []string{"order_id"}, "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "total": map[string]any{"type": "number", "minimum": 0}}}
		var et herald.EventType
		ts.must(201, "PUT", "/v1/event-types/order.created", map[string]any{"description": "An order", "schema": schema,
			"example": map[string]any{"order_id": "o1", "total": 12.5}}, &et)
		if et.Version != 1 || et.Name != "order.created" {
			t.Fatalf("created: %+v", et)
		}
		ts.must(200, "PUT", "/v1/event-types/order.created", map[string]any{"description": "An order", "schema": schema,
			"example": map[string]any{"order_id": "o1", "total": 12.5}}, &et)
		if et.Version != 1 {
			t.Fatalf("the same put made version %d", et.Version)
		}
		status, body := ts.do("POST", "/v1/events", map[string]any{"type": "order.created", "data": map[string]any{"order_id": "o1", "total": "12"}})
		if code, msg := errorOf(t, body); status != 400 || code != "invalid" || msg != "data.total: type: got string, want number" {
			t.Fatalf("bad data: %d %s", status, body)
		}
		status, body = ts.do("POST", "/v1/events", map[string]any{"type": "order.created", "data": map[string]any{"total": 1}})
		if _, msg := errorOf(t, body); status != 400 || !strings.Contains(msg, "data: required: missing property 'order_id'") {
			t.Fatalf("missing property: %d %s", status, body)
		}
		ts.publish("order.created", map[string]any{"order_id": "o1", "total": 3})

		// A new version applies at once: total is now required.
		schema["required"] = []string{"order_id", "total"}
		ts.must(200, "PUT", "/v1/event-types/order.created", map[string]any{"description": "An order", "schema": schema}, &et)
		if et.Version != 2 {
			t.Fatalf("changed: %+v", et)
		}
		status, body = ts.do("POST", "/v1/events", map[string]any{"type": "order.created", "data": map[string]any{"order_id": "o1"}})
		if _, msg := errorOf(t, body); status != 400 || !strings.Contains(msg, "missing property 'total'") {
			t.Fatalf("version 2 not applied: %d %s", status, body)
		}
		ts.must(200, "GET", "/v1/event-types/order.created", nil, &et)
		if len(et.Versions) != 2 || et.Versions[0].Version != 1 || string(et.Versions[1].Example) != "null" {
			t.Fatalf("versions: %+v", et.Versions)
		}

		// A built-in schema is checked too; unknown types are not.
		status, body = ts.do("POST", "/v1/events", map[string]any{"type": "agent.status", "data": map[string]any{"agent_id": 7}})
		if _, msg := errorOf(t, body); status != 400 || msg != "data.agent_id: type: got number, want string" {
			t.Fatalf("built-in: %d %s", status, body)
		}
		ts.publish("agent.status", map[string]any{})
		status, body = ts.do("POST", "/v1/events", map[string]any{"type": "webhook.disabled", "data": map[string]any{"webhook_id": "wh_1"}})
		if _, msg := errorOf(t, body); status != 400 || !strings.HasPrefix(msg, "data") {
			t.Fatalf("built-in: %d %s", status, body)
		}
		ts.publish("custom.anything", map[string]any{"x": 1})

		// Bad schemas and examples.
		for _, c := range []struct {
			body map[string]any
			in   string
		}{
			{map[string]any{"schema": map[string]any{"type": 12}}, "schema"},
			{map[string]any{"schema": map[string]any{"$ref": "file:///etc/passwd"}}, "schema"},
			{map[string]any{"schema": schema, "example": map[string]any{"order_id": "o1", "total": -1}}, "example.total: minimum"},
			{map[string]any{"example": []int{1}}, "example"},
			{map[string]any{"unknown": 1}, "unknown"},
		} {
			status, body := ts.do("PUT", "/v1/event-types/order.bad", c.body)
			if _, msg := errorOf(t, body); status != 400 || !strings.HasPrefix(msg, c.in) {
				t.Errorf("%v: %d %s, want 400 naming %s", c.body, status, body, c.in)
			}
		}
		status, body = ts.do("PUT", "/v1/event-types/Bad%20Name", map[string]any{})
		if status != 400 {
			t.Errorf("bad name: %d %s", status, body)
		}

		// A tenant's key reads the catalogue and cannot change it.
		ts.must(201, "PUT", "/v1/tenants/acme", map[string]any{}, nil)
		var k herald.APIKey
		ts.must(201, "POST", "/v1/keys", map[string]any{"name": "acme", "scope": "admin", "tenant_id": "acme"}, &k)
		admin := ts.key
		ts.key = k.Key
		ts.must(200, "GET", "/v1/event-types/order.created", nil, &et)
		for _, m := range []string{"PUT", "DELETE"} {
			if status, body := ts.do(m, "/v1/event-types/order.created", map[string]any{}); status != 403 {
				t.Errorf("tenant %s: %d %s", m, status, body)
			}
		}
		status, body = ts.do("POST", "/v1/events", map[string]any{"type": "order.created", "data": map[string]any{"order_id": "o1"}})
		if status != 400 {
			t.Errorf("tenant publish is not checked: %d %s", status, body)
		}
		ts.key = admin

		ts.must(204, "DELETE", "/v1/event-types/order.created", nil, nil)
		ts.must(404, "GET", "/v1/event-types/order.created", nil, nil)
		ts.must(404, "DELETE", "/v1/event-types/order.created", nil, nil)
		ts.publish("order.created", map[string]any{"order_id": "o1"})
	})
}

// TestStrictEventTypes: --strict-event-types refuses types that are not
// in the catalogue.
func TestStrictEventTypes(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.StrictEventTypes = true })
	status, body := ts.do("POST", "/v1/events", map[string]any{"type": "order.created", "data": map[string]any{}})
	if code, msg := errorOf(t, body); status != 400 || code != "invalid" || !strings.Contains(msg, "not in the event catalogue") {
		t.Fatalf("unknown type: %d %s", status, body)
	}
	ts.must(201, "PUT", "/v1/event-types/order.created", map[string]any{}, nil)
	ts.publish("order.created", map[string]any{"anything": true})
	ts.publish("webhook.test", map[string]any{"webhook_id": "wh_1"})
}

// TestEmittedEventsMatchCatalogue drives Herald through every flow that
// emits events (agent reports, deployments, metrics, alerts, invocations
// that complete, act, fail and time out, webhook tests) and checks that
// every event a real receiver gets validates against its built-in schema.
func TestEmittedEventsMatchCatalogue(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ctx := context.Background()
		ts := startServer(t, db, monitorConfig)
		rc := newReceiver(t, statuses(200))
		hook := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}, "max_retries": 0})

		// Agents, deployments, metrics.
		ts.report("/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "node_id": "n1"})
		ts.report("/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "running", "node_id": "n1"})
		ts.report("/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "stopped", "reason": "scaled down"})
		ts.report("/ingest/agent-status", map[string]any{"agent_id": "a1", "status": "crashed", "error": "oom"})
		for _, d := range []map[string]any{
			{"status": "created", "version": "v1"}, {"status": "started", "version": "v1"},
			{"status": "updated", "changes": map[string]any{"replicas": 3}}, {"status": "completed", "version": "v1"},
			{"status": "failed", "error": "image pull failed"}, {"status": "rolled_back", "reason": "health checks failed"},
		} {
			d["deployment_id"], d["agent_id"] = "d1", "a2"
			ts.report("/ingest/deployment", d)
		}
		ts.report("/ingest/metrics", map[string]any{"agent_id": "a2", "metrics": map[string]any{"cpu": 0.5, "memory_mb": 100}})

		// An alert on an agent falling silent, triggered then resolved.
		rule := herald.NewAlertDefaults()
		rule.Name, rule.Metric, rule.Threshold, rule.AgentID = "a3 silent", herald.MetricAgentUnresponsive, 1, "a3"
		rule.Window = herald.Duration(time.Minute)
		if err := ts.Store.CreateAlert(ctx, rule); err != nil {
			t.Fatal(err)
		}
		ts.report("/ingest/agent-status", map[string]any{"agent_id": "a3", "status": "running"})
		waitAlert(t, ts, rule.ID, func(r *herald.AlertRule) bool { return r.State == herald.AlertTriggered })
		ts.report("/ingest/agent-status", map[string]any{"agent_id": "a3", "status": "running"})
		waitAlert(t, ts, rule.ID, func(r *herald.AlertRule) bool { return r.State == herald.AlertOK })

		// Invocations: echo (completed, message), actions, failure, timeout.
		ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "s3cret-value"}, nil)
		actor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"response":"done","actions":[{"action":"notify","content":"hi"}]}`))
		}))
		defer actor.Close()
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
		defer failing.Close()
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}))
		defer slow.Close()
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "actor", "name": "Actor", "runtime": map[string]any{"type": "http", "url": actor.URL}}, nil)
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "broken", "runtime": map[string]any{"type": "http", "url": failing.URL}}, nil)
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "sleepy", "runtime": map[string]any{"type": "http", "url": slow.URL, "timeout_seconds": 1}}, nil)
		for _, agent := range []string{"default", "actor", "broken", "sleepy"} {
			postGeneric(t, ts, "s3cret-value", `{"agent":"`+agent+`","message":"hello","user":{"id":"u1","name":"Ann"},"room":"r1"}`)
		}

		var res herald.WebhookTestResult
		ts.must(200, "POST", "/v1/webhooks/"+hook.ID+"/test", nil, &res)

		var v eventschema.Validator
		want := map[string]bool{}
		for _, et := range eventschema.Builtin() {
			if !strings.HasPrefix(et.Name, "webhook.") || et.Name == "webhook.test" {
				want[et.Name] = true
			}
		}
		seen := map[string]int{}
		for len(seen) < len(want) {
			c := recv(t, rc.hits, "every built-in type at the receiver (seen "+strings.Join(slices.Sorted(maps.Keys(seen)), ", ")+")")
			var p struct {
				Event string          `json:"event"`
				Data  json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(c.Body, &p); err != nil {
				t.Fatalf("body %s: %v", c.Body, err)
			}
			et, err := ts.Store.EventType(ctx, herald.EventTypeRef{Name: p.Event})
			if err != nil {
				t.Fatalf("%s is not in the catalogue: %v", p.Event, err)
			}
			if err := v.Validate(et, p.Data); err != nil {
				t.Errorf("%s %s: %v", p.Event, p.Data, err)
			}
			var fields map[string]any
			json.Unmarshal(p.Data, &fields)
			for _, f := range eventschema.BuiltinFields(p.Event) {
				if _, ok := fields[f]; !ok {
					t.Errorf("%s %s lacks %s", p.Event, p.Data, f)
				}
			}
			if want[p.Event] {
				seen[p.Event]++
			}
		}
	})
}

// TestEventTypeChangeReachesEveryNode: two nodes share a PostgreSQL
// database; a schema changed through one is checked by that one from its
// next publish on, and by the other once the database's notification of
// the change reaches it, although the other had the old version compiled
// and cached.
func TestEventTypeChangeReachesEveryNode(t *testing.T) {
	_, url := pgtest.Schema(t)
	db := func(c *Config) { c.Database = url }
	a := startServer(t, db)
	b := startServer(t, db)
	b.key = a.key
	a.must(201, "PUT", "/v1/event-types/order.created", map[string]any{"schema": map[string]any{"type": "object", "required": []string{"order_id"}}}, nil)
	b.publish("order.created", map[string]any{"order_id": "o1"})
	a.must(200, "PUT", "/v1/event-types/order.created", map[string]any{"schema": map[string]any{"type": "object", "required": []string{"order_id", "total"}}}, nil)
	missingTotal := map[string]any{"type": "order.created", "data": map[string]any{"order_id": "o2"}}
	status, body := a.do("POST", "/v1/events", missingTotal)
	if _, msg := errorOf(t, body); status != 400 || msg != "data: required: missing property 'total'" {
		t.Fatalf("the node written through, after the change: %d %s", status, body)
	}
	// The other node: from its notification on. Until then it may accept
	// the event under the version before.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body = b.do("POST", "/v1/events", missingTotal)
		if status != 202 || time.Now().After(deadline) {
			break
		}
	}
	if _, msg := errorOf(t, body); status != 400 || msg != "data: required: missing property 'total'" {
		t.Fatalf("the other node after the change: %d %s", status, body)
	}
	a.must(204, "DELETE", "/v1/event-types/order.created", nil, nil)
	deadline = time.Now().Add(10 * time.Second)
	for {
		status, body = b.do("POST", "/v1/events", map[string]any{"type": "order.created", "data": map[string]any{"order_id": "o3"}})
		if status != 400 || time.Now().After(deadline) {
			break
		}
	}
	if status != 202 {
		t.Fatalf("the other node after the type's deletion: %d %s", status, body)
	}
}
