package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// errorOf decodes an error answer and checks its shape.
func errorOf(t *testing.T, body []byte) (code, message string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error answer: %s", body)
	}
	return e.Error.Code, e.Error.Message
}

func TestAuthRequired(t *testing.T) {
	ts := startServer(t)
	for _, h := range []map[string]string{
		{},
		{"Authorization": "Bearer hk_wrong"},
		{"X-API-Key": "nope"},
	} {
		req, _ := http.NewRequest("GET", ts.URL()+"/v1/webhooks", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%v: status %d %s", h, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if code, _ := errorOf(t, body); code != "unauthorized" {
			t.Fatalf("code %q", code)
		}
	}
	// X-API-Key works as well as Bearer.
	req, _ := http.NewRequest("GET", ts.URL()+"/v1/webhooks", nil)
	req.Header.Set("X-API-Key", ts.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("X-API-Key: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func TestIngestKeyCannotManage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		var k herald.APIKey
		ts.must(201, "POST", "/v1/keys", map[string]string{"name": "agent", "scope": "ingest"}, &k)
		if !strings.HasPrefix(k.Key, "hk_") || k.Scope != "ingest" {
			t.Fatalf("key: %+v", k)
		}
		admin := ts.key
		ts.key = k.Key
		status, body := ts.do("GET", "/v1/webhooks", nil)
		if code, _ := errorOf(t, body); status != 403 || code != "forbidden" {
			t.Fatalf("ingest key on admin route: %d %s", status, body)
		}
		ts.key = admin
		ts.must(204, "DELETE", "/v1/keys/"+k.ID, nil, nil)
		ts.key = k.Key
		if status, _ := ts.do("GET", "/v1/webhooks", nil); status != 401 {
			t.Fatalf("revoked key: %d", status)
		}
	})
}

func TestWebhookValidationNamesField(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AllowHTTP = false })
	cases := []struct {
		body  any
		field string
	}{
		{map[string]any{"events": []string{"*"}}, "url"},
		{map[string]any{"url": "http://example.com", "events": []string{"*"}}, "url"},
		{map[string]any{"url": "https://example.com", "events": []string{"agent.**"}}, "events"},
		{map[string]any{"url": "https://example.com", "events": []string{"*"}, "timeout_seconds": 500}, "timeout_seconds"},
		{map[string]any{"url": "https://example.com", "events": []string{"*"}, "max_retries": "three"}, "max_retries"},
		{map[string]any{"url": "https://example.com", "events": []string{"*"}, "headers": map[string]string{"Host": "x"}}, "headers"},
		{map[string]any{"url": "https://example.com", "events": []string{"*"}, "color": "red"}, "color"},
		{map[string]any{"url": "https://example.com", "events": []string{"*"}, "signature_format": "md5"}, "signature_format"},
	}
	for _, c := range cases {
		status, body := ts.do("POST", "/v1/webhooks", c.body)
		code, msg := errorOf(t, body)
		if status != 400 || code != "invalid" || !strings.Contains(msg, c.field) {
			t.Errorf("%v: %d %s %q, want 400 naming %s", c.body, status, code, msg, c.field)
		}
	}
	req, _ := http.NewRequest("POST", ts.URL()+"/v1/webhooks", strings.NewReader(`{"url": `))
	req.Header.Set("Authorization", "Bearer "+ts.key)
	resp, _ := http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if code, _ := errorOf(t, body); resp.StatusCode != 400 || code != "invalid" {
		t.Errorf("malformed JSON: %d %s", resp.StatusCode, body)
	}
}

func TestWebhookCRUDOverHTTP(t *testing.T) {
	ts := startServer(t)
	var created herald.Webhook
	ts.must(201, "POST", "/v1/webhooks/", map[string]any{"url": "https://example.com/a", "events": []string{"agent.*", "deployment.*"}}, &created)
	if !strings.HasPrefix(created.ID, "wh_") || !strings.HasPrefix(created.Secret, "whsec_") || !created.IsActive ||
		created.TimeoutSeconds != 30 || created.MaxRetries != 3 || !created.VerifySSL || created.SignatureFormat != "sha256=hex" {
		t.Fatalf("created: %+v", created)
	}
	var got herald.Webhook
	ts.must(200, "GET", "/v1/webhooks/"+created.ID, nil, &got)
	if got.Secret != "" {
		t.Fatal("GET returned the secret")
	}
	var patched herald.Webhook
	ts.must(200, "PATCH", "/v1/webhooks/"+created.ID, map[string]any{"is_active": false, "max_retries": 5}, &patched)
	if patched.IsActive || patched.MaxRetries != 5 || patched.URL != "https://example.com/a" || len(patched.Events) != 2 || patched.Secret != "" {
		t.Fatalf("patched: %+v", patched)
	}
	for i := 0; i < 3; i++ {
		ts.must(201, "POST", "/v1/webhooks", map[string]any{"url": "https://example.com/b", "events": []string{"*"}}, nil)
	}
	var page struct {
		Items       []herald.Webhook `json:"items"`
		Total       int              `json:"total"`
		Skip, Limit int
	}
	ts.must(200, "GET", "/v1/webhooks?skip=1&limit=2", nil, &page)
	if page.Total != 4 || len(page.Items) != 2 || page.Skip != 1 || page.Limit != 2 {
		t.Fatalf("page: %+v", page)
	}
	if status, body := ts.do("GET", "/v1/webhooks?limit=abc", nil); status != 400 || !strings.Contains(string(body), "limit") {
		t.Fatalf("bad limit: %d %s", status, body)
	}
	ts.must(204, "DELETE", "/v1/webhooks/"+created.ID, nil, nil)
	status, body := ts.do("GET", "/v1/webhooks/"+created.ID, nil)
	if code, _ := errorOf(t, body); status != 404 || code != "not_found" {
		t.Fatalf("after delete: %d %s", status, body)
	}
}

func TestEventsIdempotentAndListed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(200))
		ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"deployment.*"}})
		var first, second struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			Created    int64  `json:"created"`
			Deliveries int    `json:"deliveries"`
		}
		body := map[string]any{"id": "deploy-7", "type": "deployment.created", "data": map[string]any{"deployment_id": "d7", "agent_id": "a1"}}
		ts.must(202, "POST", "/v1/events", body, &first)
		ts.must(200, "POST", "/v1/events", body, &second)
		if first.ID != "deploy-7" || second.ID != "deploy-7" || first.Deliveries != 1 || second.Deliveries != 1 || first.Created == 0 {
			t.Fatalf("first %+v second %+v", first, second)
		}
		<-rc.hits
		select {
		case <-rc.hits:
			t.Fatal("the repeated event was delivered twice")
		case <-time.After(300 * time.Millisecond):
		}
		for _, bad := range []map[string]any{
			{"type": "Deployment.Created"},
			{"type": ""},
			{"type": "a.b", "data": []int{1}},
			{"type": "a.b", "id": "has space"},
		} {
			if status, b := ts.do("POST", "/v1/events", bad); status != 400 {
				t.Errorf("%v: %d %s", bad, status, b)
			}
		}
		var list struct {
			Items []herald.Event `json:"items"`
			Total int            `json:"total"`
		}
		ts.must(200, "GET", "/v1/events?type=deployment.created", nil, &list)
		if list.Total != 1 || list.Items[0].ID != "deploy-7" {
			t.Fatalf("list: %+v", list)
		}
	})
}

func TestBodyTooLarge(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBodyBytes = 2048 })
	status, body := ts.do("POST", "/v1/events", map[string]any{"type": "a.b", "data": map[string]string{"x": strings.Repeat("y", 4096)}})
	if code, _ := errorOf(t, body); status != 413 || code != "too_large" {
		t.Fatalf("got %d %s", status, body)
	}
}

func TestWebhookTestEndpoint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(418))
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"deployment.failed"}, "max_retries": 0})
		var res struct {
			DeliveryID string `json:"delivery_id"`
			Success    bool   `json:"success"`
			StatusCode *int   `json:"status_code"`
			DurationMS int64  `json:"duration_ms"`
			Error      string `json:"error"`
		}
		ts.must(200, "POST", "/v1/webhooks/"+wh.ID+"/test", nil, &res)
		if res.Success || res.StatusCode == nil || *res.StatusCode != 418 || res.Error == "" || res.DeliveryID == "" {
			t.Fatalf("test result: %+v", res)
		}
		c := recv(t, rc.hits, "request at the receiver")
		if c.Header.Get("X-Webhook-Event") != "webhook.test" {
			t.Fatalf("event header %q", c.Header.Get("X-Webhook-Event"))
		}
		var d herald.Delivery
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID+"/deliveries/"+res.DeliveryID, nil, &d)
		if d.Attempts != 1 || d.Event != "webhook.test" {
			t.Fatalf("test delivery not in history: %+v", d)
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(200))
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}})
		evID, _ := ts.publish("agent.started", map[string]any{"agent_id": "a"})
		ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 10*time.Second)
		for _, p := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(ts.URL() + p)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: %v %v", p, resp.StatusCode, err)
			}
			resp.Body.Close()
		}
		resp, err := http.Get(ts.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			"herald_events_accepted_total 1",
			`herald_deliveries_total{outcome="success"} 1`,
			"herald_delivery_attempt_duration_seconds_bucket",
			"herald_queue_depth",
			`herald_delivery_in_flight{webhook_id="` + wh.ID + `"} 0`,
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func TestWorkerRoleServesOnlyProbes(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Role = "worker" })
	if status, _ := ts.do("GET", "/v1/webhooks", nil); status != 404 {
		t.Fatalf("worker answered /v1 with %d", status)
	}
	resp, err := http.Get(ts.URL() + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v", err)
	}
	resp.Body.Close()
}

func TestBodyContentType(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct {
		ct   string
		want int
	}{
		{"", http.StatusCreated},
		{"application/json; charset=utf-8", http.StatusCreated},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
	} {
		req, _ := http.NewRequest("POST", ts.URL()+"/v1/webhooks",
			strings.NewReader(`{"url": "http://127.0.0.1:9/x", "events": ["agent.*"]}`))
		req.Header.Set("Authorization", "Bearer "+ts.key)
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Content-Type %q: %d %s, want %d", tc.ct, resp.StatusCode, body, tc.want)
		}
		if tc.want == http.StatusUnsupportedMediaType {
			if code, msg := errorOf(t, body); code != herald.EUNSUPPORTED || !strings.Contains(msg, "-H 'Content-Type: application/json'") {
				t.Errorf("Content-Type %q: %s %s", tc.ct, code, msg)
			}
		}
	}
}

// answerTime is the one format of times in answers: RFC 3339 in UTC with
// exactly six fractional digits.
var answerTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func TestAnswerTimesOneFormat(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		var created struct {
			ID string `json:"id"`
		}
		ts.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"agent.*"}}, &created)
		var wh, keys map[string]any
		ts.must(http.StatusOK, "GET", "/v1/webhooks/"+created.ID, nil, &wh)
		ts.must(http.StatusOK, "GET", "/v1/keys", nil, &keys)
		key := keys["items"].([]any)[0].(map[string]any)
		for name, v := range map[string]any{"webhook created_at": wh["created_at"], "webhook updated_at": wh["updated_at"],
			"key created_at": key["created_at"]} {
			if s, _ := v.(string); !answerTime.MatchString(s) {
				t.Errorf("%s = %v, want RFC 3339 UTC with microseconds", name, v)
			}
		}
		got, err := client.New(ts.URL(), ts.key).Webhooks.Get(context.Background(), created.ID)
		if err != nil || got.CreatedAt.IsZero() || got.CreatedAt.Format(herald.TimestampFormat) != wh["created_at"] {
			t.Errorf("SDK: %v %v, answer %v", got, err, wh["created_at"])
		}
	})
}

func TestKeysListShowsLastUsed(t *testing.T) {
	ts := startServer(t)
	var k herald.APIKey
	ts.must(http.StatusCreated, "POST", "/v1/keys", map[string]string{"name": "ops", "scope": "admin"}, &k)
	lastUsed := func() string {
		out, err := ts.herald("", "keys", "list", "-o", "json")
		if err != nil {
			t.Fatalf("keys list: %v\n%s", err, out)
		}
		var keys struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal([]byte(out), &keys); err != nil {
			t.Fatalf("keys list: %v\n%s", err, out)
		}
		for _, key := range keys.Items {
			if key["id"] == k.ID {
				s, _ := key["last_used_at"].(string)
				return s
			}
		}
		t.Fatalf("key %s not listed:\n%s", k.ID, out)
		return ""
	}
	if got := lastUsed(); got != "" {
		t.Fatalf("unused key: last_used_at = %q", got)
	}
	use := func() {
		req, _ := http.NewRequest("GET", ts.URL()+"/v1/webhooks", nil)
		req.Header.Set("X-API-Key", k.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("use key: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	use()
	first := lastUsed()
	if !answerTime.MatchString(first) {
		t.Fatalf("used key: last_used_at = %q", first)
	}
	// Used again within the minute: not written again.
	use()
	if got := lastUsed(); got != first {
		t.Fatalf("last_used_at written again within a minute: %q, then %q", first, got)
	}
}
