package provider

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/signature"
)

// officialVector is a platform's published example: a request, the secret
// it was signed with and the clock at which it is fresh.
type officialVector struct {
	name     string
	p        Provider
	secret   string
	body     string
	header   http.Header
	sigName  string // the header holding the signature
	now      time.Time
	checkSig func(t *testing.T, r *Request)
}

// officialVectors are the platforms' own examples:
//   - GitHub's documentation ("Validating webhook deliveries");
//   - Slack's, as slackapi/python-slack-sdk tests it
//     (tests/slack_sdk/signature/test_signature_verifier.py, clock fixed
//     at the timestamp);
//   - the Standard Webhooks libraries' test vector.
func officialVectors() []officialVector {
	gh := http.Header{}
	gh.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	sl := http.Header{}
	sl.Set("Content-Type", "application/x-www-form-urlencoded")
	sl.Set("X-Slack-Request-Timestamp", "1531420618")
	sl.Set("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	sw := http.Header{}
	sw.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	sw.Set("webhook-timestamp", "1614265330")
	sw.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	return []officialVector{
		{
			name: "github", p: GitHub, secret: "It's a Secret to Everybody", body: "Hello, World!",
			header: gh, sigName: "X-Hub-Signature-256", now: time.Unix(1_700_000_000, 0),
		},
		{
			name: "slack", p: Slack, secret: "8f742231b10e8888abcd99yyyzzz85a5",
			body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
				"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
				"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
				"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
			header: sl, sigName: "X-Slack-Signature", now: time.Unix(1531420618, 0),
		},
		{
			name: "standard", p: Standard, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body: `{"test": 2432232314}`,
			header: sw, sigName: "webhook-signature", now: time.Unix(1614265330, 0),
		},
	}
}

// request is v's request, with its own copies of the header and body.
func (v officialVector) request() *Request {
	return &Request{Header: v.header.Clone(), Body: []byte(v.body), ContentType: v.header.Get("Content-Type"), Now: v.now}
}

// TestOfficialVectors runs each platform's published example through our
// verifier: it passes as published, and fails with any one byte of the
// body changed, any one character of the signature changed, or another
// secret.
func TestOfficialVectors(t *testing.T) {
	for _, v := range officialVectors() {
		t.Run(v.name, func(t *testing.T) {
			if err := v.p.Verify(v.request(), v.secret); err != nil {
				t.Fatalf("the published example does not verify: %v", err)
			}
			// Every byte of the body is signed.
			for i := range len(v.body) {
				r := v.request()
				r.Body[i] ^= 0x01
				if err := v.p.Verify(r, v.secret); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
					t.Fatalf("body byte %d changed (%q): got %v, want unauthorized", i, r.Body, err)
				}
			}
			// A byte more or less.
			r := v.request()
			r.Body = append(r.Body, ' ')
			wantUnauthorized(t, "a byte appended", v.p.Verify(r, v.secret), "signature mismatch")
			r = v.request()
			r.Body = r.Body[:len(r.Body)-1]
			wantUnauthorized(t, "a byte dropped", v.p.Verify(r, v.secret), "signature mismatch")
			// The first character of the signature proper, after its
			// prefix (sha256=, v0=, v1,); '0' and '1' are both hex and
			// base64 digits.
			r = v.request()
			sig := []byte(r.Header.Get(v.sigName))
			i := bytes.IndexAny(sig, "=,") + 1
			if sig[i] == '0' {
				sig[i] = '1'
			} else {
				sig[i] = '0'
			}
			r.Header.Set(v.sigName, string(sig))
			if err := v.p.Verify(r, v.secret); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
				t.Fatalf("signature %q: got %v, want unauthorized", sig, err)
			}
			// Another secret: the example's with one character changed.
			other := []byte(v.secret)
			other[len(other)-1] ^= 0x01
			wantUnauthorized(t, "another secret", v.p.Verify(v.request(), string(other)), "signature mismatch")
			wantUnauthorized(t, "no secret", v.p.Verify(v.request(), ""), "no ")
			// Missing the signature header.
			r = v.request()
			r.Header.Del(v.sigName)
			wantUnauthorized(t, "no signature", v.p.Verify(r, v.secret), "missing")
		})
	}
}

// TestOfficialVectorsClock checks the replay window on the examples that
// sign a timestamp: fresh within 300 s either side, stale beyond.
func TestOfficialVectorsClock(t *testing.T) {
	for _, v := range officialVectors() {
		if v.p == GitHub {
			continue // GitHub signs no timestamp
		}
		for _, tc := range []struct {
			shift time.Duration
			ok    bool
		}{{0, true}, {ReplayWindow, true}, {-ReplayWindow, true}, {ReplayWindow + time.Second, false}, {-ReplayWindow - time.Second, false}, {24 * time.Hour, false}} {
			r := v.request()
			r.Now = v.now.Add(tc.shift)
			err := v.p.Verify(r, v.secret)
			if tc.ok && err != nil {
				t.Errorf("%s at %+v: %v", v.name, tc.shift, err)
			}
			if !tc.ok {
				wantUnauthorized(t, v.name+" at "+tc.shift.String(), err, "timestamp outside the 300s window")
			}
		}
	}
}

// TestOfficialVectorsParse checks what the examples decode to.
func TestOfficialVectorsParse(t *testing.T) {
	v := officialVectors()[1] // Slack's slash command
	p, err := Slack.Parse(v.request())
	if err != nil {
		t.Fatal(err)
	}
	if p.EventType != "slash_command" || p.DuplicateKey != "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c" || p.Handshake != nil {
		t.Fatalf("Slack's example parsed as %+v", p)
	}
	msg, ctx := Slack.DefaultMessage(p)
	if msg != "/webhook-collect" || ctx["channel"] != "G8PSS9T3V" || ctx["user"] != "U2CERLKJA" || ctx["user_name"] != "roadrunner" || ctx["event_type"] != "slash_command" {
		t.Fatalf("Slack's example message %q, context %v", msg, ctx)
	}
	if got := str(p.Payload, "response_url"); got != "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN" {
		t.Fatalf("response_url %q", got)
	}
	v = officialVectors()[2] // Standard Webhooks
	p, err = Standard.Parse(v.request())
	if err != nil || p.DuplicateKey != "msg_p5jXN8AQM9LWM0D4loKWxJek" || p.EventType != "" {
		t.Fatalf("Standard Webhooks' example parsed as %+v, %v", p, err)
	}
	// The Standard Webhooks example also comes out of our own signer.
	if got := signature.StandardSign(v.secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(v.body)); got != v.header.Get("webhook-signature") {
		t.Fatalf("signature.StandardSign = %q, want the example's %q", got, v.header.Get("webhook-signature"))
	}
}

// nodeSign has Node's crypto sign timestamp+body with priv, with the
// script in testdata/receivers/node/discord_sign.js, and returns the hex
// signature and the hex public key Node derives.
func nodeSign(t *testing.T, node string, priv ed25519.PrivateKey, timestamp, body string) (sig, pub string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]string{"private_key": base64.StdEncoding.EncodeToString(der), "timestamp": timestamp, "body": body})
	script, err := filepath.Abs(filepath.Join("..", "testdata", "receivers", "node", "discord_sign.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	var res struct {
		Signature string `json:"signature"`
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	return res.Signature, res.PublicKey
}

// TestDiscordSignedByNode has an independent Ed25519 implementation
// (Node's crypto) sign interactions with a key pair generated here, and
// checks that our verifier takes them, and refuses them changed.
func TestDiscordSignedByNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node (Node.js) is not on PATH: the Discord signature cannot be checked against an independent implementation")
	}
	if _, err := os.Stat(filepath.Join("..", "testdata", "receivers", "node", "discord_sign.js")); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key := hex.EncodeToString(pub)
	const ts = "1700000000"
	for _, body := range []string{
		`{"type":1,"id":"1","application_id":"A","version":1}`,
		`{"type":2,"id":"2","guild_id":"G","channel_id":"C","member":{"user":{"id":"U","username":"ann"}},"data":{"name":"deploy","options":[{"name":"env","type":3,"value":"prod – ünïcode ✓"}]}}`,
	} {
		sig, nodePub := nodeSign(t, node, priv, ts, body)
		if nodePub != key {
			t.Fatalf("node derived public key %s, Go %s", nodePub, key)
		}
		// Go's signature is deterministic (RFC 8032): Node's must be the same bytes.
		if want := hex.EncodeToString(ed25519.Sign(priv, []byte(ts+body))); sig != want {
			t.Fatalf("node's signature %s differs from Go's %s", sig, want)
		}
		r := req(body, "Content-Type", "application/json", "X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts)
		if err := Discord.Verify(r, key); err != nil {
			t.Fatalf("node-signed %s: %v", body, err)
		}
		for i := range len(body) {
			r := req(body, "X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts)
			r.Body[i] ^= 0x01
			wantUnauthorized(t, "body byte "+strconv.Itoa(i), Discord.Verify(r, key), "signature mismatch")
		}
		r = req(body, "X-Signature-Ed25519", sig, "X-Signature-Timestamp", "1700000001")
		wantUnauthorized(t, "another timestamp", Discord.Verify(r, key), "signature mismatch")
		otherPub, _, _ := ed25519.GenerateKey(nil)
		wantUnauthorized(t, "another public key", Discord.Verify(req(body, "X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts), hex.EncodeToString(otherPub)), "signature mismatch")
		wantUnauthorized(t, "no signature", Discord.Verify(req(body, "X-Signature-Timestamp", ts), key), "missing X-Signature-Ed25519")
		wantUnauthorized(t, "no timestamp", Discord.Verify(req(body, "X-Signature-Ed25519", sig), key), "missing X-Signature-Timestamp")
	}
}

// signed is a request a provider accepts at now, for the refusal matrix.
type signed struct {
	p      Provider
	secret string
	// sign returns the headers of body signed with secret at unix.
	sign func(secret, body string, unix int64) []string
	// stale reports whether the provider signs a timestamp.
	stale bool
	// sigHeader is the header whose absence is refused.
	sigHeader string
}

// TestEveryProviderRefuses checks, for every provider, that a tampered
// body, the wrong secret, a stale timestamp (where one is signed) and a
// missing header are each refused with EUNAUTHORIZED, and that the
// untouched request passes.
func TestEveryProviderRefuses(t *testing.T) {
	discordPub, discordPriv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	cases := map[string]signed{
		"github": {GitHub, "gh-secret", func(s, b string, _ int64) []string {
			return []string{"X-Hub-Signature-256", "sha256=" + hexMAC(s, b), "X-GitHub-Event", "push", "X-GitHub-Delivery", "d1"}
		}, false, "X-Hub-Signature-256"},
		"slack": {Slack, "slack-secret", func(s, b string, unix int64) []string {
			ts := strconv.FormatInt(unix, 10)
			return []string{"X-Slack-Request-Timestamp", ts, "X-Slack-Signature", "v0=" + hexMAC(s, "v0:"+ts+":"+b)}
		}, true, "X-Slack-Signature"},
		"discord": {Discord, hex.EncodeToString(discordPub), func(s, b string, unix int64) []string {
			k := discordPriv
			if s != hex.EncodeToString(discordPub) {
				k = otherPriv // "the wrong secret": another application's key signed it
			}
			ts := strconv.FormatInt(unix, 10)
			return []string{"X-Signature-Timestamp", ts, "X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(k, []byte(ts+b)))}
		}, false, "X-Signature-Ed25519"},
		"telegram": {Telegram, "tg_token-1", func(s, _ string, _ int64) []string {
			return []string{"X-Telegram-Bot-Api-Secret-Token", s}
		}, false, "X-Telegram-Bot-Api-Secret-Token"},
		"stripe": {Stripe, "whsec_stripe", func(s, b string, unix int64) []string {
			return []string{"Stripe-Signature", stripeHeader(b, unix, s)}
		}, true, "Stripe-Signature"},
		"standard": {Standard, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", func(s, b string, unix int64) []string {
			return []string{"webhook-id", "msg_1", "webhook-timestamp", strconv.FormatInt(unix, 10), "webhook-signature", signature.StandardSign(s, "msg_1", unix, []byte(b))}
		}, true, "webhook-signature"},
		"generic": {Generic, "generic-secret", func(s, b string, _ int64) []string {
			return []string{"X-Webhook-Signature", "sha256=" + hexMAC(s, b)}
		}, false, "X-Webhook-Signature"},
	}
	const body = `{"id":"evt_1","type":"x.y","update_id":1,"message":{"text":"hi"}}`
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if err := c.p.Verify(req(body, c.sign(c.secret, body, now.Unix())...), c.secret); err != nil {
				t.Fatalf("valid: %v", err)
			}
			if c.p != Telegram { // Telegram's token does not cover the body
				r := req(body, c.sign(c.secret, body, now.Unix())...)
				r.Body = []byte(`{"id":"evt_1","type":"x.y","update_id":1,"message":{"text":"hI"}}`)
				if err := c.p.Verify(r, c.secret); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
					t.Errorf("tampered body: %v", err)
				}
			}
			wrong := "whsec_wrong_secret"
			if c.p == Discord {
				wrong = "other"
			}
			if err := c.p.Verify(req(body, c.sign(wrong, body, now.Unix())...), c.secret); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
				t.Errorf("wrong secret: %v", err)
			}
			if c.stale {
				wantUnauthorized(t, "stale", c.p.Verify(req(body, c.sign(c.secret, body, now.Unix()-int64(ReplayWindow/time.Second)-1)...), c.secret), "timestamp outside the 300s window")
				wantUnauthorized(t, "from the future", c.p.Verify(req(body, c.sign(c.secret, body, now.Unix()+int64(ReplayWindow/time.Second)+1)...), c.secret), "timestamp outside the 300s window")
			}
			r := req(body, c.sign(c.secret, body, now.Unix())...)
			r.Header.Del(c.sigHeader)
			if err := c.p.Verify(r, c.secret); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
				t.Errorf("missing %s: %v", c.sigHeader, err)
			}
			if err := c.p.Verify(req(body), c.secret); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
				t.Errorf("no headers: %v", err)
			}
		})
	}
}

// TestHandshakesExact checks the handshakes' answers byte for byte, as
// the platforms require them.
func TestHandshakesExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Provider
		r    *Request
		want string
	}{
		// Discord requires {"type": 1} (PONG) and nothing else.
		{"discord PING", Discord, req(`{"type":1,"id":"1","application_id":"A","token":"tok","version":1}`, "Content-Type", "application/json"), `{"type":1}`},
		// Slack requires the challenge back.
		{"slack url_verification", Slack, req(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, "Content-Type", "application/json"),
			`{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`},
		// GitHub only wants a 2xx.
		{"github ping", GitHub, req(`{"zen":"Design for failure.","hook_id":1}`, "X-GitHub-Event", "ping", "X-GitHub-Delivery", "p1"),
			`{"ping":true,"success":true,"zen":"Design for failure."}`},
	} {
		p, err := tc.p.Parse(tc.r)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Handshake == nil {
			t.Fatalf("%s: no handshake", tc.name)
		}
		b, err := json.Marshal(p.Handshake.Body)
		if err != nil {
			t.Fatal(err)
		}
		if p.Handshake.Status != http.StatusOK || string(b) != tc.want {
			t.Errorf("%s: %d %s, want 200 %s", tc.name, p.Handshake.Status, b, tc.want)
		}
	}
	// Neither a Discord command, a Slack event, a GitHub push nor another
	// provider's request is a handshake.
	for _, tc := range []struct {
		p Provider
		r *Request
	}{
		{Discord, req(`{"type":2,"id":"2","data":{"name":"x"}}`)},
		{Slack, req(`{"type":"event_callback","event":{"type":"message"}}`)},
		{GitHub, req(`{"ref":"refs/heads/main"}`, "X-GitHub-Event", "push")},
		{Telegram, req(`{"update_id":1,"message":{"text":"hi"}}`)},
		{Stripe, req(`{"id":"evt_1","type":"ping"}`)},
		{Standard, req(`{"type":"ping"}`, "webhook-id", "m")},
	} {
		if p, err := tc.p.Parse(tc.r); err != nil || p.Handshake != nil {
			t.Errorf("%s %s: %+v %v", tc.p.Name(), tc.r.Body, p, err)
		}
	}
}
