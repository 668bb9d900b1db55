package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/signature"
)

// e2eEvent is one event an outbound webhook received, with its
// timestamp.
type e2eEvent struct {
	Event     string         `json:"event"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// e2eReceiver is an outbound webhook receiver that keeps every event.
type e2eReceiver struct {
	URL    string
	mu     sync.Mutex
	events []e2eEvent
}

func startE2EReceiver(t *testing.T) *e2eReceiver {
	rc := &e2eReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev e2eEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rc.mu.Lock()
		rc.events = append(rc.events, ev)
		rc.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// wait waits up to 20s for an event of type typ whose data field key is
// value.
func (rc *e2eReceiver) wait(t *testing.T, typ, key string, value any) e2eEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		for _, ev := range rc.events {
			if ev.Event == typ && reflect.DeepEqual(ev.Data[key], value) {
				rc.mu.Unlock()
				return ev
			}
		}
		rc.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s event with %s=%v within 20s", typ, key, value)
	return e2eEvent{}
}

// e2eMAC is the hex HMAC-SHA256 of parts keyed with key.
func e2eMAC(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// postBytes sends body to path with headers (name, value pairs) and
// returns the status, the raw answer and its headers.
func (ts *testServer) postBytes(path, body string, headers ...string) (int, []byte, http.Header) {
	ts.t.Helper()
	req, _ := http.NewRequest("POST", ts.URL()+path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// invocationFrom waits up to 20s for an invocation of the default agent
// from source with message, and then for it to finish.
func (ts *testServer) invocationFrom(t *testing.T, source, message string) *herald.Invocation {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var page struct {
			Items []*herald.Invocation `json:"items"`
		}
		ts.must(200, "GET", "/v1/invocations?agent=default&limit=100", nil, &page)
		for _, inv := range page.Items {
			if inv.Source == source && inv.Message == message {
				return waitInvocation(t, ts, "/v1/invocations/"+inv.ID)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no invocation from %s with message %q within 20s", source, message)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settledInvocations waits until the default agent's invocation count is
// want and stays so for 300ms; it fails the test otherwise.
func (ts *testServer) settledInvocations(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ts.invocations("default") != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d invocations of default, want %d", what, ts.invocations("default"), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := ts.invocations("default"); n != want {
		t.Fatalf("%s: %d invocations of default, want %d", what, n, want)
	}
}

// signatureHeaders are the platforms' signature and token headers, by
// canonical name.
var signatureHeaders = map[string]bool{
	"X-Hub-Signature-256": true, "X-Slack-Signature": true, "X-Signature-Ed25519": true,
	"X-Telegram-Bot-Api-Secret-Token": true, "Stripe-Signature": true, "Webhook-Signature": true,
}

// platformCase is one platform's delivery to a named webhook.
type platformCase struct {
	name    string         // the webhook's name, under /api/webhooks/
	create  map[string]any // extra settings of the webhook (provider, secret)
	body    string
	ct      string
	headers func(body string, unix int64) []string // signed at unix
	message string                                 // what the default agent receives
	context map[string]any                         // some of the context it receives
	window  bool                                   // the platform signs a timestamp
	sealed  bool                                   // the signature covers the body
}

// TestPlatformsEndToEnd sends each platform's signed delivery to its named
// webhook: it reaches the default (echo) agent, an outbound webhook
// subscribed to user.* and agent.* receives user.message then
// agent.completed for the invocation, the same delivery again is a
// duplicate that invokes nothing, and a stale timestamp or a tampered
// body is a 401 that invokes nothing. The handshakes answer exactly what
// the platforms require.
func TestPlatformsEndToEnd(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := startE2EReceiver(t)
		ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.*", "agent.*"}, "max_retries": 0})
		// Where Slack would have the app answer; whatever Herald posts
		// there is accepted and ignored here.
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
		defer sink.Close()

		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		const ghSecret, slackSecret, stripeSecret = "github-e2e-secret", "slack-e2e-signing-secret", "whsec_stripe_e2e"
		stdSecret := herald.GenerateSecret()
		var tgToken string

		cases := []platformCase{
			{
				name: "github", create: map[string]any{"secret": ghSecret}, ct: "application/json",
				body: `{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246",` +
					`"repository":{"id":1,"name":"herald","full_name":"heraldhq/herald"},"pusher":{"name":"octocat"},"sender":{"login":"octocat"},` +
					`"head_commit":{"id":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","message":"Fix the thing"}}`,
				headers: func(body string, _ int64) []string {
					return []string{"X-GitHub-Event", "push", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958",
						"X-Hub-Signature-256", "sha256=" + e2eMAC(ghSecret, body), "User-Agent", "GitHub-Hookshot/044aadd"}
				},
				message: "GitHub event: push on heraldhq/herald",
				context: map[string]any{"event_type": "push", "repository": "heraldhq/herald", "sender": "octocat"},
				sealed:  true,
			},
			{
				name: "slack", create: map[string]any{"secret": slackSecret}, ct: "application/x-www-form-urlencoded",
				body: "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test" +
					"&user_id=U2147483697&user_name=Steve&command=%2Fdeploy&text=api+prod" +
					"&response_url=" + url.QueryEscape(sink.URL+"/commands/1234/5678") + "&trigger_id=13345224609.738474920.8088930838d88f008e0",
				headers: func(body string, unix int64) []string {
					t := strconv.FormatInt(unix, 10)
					return []string{"X-Slack-Request-Timestamp", t, "X-Slack-Signature", "v0=" + e2eMAC(slackSecret, "v0:"+t+":"+body)}
				},
				message: "/deploy api prod",
				context: map[string]any{"event_type": "slash_command", "channel": "C2147483705", "user": "U2147483697", "user_name": "Steve"},
				window:  true, sealed: true,
			},
			{
				name: "discord", create: map[string]any{"secret": hex.EncodeToString(pub)}, ct: "application/json",
				body: `{"type":2,"id":"786008729715212338","application_id":"775799577604522054","token":"A_UNIQUE_TOKEN","version":1,` +
					`"guild_id":"290926798626357999","channel_id":"645027906669510667",` +
					`"member":{"user":{"id":"53908232506183680","username":"Mason"}},` +
					`"data":{"id":"771825006014889984","name":"deploy","type":1,"options":[{"name":"env","type":3,"value":"prod"}]}}`,
				headers: func(body string, unix int64) []string {
					t := strconv.FormatInt(unix, 10)
					return []string{"X-Signature-Timestamp", t, "X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(t+body)))}
				},
				message: "/deploy env=prod",
				context: map[string]any{"event_type": "interaction.application_command", "guild_id": "290926798626357999", "channel_id": "645027906669510667",
					"options": map[string]any{"env": "prod"}},
				sealed: true,
			},
			{
				name: "telegram", ct: "application/json",
				body: `{"update_id":10000,"message":{"message_id":1365,"date":1441645532,"text":"hello bot",` +
					`"chat":{"id":1111111,"type":"private","first_name":"Test"},"from":{"id":1111111,"is_bot":false,"first_name":"Test"}}}`,
				headers: func(string, int64) []string { return []string{"X-Telegram-Bot-Api-Secret-Token", tgToken} },
				message: "hello bot",
				context: map[string]any{"event_type": "message", "chat_id": "1111111"},
			},
			{
				name: "payments", create: map[string]any{"provider": "stripe", "secret": stripeSecret}, ct: "application/json; charset=utf-8",
				body: `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded","livemode":false,` +
					`"data":{"object":{"id":"pi_3NG8Dt2eZvKYlo2C0aBCDEFG","object":"payment_intent","amount":2000}}}`,
				headers: func(body string, unix int64) []string {
					t := strconv.FormatInt(unix, 10)
					return []string{"Stripe-Signature", "t=" + t + ",v1=" + e2eMAC(stripeSecret, t+"."+body)}
				},
				message: "Stripe event: payment_intent.succeeded on pi_3NG8Dt2eZvKYlo2C0aBCDEFG",
				context: map[string]any{"event_type": "payment_intent.succeeded", "event_id": "evt_1NG8Du2eZvKYlo2CUI79vXWy", "object_id": "pi_3NG8Dt2eZvKYlo2C0aBCDEFG", "livemode": false},
				window:  true, sealed: true,
			},
			{
				name: "svix", create: map[string]any{"provider": "standard", "secret": stdSecret}, ct: "application/json",
				body: `{"type":"user.created","message":"user Ann created","data":{"name":"Ann"}}`,
				headers: func(body string, unix int64) []string {
					return []string{"webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "webhook-timestamp", strconv.FormatInt(unix, 10),
						"webhook-signature", signature.StandardSign(stdSecret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", unix, []byte(body))}
				},
				message: "user Ann created",
				context: map[string]any{"event_type": "user.created"},
				window:  true, sealed: true,
			},
		}

		for _, c := range cases {
			in := map[string]any{"name": c.name, "agent": "default"}
			for k, v := range c.create {
				in[k] = v
			}
			var created map[string]any
			ts.must(201, "POST", "/api/webhooks", in, &created)
			if c.name == "telegram" {
				tgToken, _ = created["secret"].(string)
				if created["provider"] != "telegram" || tgToken == "" {
					t.Fatalf("telegram webhook: %v", created)
				}
			}
		}

		// The handshakes: answered at once, exactly, without invoking.
		now := time.Now().Unix()
		nowS := strconv.FormatInt(now, 10)
		n := ts.invocations("default")
		ping := `{"type":1,"id":"786008729715212337","application_id":"775799577604522054","token":"A_TOKEN","version":1}`
		st, raw, hdr := ts.postBytes("/api/webhooks/discord", ping, "Content-Type", "application/json", "X-Signature-Timestamp", nowS,
			"X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(nowS+ping))))
		if st != 200 || string(bytes.TrimSpace(raw)) != `{"type":1}` || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Fatalf("discord PING: %d %q (%s)", st, raw, hdr.Get("Content-Type"))
		}
		// An unsigned or badly signed PING is refused: Discord checks that.
		st, _, _ = ts.postBytes("/api/webhooks/discord", ping, "Content-Type", "application/json", "X-Signature-Timestamp", nowS,
			"X-Signature-Ed25519", strings.Repeat("00", 64))
		if st != 401 {
			t.Fatalf("discord PING with a bad signature: %d, want 401", st)
		}
		st, _, _ = ts.postBytes("/api/webhooks/discord", ping, "Content-Type", "application/json")
		if st != 401 {
			t.Fatalf("discord PING unsigned: %d, want 401", st)
		}
		challenge := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
		st, raw, _ = ts.postBytes("/api/webhooks/slack", challenge, "Content-Type", "application/json", "X-Slack-Request-Timestamp", nowS,
			"X-Slack-Signature", "v0="+e2eMAC(slackSecret, "v0:"+nowS+":"+challenge))
		if st != 200 || string(bytes.TrimSpace(raw)) != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
			t.Fatalf("slack url_verification: %d %q", st, raw)
		}
		ghPing := `{"zen":"Speak like a human.","hook_id":12345678,"hook":{"type":"Repository","events":["push"]}}`
		st, raw, _ = ts.postBytes("/api/webhooks/github", ghPing, "Content-Type", "application/json", "X-GitHub-Event", "ping",
			"X-GitHub-Delivery", "ping-1", "X-Hub-Signature-256", "sha256="+e2eMAC(ghSecret, ghPing))
		if st != 200 {
			t.Fatalf("github ping: %d %q", st, raw)
		}
		ts.settledInvocations(t, n, "after the handshakes")

		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				path := "/api/webhooks/" + c.name
				send := func(body string, unix int64) (int, []byte) {
					st, raw, _ := ts.postBytes(path, body, append([]string{"Content-Type", c.ct}, c.headers(body, unix)...)...)
					return st, raw
				}
				n := ts.invocations("default")

				// The delivery reaches the agent.
				st, raw := send(c.body, time.Now().Unix())
				if st != 200 && st != 202 {
					t.Fatalf("delivery: %d %s", st, raw)
				}
				inv := ts.invocationFrom(t, "webhook:"+c.name, c.message)
				if inv.Status != herald.InvocationCompleted || inv.Response != c.message {
					t.Fatalf("invocation: %+v", inv)
				}
				var ctx map[string]any
				if err := json.Unmarshal(inv.Context, &ctx); err != nil {
					t.Fatalf("invocation context %s: %v", inv.Context, err)
				}
				for k, v := range c.context {
					if !reflect.DeepEqual(ctx[k], v) {
						t.Errorf("context %s = %#v, want %#v (context %v)", k, ctx[k], v, ctx)
					}
				}

				// The events: user.message, then agent.completed.
				um := rc.wait(t, "user.message", "content", c.message)
				if agent, _ := um.Data["agent"].(map[string]any); agent["id"] != "default" {
					t.Errorf("user.message data %v", um.Data)
				}
				ac := rc.wait(t, "agent.completed", "request_id", inv.ID)
				if ac.Data["agent"] != "default" || !reflect.DeepEqual(ac.Data["response"], map[string]any{"message": c.message}) {
					t.Errorf("agent.completed data %v", ac.Data)
				}
				if um.Timestamp == "" || um.Timestamp > ac.Timestamp {
					t.Errorf("user.message at %q, agent.completed at %q", um.Timestamp, ac.Timestamp)
				}
				ts.settledInvocations(t, n+1, "after the delivery")

				// The same delivery again (a platform's retry): a duplicate.
				st, raw = send(c.body, time.Now().Unix())
				var out map[string]any
				_ = json.Unmarshal(raw, &out)
				if st != 200 || out["duplicate"] != true {
					t.Fatalf("duplicate: %d %s", st, raw)
				}
				ts.settledInvocations(t, n+1, "after the duplicate")

				// A stale timestamp, for the platforms that sign one.
				if c.window {
					st, raw = send(c.body, time.Now().Unix()-600)
					if st != 401 || !strings.Contains(string(raw), "timestamp outside the 300s window") {
						t.Fatalf("stale: %d %s", st, raw)
					}
					st, raw = send(c.body, time.Now().Unix()+600)
					if st != 401 {
						t.Fatalf("from the future: %d %s", st, raw)
					}
				}
				// A tampered body, for the platforms whose signature covers it.
				if c.sealed {
					unix := time.Now().Unix()
					h := c.headers(c.body, unix)
					tampered := strings.Replace(c.body, c.message[len(c.message)-3:], "XYZ", 1)
					if tampered == c.body {
						tampered = c.body + " "
					}
					st, raw, _ = ts.postBytes(path, tampered, append([]string{"Content-Type", c.ct}, h...)...)
					if st != 401 || !strings.Contains(string(raw), "signature mismatch") {
						t.Fatalf("tampered: %d %s", st, raw)
					}
				}
				// Without its signature header.
				kept := []string{"Content-Type", c.ct}
				h := c.headers(c.body, time.Now().Unix())
				for i := 0; i+1 < len(h); i += 2 {
					if !signatureHeaders[http.CanonicalHeaderKey(h[i])] {
						kept = append(kept, h[i], h[i+1])
					}
				}
				st, raw, _ = ts.postBytes(path, c.body, kept...)
				if st != 401 || !strings.Contains(string(raw), "missing") {
					t.Fatalf("without its signature: %d %s", st, raw)
				}
				ts.settledInvocations(t, n+1, "after the refused requests")
			})
		}
	})
}
