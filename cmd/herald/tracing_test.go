package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/tracing"
)

// traceReceiver is a receiver on 127.0.0.1 that answers the statuses of
// codes in turn (200 once they run out) and sends the traceparent of each
// request it gets on seen ("" when there was none).
func traceReceiver(t *testing.T, codes ...int) (*httptest.Server, <-chan string) {
	seen := make(chan string, 100)
	var n atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusOK
		if i := int(n.Add(1)) - 1; i < len(codes) {
			code = codes[i]
		}
		seen <- r.Header.Get("traceparent")
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc, seen
}

// tracedServer is a test server with tracing on, its spans kept in memory,
// and a receiver for its deliveries (see traceReceiver).
type tracedServer struct {
	*testServer
	tp   *sdktrace.TracerProvider
	exp  *tracetest.InMemoryExporter
	rc   *httptest.Server
	seen <-chan string
}

// startTraced starts a server on the engine of db whose tracer provider
// exports to an in-memory exporter, and a receiver that answers codes in
// turn (see traceReceiver).
func startTraced(t *testing.T, db func(*Config), codes ...int) *tracedServer {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp, err := tracing.NewProvider(context.Background(), sdktrace.WithSyncer(exp), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	ts := startServerWith(t, func(m *Main) { m.TracerProvider = tp }, db)
	rc, seen := traceReceiver(t, codes...)
	return &tracedServer{testServer: ts, tp: tp, exp: exp, rc: rc, seen: seen}
}

// publishTraced publishes an event with a traceparent header and returns
// the event's id.
func publishTraced(t *testing.T, ts *testServer, traceparent string) string {
	t.Helper()
	return postTraced(t, ts, "/v1/events", traceparent, map[string]any{"type": "order.created", "data": map[string]any{"n": 1}})
}

// postTraced posts v to path with a traceparent header, wants a 202, and
// returns the answer's id.
func postTraced(t *testing.T, ts *testServer, path, traceparent string, v any) string {
	t.Helper()
	body, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", ts.URL()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ts.key)
	req.Header.Set("Content-Type", "application/json")
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s: status %d, %v", path, resp.StatusCode, err)
	}
	return res.ID
}

// extract returns a context with the span context of a traceparent.
func extract(traceparent string) context.Context {
	return propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
}

func spanAttr(s sdktrace.ReadOnlySpan, k attribute.Key) attribute.Value {
	for _, a := range s.Attributes() {
		if a.Key == k {
			return a.Value
		}
	}
	return attribute.Value{}
}

// One trace follows an event from a publish that carries a traceparent to
// both attempts of its delivery, the second after a retry, and the
// receiver gets a traceparent of that trace each time.
func TestTracesPublishToAttempts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startTraced(t, db, http.StatusInternalServerError)
		wh := ts.createWebhook(map[string]any{"url": ts.rc.URL, "events": []string{"*"}, "max_retries": 2})

		const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		incoming := "00-" + traceID + "-00f067aa0ba902b7-01"
		eventID := publishTraced(t, ts.testServer, incoming)
		d := ts.waitDelivery(wh.ID, ts.deliveryOf(eventID).ID, 30*time.Second)
		if d.Status != herald.DeliverySuccess || d.Attempts != 2 {
			t.Fatalf("delivery %s after %d attempts, want success after 2", d.Status, d.Attempts)
		}
		for i := range 2 {
			got := recv(t, ts.seen, fmt.Sprintf("request %d", i+1))
			sc := trace.SpanContextFromContext(extract(got))
			if sc.TraceID().String() != traceID {
				t.Fatalf("attempt %d sent traceparent %q, want one of trace %s", i+1, got, traceID)
			}
		}
		if err := ts.tp.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}

		var server, queue, client int
		var attempts []sdktrace.ReadOnlySpan
		for _, s := range ts.exp.GetSpans().Snapshots() {
			if s.SpanContext().TraceID().String() != traceID {
				continue
			}
			switch {
			case s.Name() == "POST /v1/events":
				server++
				if s.SpanKind() != trace.SpanKindServer || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
					t.Errorf("server span: kind %s, parent %s; want server, the incoming span", s.SpanKind(), s.Parent().SpanID())
				}
			case s.Name() == "herald.queue":
				queue++
			case s.Name() == "herald.attempt":
				attempts = append(attempts, s)
			case s.SpanKind() == trace.SpanKindClient:
				client++
			}
		}
		if server != 1 || queue != 1 || client != 2 || len(attempts) != 2 {
			t.Fatalf("trace %s has %d server, %d queue, %d attempt and %d client spans; want 1, 1, 2, 2",
				traceID, server, queue, len(attempts), client)
		}
		for i, s := range attempts {
			n := int(spanAttr(s, delivery.AttrAttempt).AsInt64())
			code := spanAttr(s, "http.response.status_code").AsInt64()
			if spanAttr(s, delivery.AttrWebhookID).AsString() != wh.ID || spanAttr(s, delivery.AttrEventType).AsString() != "order.created" ||
				spanAttr(s, delivery.AttrEventID).AsString() != eventID || spanAttr(s, delivery.AttrDeliveryID).AsString() != d.ID {
				t.Errorf("attempt span %d has attributes %v", i, s.Attributes())
			}
			switch n {
			case 1:
				if code != 500 || s.Status().Code != codes.Error || spanAttr(s, delivery.AttrError).AsString() == "" {
					t.Errorf("first attempt: code %d, status %v, attributes %v; want 500, Error, an error", code, s.Status(), s.Attributes())
				}
			case 2:
				if code != 200 || s.Status().Code == codes.Error {
					t.Errorf("second attempt: code %d, status %v; want 200, not Error", code, s.Status())
				}
			default:
				t.Errorf("attempt span %d has attempt number %d", i, n)
			}
		}
	})
}

// With tracing off no trace context is stored or sent, even when the
// publish carries a traceparent.
func TestTracesOffSendNoTraceparent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc, seen := traceReceiver(t)
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}})
		eventID := publishTraced(t, ts, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		d := ts.waitDelivery(wh.ID, ts.deliveryOf(eventID).ID, 30*time.Second)
		if d.Status != herald.DeliverySuccess {
			t.Fatalf("delivery %s", d.Status)
		}
		if got := recv(t, seen, "the request"); got != "" {
			t.Fatalf("the receiver got traceparent %q with tracing off", got)
		}
	})
}

// An agent's report that fans out events starts the trace of their
// deliveries: the receiver gets a traceparent of the report's trace.
func TestTracesIngestReport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startTraced(t, db)
		ts.createWebhook(map[string]any{"url": ts.rc.URL, "events": []string{"agent.status"}})
		const traceID = "0af7651916cd43dd8448eb211c80319c"
		postTraced(t, ts.testServer, "/ingest/agent-status", "00-"+traceID+"-b7ad6b7169203331-01",
			map[string]any{"agent_id": "a1", "status": "running"})
		got := recv(t, ts.seen, "the delivery of agent.status")
		if sc := trace.SpanContextFromContext(extract(got)); sc.TraceID().String() != traceID {
			t.Fatalf("the receiver got traceparent %q, want one of trace %s", got, traceID)
		}
	})
}

// --otel-endpoint is read from HERALD_OTEL_ENDPOINT and the flag, and a
// value that is not an http(s) URL is refused naming it.
func TestOTelEndpointConfig(t *testing.T) {
	t.Setenv("HERALD_OTEL_ENDPOINT", "http://collector:4318")
	if cfg, err := loadServeConfig(t); err != nil || cfg.OTelEndpoint != "http://collector:4318" {
		t.Fatalf("HERALD_OTEL_ENDPOINT: %q %v", cfg.OTelEndpoint, err)
	}
	if _, err := loadServeConfig(t, "--otel-endpoint", "localhost:4318"); err == nil || !strings.Contains(err.Error(), "otel-endpoint") {
		t.Fatalf("got %v, want an error naming otel-endpoint", err)
	}
}
