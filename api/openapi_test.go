package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/eventschema"
	"github.com/heraldhq/herald/internal/openapicheck"
)

var update = flag.Bool("update", false, "rewrite the generated webhooks: section of openapi.yaml")

// TestOpenAPIIsValid is the lint step: the document loads and validates
// as OpenAPI 3.1, every operation has an id or is shared, and the JSON
// served is the YAML.
func TestOpenAPIIsValid(t *testing.T) {
	doc, err := openapicheck.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Webhooks) == 0 {
		t.Error("openapi.yaml has no webhooks: section")
	}
	js, err := api.OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := openapi3.NewLoader().LoadFromData(js)
	if err != nil {
		t.Fatalf("the JSON of the document does not load: %v", err)
	}
	a, _ := json.Marshal(doc)
	b, _ := json.Marshal(fromJSON)
	if !bytes.Equal(a, b) {
		t.Error("the JSON of the document says something else than openapi.yaml")
	}
}

// TestOpenAPICoversEveryRoute: every route registered in api.go is in the
// document, and every operation of the document is routed.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, err := openapicheck.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{})
	routed := map[string]string{}
	for _, p := range srv.Routes() {
		if !strings.Contains(p, " ") {
			t.Errorf("route %q has no method; REST routes are registered as \"METHOD /path\"", p)
			continue
		}
		routed[openapicheck.Normalize(p)] = p
	}
	documented := map[string]string{}
	for _, p := range openapicheck.Routes(doc) {
		documented[openapicheck.Normalize(p)] = p
	}
	var missing, extra []string
	for n, p := range routed {
		if _, ok := documented[n]; !ok {
			missing = append(missing, p)
		}
	}
	for n, p := range documented {
		if _, ok := routed[n]; !ok {
			extra = append(extra, p)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	for _, p := range missing {
		t.Errorf("route %s is registered in api/api.go but not described in api/openapi.yaml (add it under paths:)", p)
	}
	for _, p := range extra {
		t.Errorf("api/openapi.yaml describes %s but api/api.go routes no such route", p)
	}
	if len(routed) < 60 {
		t.Errorf("only %d routes registered; Routes lost some", len(routed))
	}
}

// TestOpenAPIServed: GET /openapi.json answers the document without a key.
func TestOpenAPIServed(t *testing.T) {
	srv := httptest.NewServer(api.New(api.Config{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Paths["/v1/webhooks"] == nil {
		t.Errorf("GET /openapi.json: openapi %q, paths %d", doc.OpenAPI, len(doc.Paths))
	}
}

// TestOpenAPIWebhooksMatchCatalogue: the webhooks: section, at the end of
// openapi.yaml, is what webhooksSection makes of the built-in catalogue;
// -update rewrites it.
func TestOpenAPIWebhooksMatchCatalogue(t *testing.T) {
	const path = "openapi.yaml"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(src, []byte("\nwebhooks:\n"))
	want := webhooksSection(t)
	if *update {
		if i < 0 {
			i = len(src) - 1
		}
		if err := os.WriteFile(path, append(src[:i+1:i+1], want...), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if i < 0 {
		t.Fatal("openapi.yaml has no webhooks: section; run go test ./api -run TestOpenAPIWebhooksMatchCatalogue -update")
	}
	if got := string(src[i+1:]); got != want {
		t.Errorf("the webhooks: section of openapi.yaml is not the catalogue's (eventschema.Builtin); run go test ./api -run TestOpenAPIWebhooksMatchCatalogue -update\n%s", firstDiff(got, want))
	}
}

// webhooksSection writes the webhooks: section: one entry per built-in
// event type, its payload the common Payload with the type's data schema
// and example.
func webhooksSection(t *testing.T) string {
	var b strings.Builder
	b.WriteString("webhooks:\n")
	b.WriteString("  # Generated from eventschema.Builtin by go test ./api -run TestOpenAPIWebhooksMatchCatalogue -update; do not edit.\n")
	for _, et := range eventschema.Builtin() {
		var schema map[string]any
		if err := json.Unmarshal(et.Schema, &schema); err != nil {
			t.Fatal(err)
		}
		delete(schema, "$schema") // the document's dialect is 2020-12 already
		var data any
		if err := json.Unmarshal(et.Example, &data); err != nil {
			t.Fatal(err)
		}
		example := map[string]any{
			"id": "evt_2kq3n5b8c1d4", "event": et.Name, "type": et.Name, "created": 1767366245,
			"timestamp": "2026-01-02T15:04:05.000000Z", "webhook": map[string]string{"id": "wh_2kq3n5b8c1d4", "name": "Orders"}, "data": data,
		}
		name, _ := json.Marshal(et.Name)
		desc, _ := json.Marshal(et.Description)
		fmt.Fprintf(&b, "  %s:\n    post:\n      summary: %s\n      description: %s\n", et.Name, name, desc)
		b.WriteString("      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              allOf:\n")
		b.WriteString("                - $ref: \"#/components/schemas/Payload\"\n")
		fmt.Fprintf(&b, "                - properties:\n                    event: {const: %s}\n                    type: {const: %s}\n                    data: %s\n", name, name, compact(t, schema))
		fmt.Fprintf(&b, "            example: %s\n", compact(t, example))
		b.WriteString("      responses:\n        \"200\":\n          description: Any 2xx answer is a success; other answers and timeouts are retried.\n")
	}
	return b.String()
}

func compact(t *testing.T, v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String())
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d of the section:\n have %q\n want %q", i+1, gl, wl)
		}
	}
	return ""
}

// TestOpenAPIWebhooksDescribeWhatIsSent: the body Herald sends for each
// built-in type (delivery.Body, with the catalogue's example as data, for
// the platform and for a tenant) satisfies its entry under webhooks:.
func TestOpenAPIWebhooksDescribeWhatIsSent(t *testing.T) {
	doc, err := openapicheck.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, et := range eventschema.Builtin() {
		item := doc.Webhooks[et.Name]
		if item == nil || item.Post == nil || item.Post.RequestBody == nil {
			t.Errorf("webhooks: has no post for %s", et.Name)
			continue
		}
		schema := item.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
		for _, tenant := range []herald.TenantID{"", "acme"} {
			ev := &herald.Event{ID: "evt_1", TenantID: tenant, Type: et.Name, Data: et.Example, Created: time.Unix(1767366245, 0)}
			var body any
			if err := json.Unmarshal(delivery.Body(ev, "wh_1", "Orders"), &body); err != nil {
				t.Fatal(err)
			}
			if err := schema.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("%s (tenant %q): the body sent does not match webhooks.%s: %v", et.Name, tenant, et.Name, err)
			}
			wrong := map[string]any{}
			for k, v := range body.(map[string]any) {
				wrong[k] = v
			}
			wrong["type"] = "other.type"
			if schema.VisitJSON(wrong, openapi3.EnableJSONSchema2020()) == nil {
				t.Errorf("webhooks.%s accepts a body of another type", et.Name)
			}
		}
	}
}
