package provider

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/signature"
)

var now = time.Unix(1_700_000_000, 0).UTC()

// req builds a Request from header pairs.
func req(body string, kv ...string) *Request {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &Request{Header: h, Body: []byte(body), ContentType: h.Get("Content-Type"), Now: now}
}

func hexMAC(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// wantUnauthorized fails unless err is an EUNAUTHORIZED whose message
// contains want.
func wantUnauthorized(t *testing.T, name string, err error, want string) {
	t.Helper()
	if herald.ErrorCode(err) != herald.EUNAUTHORIZED || !strings.Contains(herald.ErrorMessage(err), want) {
		t.Errorf("%s: got %v, want unauthorized %q", name, err, want)
	}
}

func TestLookup(t *testing.T) {
	for _, n := range herald.InboundProviders {
		p, ok := Lookup(n)
		if !ok || p.Name() != n {
			t.Errorf("Lookup(%q) = %v, %v", n, p, ok)
		}
	}
	if p, ok := Lookup(""); !ok || p != Generic {
		t.Errorf("Lookup(\"\") = %v, %v", p, ok)
	}
	if _, ok := Lookup("gitlab"); ok {
		t.Error("Lookup(gitlab) found a provider")
	}
	if len(Names()) != len(herald.InboundProviders) {
		t.Errorf("Names() = %v", Names())
	}
}

func TestGitHubVerify(t *testing.T) {
	// GitHub's documented example.
	if err := GitHub.Verify(req("Hello, World!", "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"), "It's a Secret to Everybody"); err != nil {
		t.Fatalf("GitHub's example: %v", err)
	}
	const secret, body = "github-secret", `{"action":"opened","repository":{"full_name":"heraldhq/herald"}}`
	good := "sha256=" + hexMAC(secret, body)
	if err := GitHub.Verify(req(body, "X-Hub-Signature-256", good), secret); err != nil {
		t.Fatalf("valid: %v", err)
	}
	wantUnauthorized(t, "tampered", GitHub.Verify(req(body+" ", "X-Hub-Signature-256", good), secret), "signature mismatch")
	wantUnauthorized(t, "wrong secret", GitHub.Verify(req(body, "X-Hub-Signature-256", good), "other-secret"), "signature mismatch")
	wantUnauthorized(t, "missing", GitHub.Verify(req(body), secret), "missing X-Hub-Signature-256")
	wantUnauthorized(t, "no prefix", GitHub.Verify(req(body, "X-Hub-Signature-256", hexMAC(secret, body)), secret), "malformed")
	wantUnauthorized(t, "bad hex", GitHub.Verify(req(body, "X-Hub-Signature-256", "sha256=zz"), secret), "malformed")
	wantUnauthorized(t, "no secret", GitHub.Verify(req(body, "X-Hub-Signature-256", good), ""), "no secret")
	// X-Webhook-Secret alone is not enough for a GitHub webhook.
	wantUnauthorized(t, "plain secret", GitHub.Verify(req(body, "X-Webhook-Secret", secret), secret), "missing X-Hub-Signature-256")
	// A form-encoded body is verified as sent.
	form := "payload=" + url.QueryEscape(body)
	if err := GitHub.Verify(req(form, "Content-Type", "application/x-www-form-urlencoded", "X-Hub-Signature-256", "sha256="+hexMAC(secret, form)), secret); err != nil {
		t.Fatalf("form: %v", err)
	}
}

func TestGitHubParse(t *testing.T) {
	body := `{"action":"opened","repository":{"full_name":"heraldhq/herald"},"sender":{"login":"octocat"}}`
	for _, r := range []*Request{
		req(body, "Content-Type", "application/json", "X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "d-1"),
		req("payload="+url.QueryEscape(body), "Content-Type", "application/x-www-form-urlencoded", "X-GitHub-Event", "pull_request", "X-GitHub-Delivery", "d-1"),
	} {
		p, err := GitHub.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		if p.EventType != "pull_request.opened" || p.DuplicateKey != "d-1" || p.Handshake != nil {
			t.Fatalf("parsed %+v", p)
		}
		msg, ctx := GitHub.DefaultMessage(p)
		if msg != "GitHub event: pull_request.opened on heraldhq/herald" || ctx["repository"] != "heraldhq/herald" || ctx["sender"] != "octocat" || ctx["action"] != "opened" {
			t.Fatalf("default message %q %v", msg, ctx)
		}
	}
	p, err := GitHub.Parse(req(`{"zen":"Keep it simple.","hook_id":1}`, "X-GitHub-Event", "ping"))
	if err != nil || p.Handshake == nil || p.Handshake.Status != 200 || p.EventType != "ping" {
		t.Fatalf("ping: %+v %v", p, err)
	}
	p, _ = GitHub.Parse(req(`{"ref":"refs/heads/main"}`, "X-GitHub-Event", "push"))
	if p.EventType != "push" {
		t.Fatalf("push: %q", p.EventType)
	}
	if _, err := GitHub.Parse(req("a=b", "Content-Type", "application/x-www-form-urlencoded")); herald.ErrorCode(err) != herald.EINVALID {
		t.Fatalf("form without payload: %v", err)
	}
	if _, err := GitHub.Parse(req("{")); herald.ErrorCode(err) != herald.EINVALID {
		t.Fatalf("malformed: %v", err)
	}
}

// slackReq signs body as Slack does at ts.
func slackReq(secret, body string, ts int64, kv ...string) *Request {
	t := strconv.FormatInt(ts, 10)
	return req(body, append([]string{"X-Slack-Request-Timestamp", t, "X-Slack-Signature", "v0=" + hexMAC(secret, "v0:"+t+":"+body)}, kv...)...)
}

func TestSlackVerify(t *testing.T) {
	// Slack's documented example (a slash command).
	ex := req("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		"Content-Type", "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp", "1531420618",
		"X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	ex.Now = time.Unix(1531420618, 0)
	if err := Slack.Verify(ex, "8f742231b10e8888abcd99yyyzzz85a5"); err != nil {
		t.Fatalf("Slack's example: %v", err)
	}
	if p, err := Slack.Parse(ex); err != nil || p.EventType != "slash_command" {
		t.Fatalf("Slack's example: %+v %v", p, err)
	}
	ex.Now = ex.Now.Add(time.Hour)
	wantUnauthorized(t, "Slack's example an hour later", Slack.Verify(ex, "8f742231b10e8888abcd99yyyzzz85a5"), "timestamp outside the 300s window")
	const secret, body = "8f742231b10e8888abcd99yyyzzz85a5", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"hi","channel":"C1","user":"U1"}}`
	if err := Slack.Verify(slackReq(secret, body, now.Unix()), secret); err != nil {
		t.Fatalf("valid: %v", err)
	}
	if err := Slack.Verify(slackReq(secret, body, now.Unix()-299), secret); err != nil {
		t.Fatalf("299s old: %v", err)
	}
	r := slackReq(secret, body, now.Unix())
	r.Body = append(r.Body, ' ')
	wantUnauthorized(t, "tampered", Slack.Verify(r, secret), "signature mismatch")
	wantUnauthorized(t, "wrong secret", Slack.Verify(slackReq("other", body, now.Unix()), secret), "signature mismatch")
	wantUnauthorized(t, "missing", Slack.Verify(req(body, "X-Slack-Request-Timestamp", "1"), secret), "missing X-Slack-Signature")
	wantUnauthorized(t, "missing timestamp", Slack.Verify(req(body, "X-Slack-Signature", "v0=00"), secret), "missing X-Slack-Request-Timestamp")
	wantUnauthorized(t, "stale", Slack.Verify(slackReq(secret, body, now.Unix()-301), secret), "timestamp outside the 300s window")
	wantUnauthorized(t, "future", Slack.Verify(slackReq(secret, body, now.Unix()+301), secret), "timestamp outside the 300s window")
	wantUnauthorized(t, "huge", Slack.Verify(slackReq(secret, body, -1<<63), secret), "timestamp outside")
	wantUnauthorized(t, "no secret", Slack.Verify(slackReq(secret, body, now.Unix()), ""), "no signing secret")
	// The timestamp is part of what is signed.
	r = slackReq(secret, body, now.Unix())
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
	wantUnauthorized(t, "moved timestamp", Slack.Verify(r, secret), "signature mismatch")
}

func TestSlackParse(t *testing.T) {
	p, err := Slack.Parse(req(`{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}`, "Content-Type", "application/json"))
	if err != nil || p.Handshake == nil || p.Handshake.Body.(map[string]any)["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification: %+v %v", p, err)
	}
	p, err = Slack.Parse(req(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","text":"<@U0> deploy","channel":"C1","user":"U1"}}`))
	if err != nil || p.EventType != "app_mention" || p.DuplicateKey != "Ev1" || p.Handshake != nil {
		t.Fatalf("event: %+v %v", p, err)
	}
	if msg, ctx := Slack.DefaultMessage(p); msg != "<@U0> deploy" || ctx["channel"] != "C1" || ctx["user"] != "U1" {
		t.Fatalf("event message: %q %v", msg, ctx)
	}
	// A slash command is a plain form.
	p, err = Slack.Parse(req("command=%2Fdeploy&text=api+prod&channel_id=C2&user_id=U2&trigger_id=T1", "Content-Type", "application/x-www-form-urlencoded"))
	if err != nil || p.EventType != "slash_command" || p.DuplicateKey != "T1" {
		t.Fatalf("slash command: %+v %v", p, err)
	}
	if msg, ctx := Slack.DefaultMessage(p); msg != "/deploy api prod" || ctx["channel"] != "C2" || ctx["user"] != "U2" {
		t.Fatalf("slash message: %q %v", msg, ctx)
	}
	// An interaction is a form with a JSON payload field.
	interactive := `{"type":"block_actions","trigger_id":"T2","user":{"id":"U3"},"channel":{"id":"C3"},"actions":[{"action_id":"approve","value":"yes"}]}`
	p, err = Slack.Parse(req("payload="+url.QueryEscape(interactive), "Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
	if err != nil || p.EventType != "block_actions" || p.DuplicateKey != "T2" {
		t.Fatalf("interactive: %+v %v", p, err)
	}
	if msg, ctx := Slack.DefaultMessage(p); msg != "yes" || ctx["channel"] != "C3" || ctx["user"] != "U3" {
		t.Fatalf("interactive message: %q %v", msg, ctx)
	}
}

func TestDiscordVerify(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key := hex.EncodeToString(pub)
	const body, ts = `{"type":1,"id":"1"}`, "1700000000"
	sign := func(k ed25519.PrivateKey, ts, body string) *Request {
		return req(body, "X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(k, []byte(ts+body))), "X-Signature-Timestamp", ts)
	}
	if err := Discord.Verify(sign(priv, ts, body), key); err != nil {
		t.Fatalf("valid: %v", err)
	}
	if err := Discord.Verify(sign(priv, ts, body), strings.ToUpper(key)); err != nil {
		t.Fatalf("upper-case key: %v", err)
	}
	r := sign(priv, ts, body)
	r.Body = []byte(`{"type":1,"id":"2"}`)
	wantUnauthorized(t, "tampered", Discord.Verify(r, key), "signature mismatch")
	r = sign(priv, ts, body)
	r.Header.Set("X-Signature-Timestamp", "1700000001")
	wantUnauthorized(t, "moved timestamp", Discord.Verify(r, key), "signature mismatch")
	_, other, _ := ed25519.GenerateKey(nil)
	wantUnauthorized(t, "wrong key", Discord.Verify(sign(other, ts, body), key), "signature mismatch")
	wantUnauthorized(t, "missing", Discord.Verify(req(body, "X-Signature-Timestamp", ts), key), "missing X-Signature-Ed25519")
	wantUnauthorized(t, "missing timestamp", Discord.Verify(req(body, "X-Signature-Ed25519", strings.Repeat("00", 64)), key), "missing X-Signature-Timestamp")
	wantUnauthorized(t, "short signature", Discord.Verify(req(body, "X-Signature-Ed25519", "00", "X-Signature-Timestamp", ts), key), "malformed")
	wantUnauthorized(t, "bad key", Discord.Verify(sign(priv, ts, body), "not-hex"), "public key")
	wantUnauthorized(t, "no key", Discord.Verify(sign(priv, ts, body), ""), "no public key")
}

func TestDiscordParse(t *testing.T) {
	p, err := Discord.Parse(req(`{"type":1,"id":"1"}`))
	if err != nil || p.Handshake == nil || p.Handshake.Body.(map[string]any)["type"] != 1 || p.EventType != "interaction.ping" {
		t.Fatalf("PING: %+v %v", p, err)
	}
	body := `{"type":2,"id":"9","guild_id":"G","channel_id":"C","member":{"user":{"id":"U","username":"ann"}},
		"data":{"name":"deploy","options":[{"name":"env","type":3,"value":"prod"},{"name":"force","type":5,"value":true}]}}`
	p, err = Discord.Parse(req(body))
	if err != nil || p.EventType != "interaction.application_command" || p.DuplicateKey != "9" || p.Handshake != nil {
		t.Fatalf("command: %+v %v", p, err)
	}
	msg, ctx := Discord.DefaultMessage(p)
	if msg != "/deploy env=prod force=true" || ctx["channel_id"] != "C" || ctx["options"].(map[string]any)["env"] != "prod" {
		t.Fatalf("command message: %q %v", msg, ctx)
	}
	p, _ = Discord.Parse(req(`{"type":2,"id":"10","data":{"name":"admin","options":[{"name":"ban","type":1,"options":[{"name":"user","value":"U9"}]}]}}`))
	if msg, _ := Discord.DefaultMessage(p); msg != "/admin ban user=U9" {
		t.Fatalf("subcommand message: %q", msg)
	}
	p, _ = Discord.Parse(req(`{"type":3,"id":"11","data":{"custom_id":"approve"}}`))
	if msg, _ := Discord.DefaultMessage(p); p.EventType != "interaction.message_component" || msg != "approve" {
		t.Fatalf("component: %q %q", p.EventType, msg)
	}
	p, _ = Discord.Parse(req(`{"type":42,"id":"12"}`))
	if p.EventType != "interaction.42" {
		t.Fatalf("unknown type: %q", p.EventType)
	}
}

func TestTelegram(t *testing.T) {
	const token = "my_Secret-token1"
	body := `{"update_id":10001,"message":{"message_id":1,"text":"/start hello","chat":{"id":-42,"type":"group"},"from":{"id":7,"first_name":"Ann"}}}`
	if err := Telegram.Verify(req(body, "X-Telegram-Bot-Api-Secret-Token", token), token); err != nil {
		t.Fatalf("valid: %v", err)
	}
	wantUnauthorized(t, "wrong token", Telegram.Verify(req(body, "X-Telegram-Bot-Api-Secret-Token", token+"x"), token), "secret token mismatch")
	wantUnauthorized(t, "missing", Telegram.Verify(req(body), token), "missing X-Telegram-Bot-Api-Secret-Token")
	wantUnauthorized(t, "no token", Telegram.Verify(req(body, "X-Telegram-Bot-Api-Secret-Token", token), ""), "no secret token")
	p, err := Telegram.Parse(req(body))
	if err != nil || p.EventType != "message" || p.DuplicateKey != "10001" {
		t.Fatalf("parse: %+v %v", p, err)
	}
	msg, ctx := Telegram.DefaultMessage(p)
	if msg != "/start hello" || ctx["chat_id"] != "-42" || ctx["from"].(map[string]any)["first_name"] != "Ann" {
		t.Fatalf("message: %q %v", msg, ctx)
	}
	p, _ = Telegram.Parse(req(`{"update_id":10002,"callback_query":{"id":"q","data":"approve","from":{"id":7},"message":{"chat":{"id":5}}}}`))
	if msg, ctx := Telegram.DefaultMessage(p); p.EventType != "callback_query" || msg != "approve" || ctx["chat_id"] != "5" {
		t.Fatalf("callback: %q %q %v", p.EventType, msg, ctx)
	}
	for tok, ok := range map[string]bool{"a": true, strings.Repeat("A", 256): true, "": false, strings.Repeat("A", 257): false, "a b": false, "a+b": false} {
		if ValidTelegramToken(tok) != ok {
			t.Errorf("ValidTelegramToken(%q) = %v", tok, !ok)
		}
	}
}

// stripeHeader is a Stripe-Signature for body at ts, one v1 per secret.
func stripeHeader(body string, ts int64, secrets ...string) string {
	t := strconv.FormatInt(ts, 10)
	h := "t=" + t
	for _, s := range secrets {
		h += ",v1=" + hexMAC(s, t+"."+body)
	}
	return h
}

func TestStripe(t *testing.T) {
	const secret = "whsec_test_secret_0123456789"
	body := `{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent"}}}`
	if err := Stripe.Verify(req(body, "Stripe-Signature", stripeHeader(body, now.Unix(), secret)), secret); err != nil {
		t.Fatalf("valid: %v", err)
	}
	// Rotation: any v1 may match, and a v0 is ignored.
	if err := Stripe.Verify(req(body, "Stripe-Signature", stripeHeader(body, now.Unix(), "whsec_old", secret)+",v0=abc"), secret); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	wantUnauthorized(t, "tampered", Stripe.Verify(req(body+" ", "Stripe-Signature", stripeHeader(body, now.Unix(), secret)), secret), "signature mismatch")
	wantUnauthorized(t, "wrong secret", Stripe.Verify(req(body, "Stripe-Signature", stripeHeader(body, now.Unix(), "whsec_other")), secret), "signature mismatch")
	wantUnauthorized(t, "missing", Stripe.Verify(req(body), secret), "missing Stripe-Signature")
	wantUnauthorized(t, "stale", Stripe.Verify(req(body, "Stripe-Signature", stripeHeader(body, now.Unix()-301, secret)), secret), "timestamp outside the 300s window")
	wantUnauthorized(t, "no t", Stripe.Verify(req(body, "Stripe-Signature", "v1="+hexMAC(secret, body)), secret), "no t=")
	wantUnauthorized(t, "no v1", Stripe.Verify(req(body, "Stripe-Signature", "t=1"), secret), "no v1=")
	wantUnauthorized(t, "no secret", Stripe.Verify(req(body, "Stripe-Signature", stripeHeader(body, now.Unix(), secret)), ""), "no signing secret")
	// The key is the whole whsec_ string, not its base64 decoding.
	wantUnauthorized(t, "decoded key", Stripe.Verify(req(body, "Stripe-Signature", stripeHeader(body, now.Unix(), "test_secret_0123456789")), secret), "signature mismatch")
	p, err := Stripe.Parse(req(body))
	if err != nil || p.EventType != "payment_intent.succeeded" || p.DuplicateKey != "evt_1" {
		t.Fatalf("parse: %+v %v", p, err)
	}
	if msg, ctx := Stripe.DefaultMessage(p); msg != "Stripe event: payment_intent.succeeded on pi_1" || ctx["object_id"] != "pi_1" {
		t.Fatalf("message: %q %v", msg, ctx)
	}
}

func TestStandard(t *testing.T) {
	// The Standard Webhooks specification's example.
	const specSecret, specID, specBody = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", `{"test": 2432232314}`
	r := req(specBody, "webhook-id", specID, "webhook-timestamp", "1614265330", "webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	r.Now = time.Unix(1614265330, 0)
	if err := Standard.Verify(r, specSecret); err != nil {
		t.Fatalf("spec vector: %v", err)
	}

	secret := herald.GenerateSecret()
	body := `{"type":"invoice.paid","message":"paid"}`
	sign := func(secret string, ts int64) *Request {
		return req(body, "webhook-id", "msg_1", "webhook-timestamp", strconv.FormatInt(ts, 10), "webhook-signature", signature.StandardSign(secret, "msg_1", ts, []byte(body)))
	}
	if err := Standard.Verify(sign(secret, now.Unix()), secret); err != nil {
		t.Fatalf("valid: %v", err)
	}
	other := herald.GenerateSecret()
	rot := sign(secret, now.Unix())
	rot.Header.Set("webhook-signature", signature.StandardSign(other, "msg_1", now.Unix(), []byte(body))+" v2,xyz "+rot.Header.Get("webhook-signature"))
	if err := Standard.Verify(rot, secret); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	r = sign(secret, now.Unix())
	r.Body = append(r.Body, ' ')
	wantUnauthorized(t, "tampered", Standard.Verify(r, secret), "signature mismatch")
	wantUnauthorized(t, "wrong secret", Standard.Verify(sign(other, now.Unix()), secret), "signature mismatch")
	wantUnauthorized(t, "stale", Standard.Verify(sign(secret, now.Unix()-301), secret), "timestamp outside the 300s window")
	wantUnauthorized(t, "missing", Standard.Verify(req(body, "webhook-id", "msg_1", "webhook-timestamp", "1"), secret), "missing webhook-signature")
	wantUnauthorized(t, "bad timestamp", Standard.Verify(req(body, "webhook-id", "m", "webhook-timestamp", "x", "webhook-signature", "v1,a"), secret), "malformed timestamp")
	wantUnauthorized(t, "no secret", Standard.Verify(sign(secret, now.Unix()), ""), "no secret")
	p, err := Standard.Parse(sign(secret, now.Unix()))
	if err != nil || p.EventType != "invoice.paid" || p.DuplicateKey != "msg_1" {
		t.Fatalf("parse: %+v %v", p, err)
	}
	if msg, _ := Standard.DefaultMessage(p); msg != "" {
		t.Fatalf("standard default message %q, want the generic default", msg)
	}
}

func TestGeneric(t *testing.T) {
	const secret, body = "my-secret", `{"event_type":"db.critical","message":"disk full","idempotency_key":"k1"}`
	for _, kv := range [][]string{
		{"X-Webhook-Secret", secret},
		{"Authorization", "Bearer " + secret},
		{"X-Webhook-Signature", "sha256=" + hexMAC(secret, body)},
		{"X-Hub-Signature-256", "sha256=" + hexMAC(secret, body)},
	} {
		if err := Generic.Verify(req(body, kv...), secret); err != nil {
			t.Errorf("%v: %v", kv, err)
		}
	}
	wantUnauthorized(t, "wrong", Generic.Verify(req(body, "X-Webhook-Secret", "nope"), secret), "invalid or missing webhook secret")
	wantUnauthorized(t, "missing", Generic.Verify(req(body), secret), "invalid or missing webhook secret")
	p, err := Generic.Parse(req(body))
	if err != nil || p.EventType != "db.critical" || p.DuplicateKey != "k1" {
		t.Fatalf("parse: %+v %v", p, err)
	}
	p, _ = Generic.Parse(req(body, "X-Event-Type", "x.y", "X-Request-Id", "r1"))
	if p.EventType != "x.y" || p.DuplicateKey != "r1" {
		t.Fatalf("headers: %+v", p)
	}
}
