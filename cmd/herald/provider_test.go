package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/signature"
)

// hexHMAC is the hex HMAC-SHA256 of parts keyed with key.
func hexHMAC(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// rejectedReason returns the reason of the newest rejected request of a
// webhook.
func (ts *testServer) rejectedReason(name string) string {
	ts.t.Helper()
	var reqs struct {
		Items []herald.InboundRequest `json:"items"`
	}
	ts.must(200, "GET", "/api/webhooks/"+name+"/requests?verdict=rejected&limit=1", nil, &reqs)
	if len(reqs.Items) == 0 {
		ts.t.Fatalf("%s: no rejected request logged", name)
	}
	if r := reqs.Items[0]; r.Status != 401 {
		ts.t.Fatalf("%s: rejected with status %d, want 401", name, r.Status)
	}
	return reqs.Items[0].Reason
}

// wantRejected checks a 401 answer and its logged reason.
func (ts *testServer) wantRejected(name string, st int, out map[string]any, reason string) {
	ts.t.Helper()
	if st != 401 {
		ts.t.Fatalf("%s: status %d, want 401: %v", name, st, out)
	}
	if got := ts.rejectedReason(name); !strings.Contains(got, reason) {
		ts.t.Fatalf("%s: logged reason %q, want %q", name, got, reason)
	}
}

func TestProvidersAgainstServer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		now := strconv.FormatInt(time.Now().Unix(), 10)

		// GitHub: the name picks the provider.
		var wh herald.InboundWebhook
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "github", "agent": "default", "secret": "github-secret"}, &wh)
		if wh.Provider != "github" {
			t.Fatalf("github webhook provider %q", wh.Provider)
		}
		n := ts.invocations("default")
		ping := `{"zen":"Design for failure.","hook_id":1}`
		st, out, _ := ts.postRaw("/api/webhooks/github", ping, "X-GitHub-Event", "ping", "X-GitHub-Delivery", "p1",
			"X-Hub-Signature-256", "sha256="+hexHMAC("github-secret", ping))
		if st != 200 || out["ping"] != true {
			t.Fatalf("github ping: %d %v", st, out)
		}
		if ts.invocations("default") != n {
			t.Fatal("github ping invoked the agent")
		}
		pr := `{"action":"opened","repository":{"full_name":"heraldhq/herald"},"sender":{"login":"octocat"}}`
		form := "payload=" + url.QueryEscape(pr)
		st, out, _ = ts.postRaw("/api/webhooks/github", form, "Content-Type", "application/x-www-form-urlencoded", "X-GitHub-Event", "pull_request",
			"X-GitHub-Delivery", "d1", "X-Hub-Signature-256", "sha256="+hexHMAC("github-secret", form))
		ctx, _ := out["context"].(map[string]any)
		if st != 200 || out["response"] != "GitHub event: pull_request.opened on heraldhq/herald" || ctx["sender"] != "octocat" {
			t.Fatalf("github pull_request (form): %d %v", st, out)
		}
		// The same delivery again is a duplicate.
		st, out, _ = ts.postRaw("/api/webhooks/github", form, "Content-Type", "application/x-www-form-urlencoded", "X-GitHub-Event", "pull_request",
			"X-GitHub-Delivery", "d1", "X-Hub-Signature-256", "sha256="+hexHMAC("github-secret", form))
		if st != 200 || out["duplicate"] != true {
			t.Fatalf("github duplicate: %d %v", st, out)
		}
		st, out, _ = ts.postRaw("/api/webhooks/github", pr, "X-GitHub-Event", "pull_request", "X-Hub-Signature-256", "sha256="+hexHMAC("wrong-secret", pr))
		ts.wantRejected("github", st, out, "signature mismatch")
		st, out, _ = ts.postRaw("/api/webhooks/github", pr, "X-GitHub-Event", "pull_request", "X-Webhook-Secret", "github-secret")
		ts.wantRejected("github", st, out, "missing X-Hub-Signature-256")

		// Slack: events, url_verification, slash commands, interactive.
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "slack", "agent": "default", "secret": "slack-signing-secret"}, &wh)
		if wh.Provider != "slack" {
			t.Fatalf("slack webhook provider %q", wh.Provider)
		}
		slack := func(path, ct, body, ts0 string) (int, map[string]any) {
			st, out, _ := ts.postRaw(path, body, "Content-Type", ct, "X-Slack-Request-Timestamp", ts0,
				"X-Slack-Signature", "v0="+hexHMAC("slack-signing-secret", "v0:"+ts0+":"+body))
			return st, out
		}
		st, out = slack("/api/webhooks/slack", "application/json", `{"type":"url_verification","challenge":"ch-123","token":"t"}`, now)
		if st != 200 || out["challenge"] != "ch-123" {
			t.Fatalf("slack url_verification: %d %v", st, out)
		}
		st, out = slack("/api/webhooks/slack", "application/json", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"deploy api","channel":"C1","user":"U1"}}`, now)
		ctx, _ = out["context"].(map[string]any)
		if st != 200 || out["response"] != "deploy api" || ctx["channel"] != "C1" || ctx["user"] != "U1" {
			t.Fatalf("slack event: %d %v", st, out)
		}
		st, out = slack("/api/webhooks/slack", "application/x-www-form-urlencoded", "command=%2Fdeploy&text=api&channel_id=C2&user_id=U2&trigger_id=T1", now)
		if st != 200 || out["response"] != "/deploy api" {
			t.Fatalf("slack slash command: %d %v", st, out)
		}
		interactive := "payload=" + url.QueryEscape(`{"type":"block_actions","trigger_id":"T2","user":{"id":"U3"},"channel":{"id":"C3"},"actions":[{"value":"approve"}]}`)
		st, out = slack("/api/webhooks/slack/interactive", "application/x-www-form-urlencoded", interactive, now)
		if st != 200 || out["response"] != "approve" {
			t.Fatalf("slack interactive: %d %v", st, out)
		}
		stale := strconv.FormatInt(time.Now().Unix()-600, 10)
		st, out = slack("/api/webhooks/slack", "application/json", `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","text":"x"}}`, stale)
		ts.wantRejected("slack", st, out, "timestamp outside the 300s window")
		st, out, _ = ts.postRaw("/api/webhooks/slack/interactive", interactive, "Content-Type", "application/x-www-form-urlencoded",
			"X-Slack-Request-Timestamp", now, "X-Slack-Signature", "v0="+hexHMAC("other", "v0:"+now+":"+interactive))
		ts.wantRejected("slack", st, out, "signature mismatch")

		// Discord: the secret is the application's public key.
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := ts.do("POST", "/api/webhooks", map[string]any{"name": "discord", "agent": "default"}); st != 400 {
			t.Fatalf("discord without a public key: %d", st)
		}
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "discord", "agent": "default", "secret": hex.EncodeToString(pub)}, &wh)
		discord := func(k ed25519.PrivateKey, body string) (int, map[string]any) {
			st, out, _ := ts.postRaw("/api/webhooks/discord", body, "Content-Type", "application/json", "X-Signature-Timestamp", now,
				"X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(k, []byte(now+body))))
			return st, out
		}
		st, out = discord(priv, `{"type":1,"id":"1","application_id":"A"}`)
		if st != 200 || out["type"] != float64(1) || len(out) != 1 {
			t.Fatalf("discord PING: %d %v", st, out)
		}
		_, other, _ := ed25519.GenerateKey(nil)
		st, out = discord(other, `{"type":1,"id":"1","application_id":"A"}`)
		ts.wantRejected("discord", st, out, "signature mismatch")
		st, out = discord(priv, `{"type":2,"id":"2","channel_id":"C","data":{"name":"deploy","options":[{"name":"env","type":3,"value":"prod"}]}}`)
		if st != 200 || out["response"] != "/deploy env=prod" {
			t.Fatalf("discord command: %d %v", st, out)
		}
		// A Discord public key is no secret: /trigger takes the admin key only.
		if st, _, _ := ts.postRaw("/api/webhooks/discord/trigger", `{"message":"x"}`, "X-Webhook-Secret", hex.EncodeToString(pub)); st != 401 {
			t.Fatalf("discord trigger with the public key: %d", st)
		}

		// Telegram: the secret is the secret_token.
		if st, _ := ts.do("POST", "/api/webhooks", map[string]any{"name": "telegram", "agent": "default", "secret": "not a token!"}); st != 400 {
			t.Fatalf("telegram with a bad token: %d", st)
		}
		var created map[string]any
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "telegram", "agent": "default"}, &created)
		token, _ := created["secret"].(string)
		if created["provider"] != "telegram" || len(token) != 64 {
			t.Fatalf("telegram create: %v", created)
		}
		update := `{"update_id":5001,"message":{"message_id":1,"text":"hello bot","chat":{"id":42},"from":{"id":7,"first_name":"Ann"}}}`
		st, out, _ = ts.postRaw("/api/webhooks/telegram", update, "Content-Type", "application/json", "X-Telegram-Bot-Api-Secret-Token", token)
		ctx, _ = out["context"].(map[string]any)
		if st != 200 || out["response"] != "hello bot" || ctx["chat_id"] != "42" {
			t.Fatalf("telegram: %d %v", st, out)
		}
		st, out, _ = ts.postRaw("/api/webhooks/telegram", update, "Content-Type", "application/json", "X-Telegram-Bot-Api-Secret-Token", token)
		if st != 200 || out["duplicate"] != true {
			t.Fatalf("telegram duplicate update_id: %d %v", st, out)
		}
		st, out, _ = ts.postRaw("/api/webhooks/telegram", update, "X-Telegram-Bot-Api-Secret-Token", "wrong")
		ts.wantRejected("telegram", st, out, "secret token mismatch")

		// Stripe, with a filter on the event type.
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "payments", "agent": "default", "provider": "stripe",
			"secret": "whsec_stripe_test_secret", "filters": map[string]any{"include": []string{"payment_intent.*"}}}, nil)
		stripe := func(body string, secrets ...string) (int, map[string]any) {
			h := "t=" + now
			for _, s := range secrets {
				h += ",v1=" + hexHMAC(s, now+"."+body)
			}
			st, out, _ := ts.postRaw("/api/webhooks/payments", body, "Content-Type", "application/json", "Stripe-Signature", h)
			return st, out
		}
		st, out = stripe(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}`, "whsec_old", "whsec_stripe_test_secret")
		if st != 200 || out["response"] != "Stripe event: payment_intent.succeeded on pi_1" {
			t.Fatalf("stripe: %d %v", st, out)
		}
		st, out = stripe(`{"id":"evt_2","type":"customer.created","data":{"object":{"id":"cus_1"}}}`, "whsec_stripe_test_secret")
		if st != 200 || out["filtered"] != true {
			t.Fatalf("stripe filtered: %d %v", st, out)
		}
		st, out = stripe(`{"id":"evt_3","type":"payment_intent.succeeded"}`, "whsec_wrong")
		ts.wantRejected("payments", st, out, "signature mismatch")

		// Standard Webhooks, with a template.
		secret := herald.GenerateSecret()
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "svix", "agent": "default", "provider": "standard", "secret": secret,
			"transform": map[string]any{"message_template": "{{event_type}}: {{data.name}}"}}, nil)
		body := `{"type":"user.created","data":{"name":"Ann"}}`
		unix := time.Now().Unix()
		st, out, _ = ts.postRaw("/api/webhooks/svix", body, "Content-Type", "application/json", "webhook-id", "msg_1",
			"webhook-timestamp", strconv.FormatInt(unix, 10), "webhook-signature", signature.StandardSign(secret, "msg_1", unix, []byte(body)))
		if st != 200 || out["response"] != "user.created: Ann" {
			t.Fatalf("standard: %d %v", st, out)
		}
		st, out, _ = ts.postRaw("/api/webhooks/svix", body, "Content-Type", "application/json", "webhook-id", "msg_2",
			"webhook-timestamp", strconv.FormatInt(unix-900, 10), "webhook-signature", signature.StandardSign(secret, "msg_2", unix-900, []byte(body)))
		ts.wantRejected("svix", st, out, "timestamp outside the 300s window")

		// Unknown providers are refused.
		if st, _ := ts.do("POST", "/api/webhooks", map[string]any{"name": "gl", "agent": "default", "provider": "gitlab"}); st != 400 {
			t.Fatalf("unknown provider: %d", st)
		}
	})
}
