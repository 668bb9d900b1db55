package verify_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/signature"
	"github.com/heraldhq/herald/verify"
)

const (
	secret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	oldSecret = "whsec_c2VjcmV0LWtleS1mb3ItdGhlLXdyb25nLXNpZGU="
	eventID   = "evt_01HZX3K4Q9"
)

var (
	sentAt = time.Unix(1_700_000_000, 0)
	body   = []byte(`{"id":"evt_01HZX3K4Q9","event":"agent.started","data":{"agent_id":"agt_é"}}`)
)

// delivery builds a request the way Herald's sender does: the HMAC header and
// the lowercase Standard Webhooks headers, all signed with secret at sentAt.
type delivery struct {
	secret   string
	body     []byte
	format   string
	header   string // HMAC header name; "" leaves it out
	standard bool   // add the Standard Webhooks headers
	at       time.Time
}

func herald() delivery {
	return delivery{secret: secret, body: body, format: signature.FormatSHA256Hex, header: "X-Webhook-Signature", standard: true, at: sentAt}
}

func (d delivery) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(d.body))
	r.Header.Set("Content-Type", "application/json")
	if d.header != "" {
		r.Header.Set(d.header, signature.Sign(d.format, d.secret, d.body))
	}
	if d.standard {
		r.Header["webhook-id"] = []string{eventID}
		r.Header["webhook-timestamp"] = []string{strconv.FormatInt(d.at.Unix(), 10)}
		r.Header["webhook-signature"] = []string{signature.StandardSign(d.secret, eventID, d.at.Unix(), d.body)}
	}
	return r
}

func opts(mode verify.Mode) *verify.Options {
	return &verify.Options{Mode: mode, Now: func() time.Time { return sentAt.Add(30 * time.Second) }}
}

// check runs Request and compares the error with want (nil for success).
func check(t *testing.T, r *http.Request, o *verify.Options, want error) {
	t.Helper()
	got, err := verify.Request(r, secret, o)
	if want == nil {
		if err != nil {
			t.Fatalf("Request: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("Request error = %v, want %v", err, want)
	}
	if got != nil {
		t.Errorf("Request returned a body with error %v", err)
	}
	for _, e := range []error{verify.ErrNoSignature, verify.ErrInvalidSignature, verify.ErrStale, verify.ErrBodyTooLarge} {
		if e != want && errors.Is(err, e) {
			t.Errorf("error %v also wraps %v", err, e)
		}
	}
}

func TestModes(t *testing.T) {
	full := herald()
	hmacOnly := herald()
	hmacOnly.standard = false
	stdOnly := herald()
	stdOnly.header = ""
	none := herald()
	none.header, none.standard = "", false
	// badStd has a valid HMAC header but a Standard signature by another key.
	badStd := herald()
	badStdReq := func() *http.Request {
		r := badStd.request()
		r.Header["webhook-signature"] = []string{signature.StandardSign(oldSecret, eventID, sentAt.Unix(), body)}
		return r
	}
	// badHMAC has a valid Standard signature but a wrong HMAC header.
	badHMACReq := func() *http.Request {
		r := full.request()
		r.Header.Set("X-Webhook-Signature", signature.Sign("", oldSecret, body))
		return r
	}

	for _, c := range []struct {
		name string
		mode verify.Mode
		req  func() *http.Request
		want error
	}{
		{"either full", verify.ModeEither, full.request, nil},
		{"either hmac only", verify.ModeEither, hmacOnly.request, nil},
		{"either standard only", verify.ModeEither, stdOnly.request, nil},
		{"either none", verify.ModeEither, none.request, verify.ErrNoSignature},
		{"either bad standard is final", verify.ModeEither, badStdReq, verify.ErrInvalidSignature},
		{"either bad hmac ignored when standard present", verify.ModeEither, badHMACReq, nil},

		{"hmac full", verify.ModeHMAC, full.request, nil},
		{"hmac hmac only", verify.ModeHMAC, hmacOnly.request, nil},
		{"hmac standard only", verify.ModeHMAC, stdOnly.request, verify.ErrNoSignature},
		{"hmac ignores bad standard", verify.ModeHMAC, badStdReq, nil},
		{"hmac bad hmac", verify.ModeHMAC, badHMACReq, verify.ErrInvalidSignature},

		{"standard full", verify.ModeStandard, full.request, nil},
		{"standard standard only", verify.ModeStandard, stdOnly.request, nil},
		{"standard hmac only", verify.ModeStandard, hmacOnly.request, verify.ErrNoSignature},
		{"standard ignores bad hmac", verify.ModeStandard, badHMACReq, nil},
		{"standard bad standard", verify.ModeStandard, badStdReq, verify.ErrInvalidSignature},

		{"both full", verify.ModeBoth, full.request, nil},
		{"both hmac only", verify.ModeBoth, hmacOnly.request, verify.ErrNoSignature},
		{"both standard only", verify.ModeBoth, stdOnly.request, verify.ErrNoSignature},
		{"both bad standard", verify.ModeBoth, badStdReq, verify.ErrInvalidSignature},
		{"both bad hmac", verify.ModeBoth, badHMACReq, verify.ErrInvalidSignature},
	} {
		t.Run(c.name, func(t *testing.T) { check(t, c.req(), opts(c.mode), c.want) })
	}
}

func TestTamperedBodyAndWrongSecret(t *testing.T) {
	for _, c := range []struct {
		mode     verify.Mode
		standard bool // send the Standard Webhooks headers
	}{
		{verify.ModeEither, true}, {verify.ModeEither, false}, {verify.ModeHMAC, true},
		{verify.ModeStandard, true}, {verify.ModeBoth, true},
	} {
		t.Run(c.mode.String()+"/standard="+strconv.FormatBool(c.standard), func(t *testing.T) {
			d := herald()
			d.standard = c.standard
			r := d.request()
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "started", "stopped", 1)))
			check(t, r, opts(c.mode), verify.ErrInvalidSignature)

			d.secret = oldSecret
			check(t, d.request(), opts(c.mode), verify.ErrInvalidSignature)
		})
	}
}

func TestTimestamps(t *testing.T) {
	at := func(offset time.Duration, o *verify.Options) *verify.Options {
		o.Now = func() time.Time { return sentAt.Add(offset) }
		return o
	}
	for _, c := range []struct {
		name string
		o    *verify.Options
		want error
	}{
		{"default tolerance ok", at(5*time.Minute, &verify.Options{}), nil},
		{"default tolerance stale", at(5*time.Minute+time.Second, &verify.Options{}), verify.ErrStale},
		{"future", at(-6*time.Minute, &verify.Options{}), verify.ErrStale},
		{"stale even though hmac verifies", at(time.Hour, &verify.Options{Mode: verify.ModeEither}), verify.ErrStale},
		{"stale in both mode", at(time.Hour, &verify.Options{Mode: verify.ModeBoth}), verify.ErrStale},
		{"hmac mode has no timestamp", at(time.Hour, &verify.Options{Mode: verify.ModeHMAC}), nil},
		{"custom tolerance", at(time.Hour, &verify.Options{Tolerance: 2 * time.Hour}), nil},
		{"custom tolerance stale", at(time.Minute, &verify.Options{Tolerance: 30 * time.Second}), verify.ErrStale},
		{"check disabled", at(1000*time.Hour, &verify.Options{Tolerance: -1}), nil},
	} {
		t.Run(c.name, func(t *testing.T) { check(t, herald().request(), c.o, c.want) })
	}

	r := herald().request()
	r.Header["webhook-timestamp"] = []string{"yesterday"}
	check(t, r, opts(verify.ModeEither), verify.ErrStale)

	// Herald's default clock: a delivery signed now verifies without Now.
	d := herald()
	d.at = time.Now()
	check(t, d.request(), nil, nil)
}

func TestMissingHeaders(t *testing.T) {
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		for _, mode := range []verify.Mode{verify.ModeEither, verify.ModeStandard, verify.ModeBoth} {
			t.Run(h+"/"+mode.String(), func(t *testing.T) {
				r := herald().request()
				delete(r.Header, h)
				check(t, r, opts(mode), verify.ErrNoSignature)
			})
		}
	}
	r := herald().request()
	r.Header.Set("X-Webhook-Signature", "  ")
	check(t, r, opts(verify.ModeHMAC), verify.ErrNoSignature)
	r = herald().request()
	r.Header.Del("X-Webhook-Signature")
	check(t, r, opts(verify.ModeBoth), verify.ErrNoSignature)
}

func TestRotation(t *testing.T) {
	// During a key rotation the signature header lists signatures by the
	// old and the new key; either may be the receiver's.
	sigNew := signature.StandardSign(secret, eventID, sentAt.Unix(), body)
	sigOld := signature.StandardSign(oldSecret, eventID, sentAt.Unix(), body)
	for _, list := range []string{
		sigOld + " " + sigNew,
		sigNew + " " + sigOld,
		"v2,AAAA " + sigOld + "  " + sigNew,
	} {
		for _, s := range []string{secret, oldSecret} {
			r := herald().request()
			r.Header["webhook-signature"] = []string{list}
			if _, err := verify.Request(r, s, opts(verify.ModeStandard)); err != nil {
				t.Errorf("list %q, secret %q: %v", list, s, err)
			}
		}
	}
	r := herald().request()
	r.Header["webhook-signature"] = []string{sigOld + " v2," + sigNew[3:]}
	check(t, r, opts(verify.ModeStandard), verify.ErrInvalidSignature)
}

func TestFormatsAndHeaderNames(t *testing.T) {
	for _, format := range []string{signature.FormatSHA256Hex, signature.FormatHex, signature.FormatBase64} {
		d := herald()
		d.format, d.header, d.standard = format, "X-Signature", false
		o := &verify.Options{Mode: verify.ModeHMAC, Format: format, Header: "x-signature"}
		check(t, d.request(), o, nil)
		// The default header name is not looked at.
		check(t, d.request(), &verify.Options{Mode: verify.ModeHMAC, Format: format}, verify.ErrNoSignature)
	}
	// A mismatched format fails.
	d := herald()
	d.format, d.standard = signature.FormatBase64, false
	check(t, d.request(), opts(verify.ModeHMAC), verify.ErrInvalidSignature)
}

func TestRequestBody(t *testing.T) {
	r := herald().request()
	got, err := verify.Request(r, secret, opts(verify.ModeBoth))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("Request returned %q, want %q", got, body)
	}
	again, err := io.ReadAll(r.Body)
	if err != nil || !bytes.Equal(again, body) {
		t.Errorf("r.Body after Request = %q, %v; want the body again", again, err)
	}

	// The body is restored on failure too.
	r = herald().request()
	if _, err := verify.Request(r, oldSecret, opts(verify.ModeBoth)); err == nil {
		t.Fatal("wrong secret verified")
	}
	if again, _ := io.ReadAll(r.Body); !bytes.Equal(again, body) {
		t.Errorf("r.Body after a failed Request = %q", again)
	}

	// Bodies over the limit, with and without a Content-Length.
	o := opts(verify.ModeHMAC)
	o.MaxBodyBytes = int64(len(body)) - 1
	check(t, herald().request(), o, verify.ErrBodyTooLarge)
	r = herald().request()
	r.ContentLength = -1
	check(t, r, o, verify.ErrBodyTooLarge)
	o.MaxBodyBytes = int64(len(body))
	check(t, herald().request(), o, nil)

	// An empty body signed as such verifies.
	d := herald()
	d.body = nil
	r = d.request()
	r.Body = nil
	got, err = verify.Request(r, secret, opts(verify.ModeBoth))
	if err != nil || len(got) != 0 {
		t.Errorf("empty body: %q, %v", got, err)
	}
}

func TestBytes(t *testing.T) {
	d := herald()
	d.at = time.Now()
	if err := verify.Bytes(secret, body, d.request().Header, nil); err != nil {
		t.Errorf("Bytes with default options: %v", err)
	}
	r := herald().request()
	if err := verify.Bytes(secret, append([]byte(nil), body[1:]...), r.Header, opts(verify.ModeHMAC)); !errors.Is(err, verify.ErrInvalidSignature) {
		t.Errorf("Bytes of a truncated body: %v", err)
	}
	if err := verify.Bytes(secret, body, r.Header, &verify.Options{Mode: 42}); err == nil || !strings.Contains(err.Error(), "Mode(42)") {
		t.Errorf("unknown mode: error %v", err)
	}
	// Standard Webhooks errors also wrap the signature package's.
	err := verify.Bytes(oldSecret, body, r.Header, opts(verify.ModeStandard))
	if !errors.Is(err, verify.ErrInvalidSignature) || !errors.Is(err, signature.ErrMismatch) {
		t.Errorf("wrong secret: error %v", err)
	}
}

// TestOverHTTP sends real requests, whose header names the server
// canonicalizes (webhook-id arrives as Webhook-Id).
func TestOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := verify.Request(r, secret, &verify.Options{Mode: verify.ModeBoth}); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	send := func(d delivery) int {
		t.Helper()
		r := d.request()
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = r.Header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	d := herald()
	d.at = time.Now()
	if code := send(d); code != http.StatusNoContent {
		t.Errorf("valid delivery: status %d", code)
	}
	d.secret = oldSecret
	if code := send(d); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d", code)
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[verify.Mode]string{
		verify.ModeEither: "either", verify.ModeHMAC: "hmac", verify.ModeStandard: "standard", verify.ModeBoth: "both", 7: "Mode(7)",
	} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}

// TestRotationPreviousHeader: during a rotation's grace period the HMAC
// header carries the new secret's signature and its -Previous twin the old
// ones; a receiver holding either secret verifies, one holding neither
// does not, and without the twin the old secret no longer verifies.
func TestRotationPreviousHeader(t *testing.T) {
	const newSecret = "the-new-secret-1"
	d := herald()
	d.secret, d.standard = newSecret, false
	for _, mode := range []verify.Mode{verify.ModeHMAC, verify.ModeEither} {
		r := d.request()
		r.Header.Set("X-Webhook-Signature-Previous", signature.Sign(d.format, "third-secret", body)+" "+signature.Sign(d.format, secret, body))
		for _, s := range []string{newSecret, secret, "third-secret"} {
			if _, err := verify.Request(r, s, opts(mode)); err != nil {
				t.Errorf("%v, secret %q: %v", mode, s, err)
			}
		}
		if _, err := verify.Request(r, "another-secret", opts(mode)); !errors.Is(err, verify.ErrInvalidSignature) {
			t.Errorf("%v, a fourth secret: %v", mode, err)
		}
		check(t, d.request(), opts(mode), verify.ErrInvalidSignature)
	}
}
