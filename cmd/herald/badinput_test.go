package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestBadInput sends NUL bytes, \u0000 and invalid UTF-8 where outside
// data comes in: both engines keep free text as it came, refuse names,
// path and query values with a 400 naming them, and never answer 500.
func TestBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		auth := "Bearer " + ts.key

		// An agent report's error, log line and metadata keep \u0000.
		status, out := ts.post("/ingest/agent-status", auth,
			`{"agent_id":"a1","status":"crashed","error":"out\u0000of memory","logs":["line\u0000one"],"metadata":{"k":"\u0000"}}`)
		if status != http.StatusAccepted {
			t.Fatalf("report with NUL: %d %s", status, out)
		}
		var agent herald.Agent
		ts.must(200, "GET", "/v1/agents/a1", nil, &agent)
		if agent.Error != "out\x00of memory" || string(agent.Metadata) != `{"k":"\u0000"}` {
			t.Fatalf("agent read back: error %q metadata %s", agent.Error, agent.Metadata)
		}
		var logs struct {
			Items []herald.LogEntry `json:"items"`
		}
		ts.must(200, "GET", "/v1/agents/a1/logs", nil, &logs)
		if len(logs.Items) != 1 || logs.Items[0].Message != "line\x00one" {
			t.Fatalf("logs read back: %+v", logs.Items)
		}

		// An inbound message keeps it too.
		ts.echoAgent("bot")
		ts.must(200, "PUT", "/v1/inbound/secrets/generic", map[string]string{"secret": "s3cret"}, nil)
		if st, v, _ := ts.postRaw("/api/webhooks/generic", `{"agent":"bot","message":"hi\u0000there"}`,
			"X-Webhook-Secret", "s3cret", "Content-Type", "application/json"); st != http.StatusOK {
			t.Fatalf("inbound message with NUL: %d %v", st, v)
		}
		var invs struct {
			Items []herald.Invocation `json:"items"`
		}
		ts.must(200, "GET", "/v1/invocations?agent=bot", nil, &invs)
		if len(invs.Items) != 1 || invs.Items[0].Message != "hi\x00there" {
			t.Fatalf("invocations: %+v", invs.Items)
		}

		// Names and identifiers, invalid UTF-8 bodies, and path and query
		// values are refused, naming the field.
		for _, c := range []struct{ method, path, body, field string }{
			{"POST", "/ingest/agent-status", `{"agent_id":"a1","status":"running","node_id":"n\u0000"}`, "node_id:"},
			{"POST", "/ingest/agent-status", `{"agent_id":"a\u0000","status":"running"}`, "agent_id:"},
			{"POST", "/ingest/agent-status", `{"agent_id":"a1","status":"running","logs":[{"level":"\u0000","message":"m"}]}`, "logs[0].level:"},
			{"POST", "/ingest/agent-status", "{\"agent_id\":\"a1\",\"status\":\"running\",\"error\":\"\xff\"}", "body: must be valid UTF-8"},
			{"POST", "/ingest/metrics", `{"agent_id":"a1","metrics":{"cpu":1},"timestamp":"yesterday"}`, "timestamp:"},
			{"POST", "/ingest/agent-status", `{"agent_id":"a1","status":"running","logs":[{"message":"m","timestamp":"soon"}]}`, "logs[0]: a log entry"},
			{"POST", "/v1/webhooks", `{"url":"http://127.0.0.1:1/","events":["*"],"name":"n\u0000"}`, "name:"},
			{"POST", "/v1/webhooks", `{"url":"http://127.0.0.1:1/","events":["*"],"retry_schedule":["soon"]}`, "retry_schedule:"},
			{"POST", "/v1/alerts", `{"metric":"cpu","window":"soon"}`, "window:"},
			{"POST", "/api/webhooks", `{"name":"alerts","agent":"bot","secret":"s","rate_limit":{"requests":1,"per":"soon"}}`, "rate_limit.per:"},
			{"POST", "/api/webhooks", `{"name":"alerts","agent":"bot","description":"d\u0000"}`, "description:"},
			{"POST", "/v1/alerts", `{"metric":"cpu","name":"\u0000"}`, "name:"},
			{"POST", "/v1/keys", `{"name":"k\u0000","scope":"admin"}`, "name:"},
			{"POST", "/v1/events", `{"type":"agent.status","data":{"agent_id":"a\u0000b"}}`, "data.agent_id:"},
			{"POST", "/v1/events", `{"type":"agent.status","data":{"agent":{"id":"\u0000"}}}`, "data.agent.id:"},
			{"GET", "/v1/agents/a%00b", "", "id:"},
			{"GET", "/v1/agents/a%FFb/logs", "", "id:"},
			{"GET", "/v1/events?type=a%00", "", "type:"},
			{"GET", "/v1/agents?status=%FF", "", "status:"},
		} {
			st, v, _ := ts.sendRaw(c.method, c.path, c.body, "Authorization", auth, "Content-Type", "application/json")
			e, _ := v["error"].(map[string]any)
			if msg, _ := e["message"].(string); st != http.StatusBadRequest || !strings.HasPrefix(msg, c.field) {
				t.Errorf("%s %s %q: %d %v, want 400 starting %q", c.method, c.path, c.body, st, v, c.field)
			}
		}
	})
}

// TestResponseHeadersCapped: an endpoint answering with over 64 KiB of
// headers makes a failed attempt saying so; one with 20 KiB makes a
// success whose stored headers fit in 8 KiB.
func TestResponseHeadersCapped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		for _, c := range []struct {
			n       int
			success bool
			err     string
		}{{40, false, "the endpoint answered with response headers over 64 KiB"}, {20, true, ""}} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i < c.n; i++ {
					w.Header().Set(fmt.Sprintf("X-Big-%03d", i), strings.Repeat("v", 2048))
				}
			}))
			t.Cleanup(srv.Close)
			wh := ts.createWebhook(map[string]any{"url": srv.URL, "events": []string{"big.headers"}, "max_retries": 0})
			id, _ := ts.publish("big.headers", map[string]any{"n": c.n})
			d := ts.waitDelivery(wh.ID, ts.deliveryOf(id).ID, 30*time.Second)
			if len(d.AttemptList) != 1 {
				t.Fatalf("%d headers: %+v", c.n, d)
			}
			a := d.AttemptList[0]
			size := 0
			for k, vs := range a.ResponseHeaders {
				for _, v := range vs {
					size += len(k) + len(v) + 4
				}
			}
			if a.Success != c.success || a.Error != c.err || d.ErrorMessage != c.err || size > herald.MaxStoredHeaderBytes {
				t.Fatalf("%d headers: success %v error %q, %d bytes of headers kept", c.n, a.Success, a.Error, size)
			}
			ts.must(http.StatusNoContent, "DELETE", "/v1/webhooks/"+wh.ID, nil, nil)
		}
	})
}
