package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestPortalLinkRoute mints portal links over the API and the CLI, opens
// one with a cookie-keeping client, and checks who may mint them.
func TestPortalLinkRoute(t *testing.T) {
	ts := startServer(t)
	ts.must(http.StatusCreated, "PUT", "/v1/tenants/acme", map[string]any{"name": "Acme"}, nil)
	ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"tenant_id": "acme", "url": "http://127.0.0.1:9/acme", "events": []string{"agent.*"}, "name": "acme-hook"}, nil)
	ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/own", "events": []string{"agent.*"}, "name": "platform-hook"}, nil)

	out, err := ts.herald("", "tenants", "portal", "acme", "--expires-in", "2h", "--capability", "manage_webhooks", "-o", "json")
	if err != nil {
		t.Fatalf("herald tenants portal: %v\n%s", err, out)
	}
	var link herald.PortalLink
	if err := json.Unmarshal([]byte(out), &link); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if left := time.Until(link.ExpiresAt); left < 2*time.Hour-time.Minute || left > 2*time.Hour || !strings.HasPrefix(link.URL, ts.URL()+"/ui/portal?token=") {
		t.Fatalf("link = %+v", link)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = c.Get(ts.URL() + "/ui/webhooks"); err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "acme-hook") || strings.Contains(string(body), "platform-hook") ||
		!strings.Contains(string(body), "Create Webhook") {
		t.Fatalf("the portal: %d\n%s", resp.StatusCode, body)
	}

	// The table output names the URL; bad options are refused by name.
	if out, err := ts.herald("", "tenants", "portal", "acme"); err != nil || !strings.Contains(out, "/ui/portal?token=") {
		t.Fatalf("table output: %v\n%s", err, out)
	}
	if out, err := ts.herald("", "tenants", "portal", "acme", "--expires-in", "1m"); err == nil || !strings.Contains(err.Error(), "expires_in") {
		t.Fatalf("--expires-in 1m: %v\n%s", err, out)
	}
	if out, err := ts.herald("", "tenants", "portal", "acme", "--capability", "root"); err == nil || !strings.Contains(err.Error(), "capabilities") {
		t.Fatalf("--capability root: %v\n%s", err, out)
	}
	if status, _ := ts.do("POST", "/v1/tenants/nobody/portal", nil); status != http.StatusNotFound {
		t.Fatalf("an unknown tenant: %d", status)
	}

	// A tenant's admin key may not mint links.
	var key struct{ Key string }
	ts.must(http.StatusCreated, "POST", "/v1/keys", map[string]any{"name": "acme-admin", "scope": "admin", "tenant_id": "acme"}, &key)
	req, _ := http.NewRequest("POST", ts.URL()+"/v1/tenants/acme/portal", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+key.Key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a tenant key minting a link: %d", resp.StatusCode)
	}
}

// TestUIOff checks that --ui=false serves no page, no redirect and no
// portal links.
func TestUIOff(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.UI = false })
	ts.must(http.StatusCreated, "PUT", "/v1/tenants/acme", map[string]any{}, nil)
	for _, path := range []string{"/", "/ui/", "/ui/login"} {
		resp, err := http.Get(ts.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s with --ui=false: %d", path, resp.StatusCode)
		}
	}
	if status, body := ts.do("POST", "/v1/tenants/acme/portal", nil); status != http.StatusNotFound || !strings.Contains(string(body), "--ui=false") {
		t.Errorf("portal link with --ui=false: %d %s", status, body)
	}
}
