package tracing

import "testing"

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
