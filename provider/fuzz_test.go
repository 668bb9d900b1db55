package provider

import (
	"net/http"
	"testing"
	"time"
)

// fuzzVerify checks that p's Verify and, when it passes, Parse and
// DefaultMessage never panic on any headers, body and secret: each gives
// an error or a result.
func fuzzVerify(f *testing.F, p Provider, headers []string, seeds ...[]string) {
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], int64(1_700_000_000))
	}
	f.Fuzz(func(t *testing.T, h1, h2, contentType, body, secret string, unix int64) {
		hdr := http.Header{}
		vals := []string{h1, h2}
		for i, name := range headers {
			hdr.Set(name, vals[i%2])
		}
		r := &Request{Header: hdr, Body: []byte(body), ContentType: contentType, Now: time.Unix(unix, 0)}
		if err := p.Verify(r, secret); err == nil && secret == "" {
			t.Fatal("an empty secret verified")
		}
		// Parse and DefaultMessage on anything, verified or not.
		parsed, err := p.Parse(r)
		if err != nil {
			return
		}
		p.DefaultMessage(parsed)
	})
}

func FuzzVerifyGitHub(f *testing.F) {
	body := `{"action":"opened","repository":{"full_name":"a/b"}}`
	fuzzVerify(f, GitHub, []string{"X-Hub-Signature-256", "X-GitHub-Event"},
		[]string{"sha256=" + hexMAC("secret12", body), "pull_request", "application/json", body, "secret12"},
		[]string{"sha256=zz", "ping", "application/x-www-form-urlencoded", "payload=%7B%7D", "secret12"})
}

func FuzzVerifySlack(f *testing.F) {
	body := `{"type":"event_callback","event":{"type":"message","text":"hi"}}`
	fuzzVerify(f, Slack, []string{"X-Slack-Signature", "X-Slack-Request-Timestamp"},
		[]string{"v0=" + hexMAC("secret12", "v0:1700000000:"+body), "1700000000", "application/json", body, "secret12"},
		[]string{"v0=00", "1700000000", "application/x-www-form-urlencoded", "command=%2Fx&text=y", "secret12"})
}

func FuzzVerifyDiscord(f *testing.F) {
	fuzzVerify(f, Discord, []string{"X-Signature-Ed25519", "X-Signature-Timestamp"},
		[]string{"00", "1700000000", "application/json", `{"type":1}`, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"},
		[]string{"", "", "", `{"type":2,"data":{"name":"x","options":[{"name":"a","options":[{"name":"b","value":1}]}]}}`, "zz"})
}

func FuzzVerifyTelegram(f *testing.F) {
	fuzzVerify(f, Telegram, []string{"X-Telegram-Bot-Api-Secret-Token"},
		[]string{"tok", "", "application/json", `{"update_id":1,"message":{"text":"hi","chat":{"id":1}}}`, "tok"},
		[]string{"", "", "", `{"update_id":1,"x":2}`, "tok"})
}

func FuzzVerifyStripe(f *testing.F) {
	body := `{"id":"evt_1","type":"a.b","data":{"object":{"id":"o"}}}`
	fuzzVerify(f, Stripe, []string{"Stripe-Signature"},
		[]string{"t=1700000000,v1=" + hexMAC("whsec_x", "1700000000."+body), "", "application/json", body, "whsec_x"},
		[]string{"t=,v1=,v1=zz,,=", "", "", "{", "whsec_x"})
}

func FuzzVerifyStandard(f *testing.F) {
	fuzzVerify(f, Standard, []string{"webhook-signature", "webhook-id", "webhook-timestamp"},
		[]string{"v1,abc", "1700000000", "application/json", `{"type":"a"}`, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		[]string{"v1, v2,", "-99999999999999999999", "", "", "whsec_!!"})
}

func FuzzVerifyGeneric(f *testing.F) {
	fuzzVerify(f, Generic, []string{"X-Webhook-Secret", "Authorization", "X-Webhook-Signature"},
		[]string{"secret12", "Bearer secret12", "application/json", `{"message":"hi"}`, "secret12"},
		[]string{"", "sha256=00", "application/x-www-form-urlencoded", "payload=1", "x"})
}
