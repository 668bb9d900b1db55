package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/signature"
)

func TestBlocked(t *testing.T) {
	blocked := []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "::ffff:127.0.0.1", "224.0.0.1", "::"}
	for _, s := range blocked {
		if !Blocked(netip.MustParseAddr(s)) {
			t.Errorf("%s is not blocked", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::1111"} {
		if Blocked(netip.MustParseAddr(s)) {
			t.Errorf("%s is blocked", s)
		}
	}
}

func task(url string) *herald.DeliveryTask {
	wh := herald.NewWebhookDefaults()
	wh.ID, wh.URL, wh.Secret, wh.TimeoutSeconds = "wh_1", url, "secret-123", 2
	return &herald.DeliveryTask{
		Delivery:    &herald.Delivery{ID: "dlv_1"},
		Webhook:     wh,
		Event:       &herald.Event{ID: "evt_1", Type: "agent.status", Data: json.RawMessage(`{"a":1}`), Created: time.Unix(1709884800, 0)},
		WebhookName: `my "hook"`,
	}
}

func TestBody(t *testing.T) {
	got := string(Body(task("").Event, "wh_1", `my "hook" <&>`))
	want := `{"id":"evt_1","event":"agent.status","type":"agent.status","created":1709884800,` +
		`"timestamp":"2024-03-08T08:00:00.000000Z","webhook":{"id":"wh_1","name":"my \"hook\" <&>"},"data":{"a":1}}`
	if got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
	// A tenant's event carries tenant_id right after id.
	ev := task("").Event
	ev.TenantID = "acme"
	got = string(Body(ev, "wh_1", "n"))
	want = `{"id":"evt_1","tenant_id":"acme","event":"agent.status","type":"agent.status","created":1709884800,` +
		`"timestamp":"2024-03-08T08:00:00.000000Z","webhook":{"id":"wh_1","name":"n"},"data":{"a":1}}`
	if got != want {
		t.Fatalf("tenant body\n got %s\nwant %s", got, want)
	}
}

func TestSenderRefusesPrivateAddresses(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	// "localhost" resolves at dial time; the check runs on the address.
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	res := NewSender("test", false).Send(context.Background(), task(url), time.Now())
	if res.Err == nil || !strings.Contains(res.Err.Error(), "not allowed") || hit {
		t.Fatalf("private target: err %v, hit %v", res.Err, hit)
	}
	res = NewSender("test", true).Send(context.Background(), task(url), time.Now())
	if !res.Success() || !hit {
		t.Fatalf("with allowPrivate: %+v", res)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"-5":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:02:00 GMT": 2 * time.Minute,
		"Wed, 31 Dec 2025 00:00:00 GMT": 0,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

// headerServer answers 200 with n headers of size bytes each, and a small
// A-Small header.
func headerServer(t *testing.T, n, size int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < n; i++ {
			w.Header().Set(fmt.Sprintf("X-Big-%03d", i), strings.Repeat("v", size))
		}
		w.Header().Set("A-Small", "kept")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

func TestSenderCapsResponseHeaders(t *testing.T) {
	s := NewSender("test", true)
	// Over the transport's 64 KiB: a failed attempt saying why.
	res := s.Send(context.Background(), task(headerServer(t, 40, 2048)), time.Now())
	if res.Success() || res.Err == nil || res.Err.Error() != "the endpoint answered with response headers over 64 KiB" {
		t.Fatalf("80 KiB of headers: status %d err %v", res.StatusCode, res.Err)
	}
	// Under it: a success whose kept headers fit in 8 KiB.
	res = s.Send(context.Background(), task(headerServer(t, 20, 1024)), time.Now())
	if !res.Success() || headerBytes(res.Header) > herald.MaxStoredHeaderBytes || res.Header.Get("A-Small") != "kept" ||
		res.Header.Get("X-Herald-Headers-Truncated") != "true" || res.Header.Get("X-Big-000") == "" {
		t.Fatalf("20 KiB of headers: %d bytes kept (%v), err %v", headerBytes(res.Header), res.Header, res.Err)
	}
	// Small headers are kept whole.
	res = s.Send(context.Background(), task(headerServer(t, 2, 10)), time.Now())
	if !res.Success() || len(res.Header["X-Herald-Headers-Truncated"]) != 0 || res.Header.Get("X-Big-001") != strings.Repeat("v", 10) {
		t.Fatalf("small headers: %v, err %v", res.Header, res.Err)
	}
}

// TestSenderSignsWithPreviousSecrets checks the headers of a delivery made
// while two old secrets are valid, one has expired, and after all have.
func TestSenderSignsWithPreviousSecrets(t *testing.T) {
	got := make(chan http.Header, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
	defer srv.Close()
	now := time.Unix(1709884800, 0)
	tk := task(srv.URL)
	tk.Webhook.SignatureHeader, tk.Webhook.SignatureFormat = "X-Sig", herald.SignatureHex
	tk.Webhook.PreviousSecrets = []herald.PreviousSecret{
		{Secret: "expired-1", ExpiresAt: now.Add(-time.Second)},
		{Secret: "older-22", ExpiresAt: now.Add(time.Hour)},
		{Secret: "newer-333", ExpiresAt: now.Add(2 * time.Hour)},
	}
	body := Body(tk.Event, tk.Webhook.ID, tk.WebhookName)
	s := NewSender("test", true)
	if res := s.Send(context.Background(), tk, now); !res.Success() {
		t.Fatal(res.Err)
	}
	h := <-got
	ts := now.Unix()
	wantStd := signature.StandardSign("secret-123", "evt_1", ts, body) + " " +
		signature.StandardSign("newer-333", "evt_1", ts, body) + " " + signature.StandardSign("older-22", "evt_1", ts, body)
	wantPrev := signature.Sign("hex", "newer-333", body) + " " + signature.Sign("hex", "older-22", body)
	if h.Get("webhook-signature") != wantStd || h.Get("X-Sig") != signature.Sign("hex", "secret-123", body) || h.Get("X-Sig-Previous") != wantPrev {
		t.Fatalf("during the overlap: %v", h)
	}
	if res := s.Send(context.Background(), tk, now.Add(2*time.Hour)); !res.Success() {
		t.Fatal(res.Err)
	}
	h = <-got
	if len(strings.Fields(h.Get("webhook-signature"))) != 1 || h.Get("X-Sig-Previous") != "" {
		t.Fatalf("after the overlap: %v", h)
	}
}

// Many webhooks on one host share its connections: after a round of
// sends that had 100 requests in flight to the host at once, the next
// round opens no new connection.
func TestSenderKeepsConnectionsToOneHost(t *testing.T) {
	const inFlight = 100
	var (
		mu     sync.Mutex
		opened int
		round  sync.WaitGroup
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every request of a round waits for all the others: the round
		// holds inFlight connections at once.
		round.Done()
		round.Wait()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	s := NewSender("test", true)
	send := func() {
		round.Add(inFlight)
		var sent sync.WaitGroup
		for i := range inFlight {
			sent.Add(1)
			go func() {
				defer sent.Done()
				tk := task(srv.URL)
				tk.Webhook.ID = fmt.Sprintf("wh_%d", i)
				if res := s.Send(context.Background(), tk, time.Now()); !res.Success() {
					t.Errorf("send: %+v", res)
				}
			}()
		}
		sent.Wait()
	}
	send()
	mu.Lock()
	first := opened
	mu.Unlock()
	if first != inFlight {
		t.Fatalf("%d connections for %d requests in flight, want %d", first, inFlight, inFlight)
	}
	send()
	mu.Lock()
	defer mu.Unlock()
	if opened != first {
		t.Fatalf("the second round opened %d new connections, want none: idle ones were closed", opened-first)
	}
}
