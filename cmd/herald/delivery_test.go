package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

type fileInfo struct {
	content string
	mode    os.FileMode
}

func readFileMode(path string) (fileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileInfo{}, err
	}
	b, err := os.ReadFile(path)
	return fileInfo{string(b), st.Mode().Perm()}, err
}

// captured is one request a test receiver got.
type captured struct {
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP endpoint on 127.0.0.1 that answers with the
// statuses of answer in turn (the last one repeating) and records requests.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []captured
	hits chan captured
	n    atomic.Int64
}

func newReceiver(t *testing.T, answer func(n int64, w http.ResponseWriter)) *receiver {
	rc := &receiver{hits: make(chan captured, 10000)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := captured{r.Header.Clone(), body}
		rc.mu.Lock()
		rc.got = append(rc.got, c)
		rc.mu.Unlock()
		n := rc.n.Add(1)
		answer(n, w)
		rc.hits <- c
	}))
	t.Cleanup(rc.Close)
	return rc
}

func statuses(codes ...int) func(n int64, w http.ResponseWriter) {
	return func(n int64, w http.ResponseWriter) {
		i := min(int(n), len(codes)) - 1
		w.WriteHeader(codes[i])
	}
}

func TestDeliverySignedAndRecorded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(200))
		wh := ts.createWebhook(map[string]any{
			"url": rc.URL + "/hook", "events": []string{"agent.*"}, "name": "My Hook",
			"secret": "my-secret-123", "headers": map[string]string{"X-Team": "ops"},
		})
		if wh.Secret != "my-secret-123" {
			t.Fatalf("create answer secret = %q", wh.Secret)
		}
		evID, n := ts.publish("agent.status", map[string]any{"agent_id": "a1", "new_status": "running", "old_status": "idle"})
		if n != 1 {
			t.Fatalf("deliveries = %d, want 1", n)
		}
		c := recv(t, rc.hits, "request at the receiver")
		d := ts.deliveryOf(evID)
		d = ts.waitDelivery(wh.ID, d.ID, 10*time.Second)

		mac := hmac.New(sha256.New, []byte("my-secret-123"))
		mac.Write(c.Body)
		if got, want := c.Header.Get("X-Webhook-Signature"), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
			t.Errorf("signature %q, want %q", got, want)
		}
		for k, want := range map[string]string{
			"Content-Type": "application/json", "X-Team": "ops", "X-Webhook-Event": "agent.status",
			"X-Webhook-Delivery": d.ID, "Webhook-Id": evID,
		} {
			if got := c.Header.Get(k); got != want {
				t.Errorf("header %s = %q, want %q", k, got, want)
			}
		}
		if !strings.HasPrefix(c.Header.Get("User-Agent"), "Herald/") {
			t.Errorf("user agent %q", c.Header.Get("User-Agent"))
		}
		ts2 := c.Header.Get("Webhook-Timestamp")
		std := hmac.New(sha256.New, []byte("my-secret-123"))
		std.Write([]byte(evID + "." + ts2 + "." + string(c.Body)))
		if got, want := c.Header.Get("Webhook-Signature"), "v1,"+base64.StdEncoding.EncodeToString(std.Sum(nil)); got != want {
			t.Errorf("standard signature %q, want %q", got, want)
		}
		var ev herald.Event
		ts.must(200, "GET", "/v1/events/"+evID, nil, &ev)
		want := `{"id":"` + evID + `","event":"agent.status","type":"agent.status","created":` +
			itoa(ev.Created.Unix()) + `,"timestamp":"` + ev.Created.UTC().Format(herald.TimestampFormat) +
			`","webhook":{"id":"` + wh.ID + `","name":"My Hook"},"data":{"agent_id":"a1","new_status":"running","old_status":"idle"}}`
		if string(c.Body) != want {
			t.Errorf("body\n got %s\nwant %s", c.Body, want)
		}
		if !d.Success || d.Status != "success" || d.Attempts != 1 || d.ResponseStatusCode == nil || *d.ResponseStatusCode != 200 ||
			d.DeliveredAt == nil || len(d.AttemptList) != 1 || d.AttemptList[0].Number != 1 {
			t.Errorf("delivery record: %+v", d)
		}
		var hook herald.Webhook
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID, nil, &hook)
		if hook.Secret != "" || hook.LastTriggeredAt == nil || hook.LastSuccessAt == nil || hook.LastFailureAt != nil {
			t.Errorf("webhook after delivery: secret %q, timestamps %v %v %v", hook.Secret, hook.LastTriggeredAt, hook.LastSuccessAt, hook.LastFailureAt)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDeliveryRetriesUntilSuccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(500, 500, 200))
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}})
		evID, _ := ts.publish("deployment.failed", map[string]any{"deployment_id": "d1", "error": "boom"})
		d := ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 15*time.Second)
		if !d.Success || d.Attempts != 3 || len(d.AttemptList) != 3 {
			t.Fatalf("delivery: success=%v attempts=%d list=%d", d.Success, d.Attempts, len(d.AttemptList))
		}
		for i, a := range d.AttemptList {
			wantCode := []int{500, 500, 200}[i]
			if a.Number != i+1 || a.StatusCode == nil || *a.StatusCode != wantCode || a.Success != (wantCode == 200) {
				t.Errorf("attempt %d: %+v", i, a)
			}
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.got) != 3 || string(rc.got[0].Body) != string(rc.got[2].Body) ||
			rc.got[0].Header.Get("webhook-id") != rc.got[2].Header.Get("webhook-id") {
			t.Fatalf("retries must resend the same body and webhook-id")
		}
	})
}

func TestDeliveryFailsAfterMaxRetries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(503))
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}, "max_retries": 2})
		evID, _ := ts.publish("agent.crashed", map[string]any{"agent_id": "a1"})
		d := ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 15*time.Second)
		if d.Status != "failed" || d.Success || d.Attempts != 3 || !strings.Contains(d.ErrorMessage, "503") {
			t.Fatalf("delivery: %+v", d)
		}
		if rc.n.Load() != 3 {
			t.Fatalf("receiver got %d requests, want max_retries+1 = 3", rc.n.Load())
		}
		var list struct {
			Items []herald.Delivery `json:"items"`
			Total int               `json:"total"`
		}
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID+"/deliveries?success=false", nil, &list)
		if list.Total != 1 || list.Items[0].ID != d.ID {
			t.Fatalf("success=false list: %+v", list)
		}
		ts.must(200, "GET", "/v1/webhooks/"+wh.ID+"/deliveries?success=true", nil, &list)
		if list.Total != 0 {
			t.Fatalf("success=true list: %+v", list)
		}

		// A manual retry sends it again now, as a new attempt, after failure.
		var retried herald.Delivery
		ts.must(http.StatusAccepted, "POST", "/v1/webhooks/"+wh.ID+"/deliveries/"+d.ID+"/retry", nil, &retried)
		d = ts.waitDelivery(wh.ID, d.ID, 10*time.Second)
		if d.Attempts != 4 || d.Status != "failed" || rc.n.Load() != 4 {
			t.Fatalf("after manual retry: attempts %d status %s requests %d", d.Attempts, d.Status, rc.n.Load())
		}
	})
}

func TestDeliveryTimesOut(t *testing.T) {
	ts := startServer(t)
	release := make(chan struct{})
	rc := newReceiver(t, func(n int64, w http.ResponseWriter) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the receiver closes
	wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}, "timeout_seconds": 1, "max_retries": 0})
	evID, _ := ts.publish("agent.heartbeat", map[string]any{"agent_id": "a1"})
	d := ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 15*time.Second)
	if d.Status != "failed" || !strings.Contains(d.ErrorMessage, "timed out") || d.AttemptList[0].DurationMS < 900 {
		t.Fatalf("delivery: %+v attempt %+v", d, d.AttemptList[0])
	}
}

func TestDeliveryRetryAfter(t *testing.T) {
	ts := startServer(t)
	rc := newReceiver(t, func(n int64, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(204)
	})
	wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}})
	evID, _ := ts.publish("agent.status", map[string]any{})
	d := ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 15*time.Second)
	if !d.Success || d.Attempts != 2 {
		t.Fatalf("delivery: %+v", d)
	}
	gap := d.AttemptList[1].StartedAt.Sub(d.AttemptList[0].StartedAt)
	if gap < 900*time.Millisecond {
		t.Fatalf("retry came %s after a Retry-After of 1s", gap)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	ts := startServer(t)
	target := newReceiver(t, statuses(200))
	rc := newReceiver(t, func(n int64, w http.ResponseWriter) {
		w.Header().Set("Location", target.URL)
		w.WriteHeader(302)
	})
	wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"*"}, "max_retries": 0})
	evID, _ := ts.publish("agent.status", map[string]any{})
	d := ts.waitDelivery(wh.ID, ts.deliveryOf(evID).ID, 10*time.Second)
	if d.Success || *d.ResponseStatusCode != 302 || target.n.Load() != 0 {
		t.Fatalf("redirect: %+v, target hits %d", d, target.n.Load())
	}
}

func TestSlowEndpointDoesNotDelayHealthy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db, func(c *Config) { c.MaxInFlightPerWebhook = 2; c.Workers = 10 })
		release := make(chan struct{})
		slow := newReceiver(t, func(n int64, w http.ResponseWriter) { <-release })
		t.Cleanup(func() { close(release) })
		fast := newReceiver(t, statuses(200))
		ts.createWebhook(map[string]any{"url": slow.URL, "events": []string{"slow.*"}, "timeout_seconds": 60})
		ts.createWebhook(map[string]any{"url": fast.URL, "events": []string{"fast.*"}})
		for i := 0; i < 20; i++ {
			ts.publish("slow.event", map[string]any{"i": i})
		}
		for i := 0; i < 20; i++ {
			ts.publish("fast.event", map[string]any{"i": i})
		}
		timeout := time.After(10 * time.Second)
		for got := 0; got < 20; got++ {
			select {
			case <-fast.hits:
			case <-timeout:
				t.Fatalf("healthy endpoint got %d of 20 while the slow one hangs", got)
			}
		}
		if n := slow.n.Load(); n > 2 {
			t.Fatalf("slow endpoint has %d requests in flight, cap is 2", n)
		}
	})
}
