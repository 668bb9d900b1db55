package main

import (
	"net/http"
	"testing"
)

// getWith sends GET path with headers (name, value pairs) and returns the
// status and the answer.
func (ts *testServer) getWith(path string, headers ...string) (int, map[string]any) {
	ts.t.Helper()
	st, out, _ := ts.sendRaw("GET", path, "", headers...)
	return st, out
}

// TestAsyncStatusURLTakesTheCallersCredential reads the status_url of
// async calls with the credential that made them, and checks that the
// credential reads nothing else.
func TestAsyncStatusURLTakesTheCallersCredential(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		ts.must(http.StatusOK, "PUT", "/v1/inbound/secrets/generic", map[string]any{"secret": "generic-secret"}, nil)
		ts.must(http.StatusCreated, "POST", "/api/webhooks", map[string]any{"name": "hook", "agent": "default", "secret": "hook-secret", "response_mode": "async"}, nil)

		st, out, _ := ts.postRaw("/api/webhooks/generic", `{"agent": "default", "message": "hi", "response_mode": "async"}`,
			"Content-Type", "application/json", "X-Webhook-Secret", "generic-secret")
		genericURL, _ := out["status_url"].(string)
		if st != http.StatusAccepted || genericURL == "" {
			t.Fatalf("generic async: %d %v", st, out)
		}
		st, out, _ = ts.postRaw("/api/webhooks/hook", `{"message": "hello"}`, "Content-Type", "application/json", "X-Webhook-Secret", "hook-secret")
		hookURL, _ := out["status_url"].(string)
		if st != http.StatusAccepted || hookURL == "" {
			t.Fatalf("named async: %d %v", st, out)
		}

		// The caller's credential reads its invocation, as every inbound
		// route takes it.
		for _, c := range []struct {
			url     string
			headers []string
			want    string
		}{
			{genericURL, []string{"X-Webhook-Secret", "generic-secret"}, "hi"},
			{hookURL, []string{"Authorization", "Bearer hook-secret"}, "hello"},
		} {
			st, inv := ts.getWith(c.url, c.headers...)
			if st != http.StatusOK || inv["message"] != c.want || "/v1/invocations/"+inv["id"].(string) != c.url {
				t.Fatalf("%s with the caller's credential: %d %v", c.url, st, inv)
			}
		}
		// The admin key reads both, as before.
		for _, u := range []string{genericURL, hookURL} {
			if st, _ := ts.getWith(u, "Authorization", "Bearer "+ts.key); st != http.StatusOK {
				t.Fatalf("%s with the admin key: %d", u, st)
			}
		}
		// Neither credential reads the other's invocation, a wrong one
		// reads nothing, and none lists invocations.
		for _, c := range [][]string{
			{genericURL, "X-Webhook-Secret", "hook-secret"},
			{hookURL, "X-Webhook-Secret", "generic-secret"},
			{hookURL, "X-Webhook-Secret", "wrong-secret"},
			{"/v1/invocations/inv_nope", "X-Webhook-Secret", "generic-secret"},
			{"/v1/invocations", "Authorization", "Bearer generic-secret"},
		} {
			if st, out := ts.getWith(c[0], c[1:]...); st != http.StatusUnauthorized {
				t.Fatalf("%s with %s: %s: %d %v", c[0], c[1], c[2], st, out)
			}
		}
	})
}
