package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	for _, ok := range []string{"", "http://localhost:4318", "https://otel.example.com/otlp"} {
		if err := CheckEndpoint(ok); err != nil {
			t.Errorf("CheckEndpoint(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"localhost:4318", "grpc://localhost:4317", "http://"} {
		if err := CheckEndpoint(bad); err == nil {
			t.Errorf("CheckEndpoint(%q) took it", bad)
		}
	}
}

func TestEnabled(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if Enabled("") {
		t.Fatal("on with nothing set")
	}
	if !Enabled("http://localhost:4318") {
		t.Fatal("off with --otel-endpoint set")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:4318/v1/traces")
	if !Enabled("") {
		t.Fatal("off with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set")
	}
}

func TestTraced(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/events": true, "/ingest/agent-status": true, "/api/webhooks/hook": true,
		"/metrics": false, "/healthz": false, "/ui/": false,
	} {
		if Traced(path) != want {
			t.Errorf("Traced(%q) = %v", path, !want)
		}
	}
}

// New with an endpoint sends the spans to its /v1/traces by OTLP/HTTP.
func TestNewExportsToEndpoint(t *testing.T) {
	got := make(chan string, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
	}))
	defer collector.Close()
	tp, err := New(context.Background(), collector.URL+"/otlp", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer(ScopeName).Start(context.Background(), "test")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		if req != "POST /otlp/v1/traces application/x-protobuf" {
			t.Fatalf("the collector got %q", req)
		}
	default:
		t.Fatal("the collector got nothing")
	}
}
