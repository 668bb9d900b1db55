package receivertest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/receivertest"
)

// These tests prove the receiver fixtures work on their own, signing requests
// the way Herald does, so that an end-to-end failure points at Herald.

const (
	seedSecret  = "herald-test-secret"
	otherSecret = "herald-wrong-secret"
	// whsec_ secrets carry a base64 key (here 24 bytes).
	standardSecret      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	otherStandardSecret = "whsec_c2VjcmV0LWtleS1mb3ItdGhlLXdyb25nLXNpZGU="
	waitTimeout         = 10 * time.Second
)

// eventBody returns a compact, canonical JSON event like Herald's (so that
// JSON.stringify(JSON.parse(body)) gives back the same bytes), with
// characters Go would HTML-escape by default, non-ASCII text and non-integer
// numbers.
func eventBody(id string) []byte {
	return []byte(`{"id":"` + id + `","event":"agent.status","type":"agent.status",` +
		`"created":1709884800,"timestamp":"2024-01-15T11:45:00.000000Z",` +
		`"webhook":{"id":"wh_test","name":"Ops <prod> & café 🚀"},` +
		`"data":{"agent_id":"agt_é","new_status":"running","old_status":"stopped",` +
		`"load":1.5,"count":42,"ratio":-0.25,"tags":["a<b","x&y>z"],"ok":true,"none":null}}`)
}

// signHex is Herald's default X-Webhook-Signature value.
func signHex(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// standardKey is the Standard Webhooks key Herald derives from a secret: the
// base64-decoded remainder of a whsec_ secret, else the secret's bytes.
func standardKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if key, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return key
		}
	}
	return []byte(secret)
}

// signStandard is Herald's webhook-signature value.
func signStandard(secret, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, standardKey(secret))
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// delivery is one request as Herald would send it.
type delivery struct {
	id   string
	body []byte // sent body
	// signed is the body the signatures are computed over (body if nil).
	signed []byte
	// hexSecret and stdSecret sign X-Webhook-Signature and webhook-signature.
	hexSecret, stdSecret string
	ts                   int64 // webhook-timestamp (now if 0)
	// hexSig overrides X-Webhook-Signature when set.
	hexSig string
}

func post(t *testing.T, url string, d delivery) int {
	t.Helper()
	signed := d.signed
	if signed == nil {
		signed = d.body
	}
	ts := d.ts
	if ts == 0 {
		ts = time.Now().Unix()
	}
	hexSig := d.hexSig
	if hexSig == "" {
		hexSig = signHex(d.hexSecret, signed)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Signature", hexSig)
	req.Header.Set("X-Webhook-Event", "agent.status")
	req.Header.Set("X-Webhook-Delivery", "dlv_"+d.id)
	req.Header.Set("webhook-id", d.id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", signStandard(d.stdSecret, d.id, ts, signed))
	client := &http.Client{Timeout: waitTimeout}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestSeedReceivers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB, string) *receivertest.Receiver
		// Express re-serialises the parsed body before verifying it and
		// throws on signatures of another length; Flask uses the raw body.
		htmlEscapedStatus, shortSigStatus int
	}{
		{"express", receivertest.StartExpress, http.StatusUnauthorized, http.StatusInternalServerError},
		{"flask", receivertest.StartFlask, http.StatusOK, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.start(t, seedSecret)
			if !strings.HasSuffix(r.URL, "/webhooks/mutx") {
				t.Fatalf("URL = %q, want .../webhooks/mutx", r.URL)
			}

			body := eventBody("evt_bad")
			tampered := bytes.Replace(body, []byte(`"load":1.5`), []byte(`"load":2.5`), 1)
			// Rejections first, so that the accepted deliveries below are
			// the only received lines.
			rejections := []struct {
				name string
				d    delivery
				want int
			}{
				{"tampered body", delivery{id: "evt_bad", body: tampered, signed: body, hexSecret: seedSecret, stdSecret: standardSecret}, http.StatusUnauthorized},
				{"wrong secret", delivery{id: "evt_bad", body: body, hexSecret: otherSecret, stdSecret: standardSecret}, http.StatusUnauthorized},
				{"short signature", delivery{id: "evt_bad", body: body, hexSig: "sha256=00", stdSecret: standardSecret}, tc.shortSigStatus},
			}
			for _, rj := range rejections {
				if got := post(t, r.URL, rj.d); got != rj.want {
					t.Errorf("%s: status %d, want %d", rj.name, got, rj.want)
				}
			}

			// A correctly signed but HTML-escaped body (Go's json default)
			// is not canonical: Express rejects it, Flask accepts it.
			escaped := []byte(strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(string(eventBody("evt_escaped"))))
			wantIDs := []string{}
			if got := post(t, r.URL, delivery{id: "evt_escaped", body: escaped, hexSecret: seedSecret, stdSecret: standardSecret}); got != tc.htmlEscapedStatus {
				t.Errorf("HTML-escaped body: status %d, want %d", got, tc.htmlEscapedStatus)
			}
			if tc.htmlEscapedStatus == http.StatusOK {
				wantIDs = append(wantIDs, "evt_escaped")
			}

			for _, id := range []string{"evt_one", "evt_two"} {
				if got := post(t, r.URL, delivery{id: id, body: eventBody(id), hexSecret: seedSecret, stdSecret: standardSecret}); got != http.StatusOK {
					t.Fatalf("signed delivery %s: status %d, want 200\nstderr:\n%s", id, got, r.Stderr())
				}
				wantIDs = append(wantIDs, id)
			}

			got := r.WaitReceived(t, len(wantIDs), waitTimeout)
			checkReceived(t, got, wantIDs)
		})
	}
}

func TestStandardReceiver(t *testing.T) {
	t.Parallel()
	r := receivertest.StartStandard(t, standardSecret)
	if !strings.HasSuffix(r.URL, "/webhooks/standard") {
		t.Fatalf("URL = %q, want .../webhooks/standard", r.URL)
	}

	body := eventBody("evt_bad")
	tampered := bytes.Replace(body, []byte(`"load":1.5`), []byte(`"load":2.5`), 1)
	rejections := []struct {
		name string
		d    delivery
	}{
		{"tampered body", delivery{id: "evt_bad", body: tampered, signed: body, hexSecret: seedSecret, stdSecret: standardSecret}},
		{"wrong secret", delivery{id: "evt_bad", body: body, hexSecret: seedSecret, stdSecret: otherStandardSecret}},
		{"stale timestamp", delivery{id: "evt_bad", body: body, hexSecret: seedSecret, stdSecret: standardSecret, ts: time.Now().Add(-10 * time.Minute).Unix()}},
		{"future timestamp", delivery{id: "evt_bad", body: body, hexSecret: seedSecret, stdSecret: standardSecret, ts: time.Now().Add(10 * time.Minute).Unix()}},
	}
	for _, rj := range rejections {
		if got := post(t, r.URL, rj.d); got != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", rj.name, got)
		}
	}

	// The raw body is verified, so an HTML-escaped body is fine here.
	escaped := []byte(strings.NewReplacer("<", `\u003c`, "&", `\u0026`).Replace(string(eventBody("evt_escaped"))))
	wantIDs := []string{"evt_escaped", "evt_one", "evt_two"}
	bodies := [][]byte{escaped, eventBody("evt_one"), eventBody("evt_two")}
	for i, id := range wantIDs {
		got := post(t, r.URL, delivery{id: id, body: bodies[i], hexSecret: seedSecret, stdSecret: standardSecret})
		if got < 200 || got > 299 {
			t.Fatalf("signed delivery %s: status %d, want 2xx\nstderr:\n%s", id, got, r.Stderr())
		}
	}

	got := r.WaitReceived(t, len(wantIDs), waitTimeout)
	checkReceived(t, got, wantIDs)
}

// checkReceived asserts the received lines are exactly wantIDs, in order,
// each carrying the event name and the webhook-id header.
func checkReceived(t *testing.T, got []receivertest.Received, wantIDs []string) {
	t.Helper()
	if len(got) != len(wantIDs) {
		t.Fatalf("received %d deliveries %+v, want %d (%v)", len(got), got, len(wantIDs), wantIDs)
	}
	for i, rec := range got {
		if rec.ID != wantIDs[i] || rec.Event != "agent.status" || rec.WebhookID != wantIDs[i] {
			t.Errorf("received[%d] = %+v, want id and webhook_id %q, event agent.status", i, rec, wantIDs[i])
		}
	}
}
