package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/internal/openapicheck"
)

// openAPIChecker validates the traffic of every test server against
// api/openapi.yaml; it is made once.
var openAPIChecker = sync.OnceValues(openapicheck.New)

// checkOpenAPI wraps the handler of m so that every request the test
// sends and every answer are validated against the OpenAPI document; the
// test fails at cleanup with each mismatch, naming the route and field.
func checkOpenAPI(t *testing.T, m *Main) {
	t.Helper()
	c, err := openAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	var found openapicheck.Mismatches
	m.WrapHandler = func(h http.Handler) http.Handler { return c.Middleware(h, found.Add) }
	t.Cleanup(func() {
		for _, s := range found.List() {
			t.Errorf("openapi: %s", s)
		}
	})
}

// TestOpenAPIMiddlewareCatchesMismatches: the validating middleware
// reports an answer that the document does not allow, an undocumented
// route the server answers, and a request the server accepted although
// the document refuses it; what agrees is not reported.
func TestOpenAPIMiddlewareCatchesMismatches(t *testing.T) {
	c, err := openAPIChecker()
	if err != nil {
		t.Fatal(err)
	}
	var found openapicheck.Mismatches
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte(`{"status":"ok"}`))
		case "/v1/keys":
			w.Write([]byte(`{"items":[{"id":"k1","name":"n","scope":"admin","prefix":"hk_","tenant_id":null,"created_at":"2026-01-02T15:04:05.000000Z","last_used_at":null,"revoked_at":null,"secret_hint":"x"}],"total":1,"skip":0,"limit":1}`))
		case "/readyz":
			w.Write([]byte(`{"status":42}`))
		case "/v1/secret-route":
			w.Write([]byte(`{}`))
		case "/v1/webhooks":
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no"}}`))
		}
	}), found.Add)
	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, "http://herald.test"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	send("GET", "/healthz", "")
	send("GET", "/v1/nothing-here", "")
	if got := found.List(); len(got) != 0 {
		t.Fatalf("agreeing traffic reported: %q", got)
	}
	send("GET", "/readyz", "")
	send("GET", "/v1/secret-route", "")
	send("POST", "/v1/webhooks", `{"url":"https://example.com","no_such_field":1}`)
	send("GET", "/v1/keys", "")
	for _, m := range found.List() {
		if len(m) > 2000 {
			t.Errorf("a mismatch is told in %d bytes: %.300s…", len(m), m)
		}
	}
	got := strings.Join(found.List(), "\n")
	for _, want := range []string{
		"GET /readyz (GET /readyz): the answer 200 does not match the document: at /status: ",
		"GET /v1/secret-route answered 200 but api/openapi.yaml has no operation for it",
		"POST /v1/webhooks (POST /v1/webhooks): the server answered 201 but the document refuses the request",
		"no_such_field",
		"POST /v1/webhooks (POST /v1/webhooks): the answer 201 does not match the document: at /id: property \"id\" is missing",
		"GET /v1/keys (GET /v1/keys): the answer 200 has the field /items/0/secret_hint, which the document does not describe",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("mismatches lack %q:\n%s", want, got)
		}
	}
}

// TestOpenAPICommand: herald openapi prints the document as YAML, and as
// the JSON GET /openapi.json answers with --format json.
func TestOpenAPICommand(t *testing.T) {
	ts := startServer(t)
	yml, err := exec.Command(heraldBinary(t), "openapi").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(yml, api.OpenAPIYAML()) || !bytes.Contains(yml, []byte("\nopenapi: 3.1")) {
		t.Errorf("herald openapi: %.80s", yml)
	}
	js, err := exec.Command(heraldBinary(t), "openapi", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	status, served := ts.do("GET", "/openapi.json", nil)
	if status != http.StatusOK || !bytes.Equal(js, served) {
		t.Errorf("herald openapi --format json is not what GET /openapi.json answers (%d)", status)
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil || doc["webhooks"] == nil {
		t.Errorf("herald openapi --format json: %v", err)
	}
	if out, err := exec.Command(heraldBinary(t), "openapi", "--format", "xml").CombinedOutput(); err == nil || !strings.Contains(string(out), "--format: must be yaml or json") {
		t.Errorf("--format xml: %v: %s", err, out)
	}
}
