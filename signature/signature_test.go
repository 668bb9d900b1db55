package signature_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/signature"
)

// RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
const (
	rfcKey    = "Jefe"
	rfcData   = "what do ya want for nothing?"
	rfcHex    = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	rfcBase64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
)

func TestFormatsMatchRootPackage(t *testing.T) {
	if signature.FormatSHA256Hex != herald.SignatureSHA256Hex || signature.FormatHex != herald.SignatureHex ||
		signature.FormatBase64 != herald.SignatureBase64 || signature.SecretPrefix != herald.SecretPrefix {
		t.Error("signature constants differ from package herald's")
	}
}

func TestSign(t *testing.T) {
	for _, c := range []struct{ format, want string }{
		{signature.FormatSHA256Hex, "sha256=" + rfcHex},
		{signature.FormatHex, rfcHex},
		{signature.FormatBase64, rfcBase64},
		{"", "sha256=" + rfcHex},
		{"SHA256=HEX", "sha256=" + rfcHex},
		{"md5", "sha256=" + rfcHex},
	} {
		if got := signature.Sign(c.format, rfcKey, []byte(rfcData)); got != c.want {
			t.Errorf("Sign(%q) = %q, want %q", c.format, got, c.want)
		}
	}
	if a, b := signature.Sign("", "k", []byte("x")), signature.Sign("", "k", []byte("y")); a == b {
		t.Error("different bodies give the same signature")
	}
	if a, b := signature.Sign("", "k1", []byte("x")), signature.Sign("", "k2", []byte("x")); a == b {
		t.Error("different secrets give the same signature")
	}
	// The secret's bytes are the key, even for whsec_ secrets.
	if got := signature.Sign(signature.FormatHex, "whsec_"+rfcKey, []byte(rfcData)); got == rfcHex {
		t.Error("the whsec_ prefix was stripped from the HMAC key")
	}
}

func TestVerify(t *testing.T) {
	body := []byte(rfcData)
	for _, c := range []struct {
		format, secret, header string
		want                   bool
	}{
		{signature.FormatSHA256Hex, rfcKey, "sha256=" + rfcHex, true},
		{signature.FormatSHA256Hex, rfcKey, rfcHex, true},
		{signature.FormatSHA256Hex, rfcKey, "  sha256=" + rfcHex + "\r\n", true},
		{"unknown", rfcKey, "sha256=" + rfcHex, true},
		{"unknown", rfcKey, rfcHex, true},
		{signature.FormatHex, rfcKey, rfcHex, true},
		{signature.FormatHex, rfcKey, "\t" + rfcHex + " ", true},
		{signature.FormatBase64, rfcKey, rfcBase64, true},
		{signature.FormatBase64, rfcKey, " " + rfcBase64, true},

		{signature.FormatSHA256Hex, "jefe", "sha256=" + rfcHex, false},
		{signature.FormatSHA256Hex, rfcKey, "", false},
		{signature.FormatSHA256Hex, rfcKey, "sha256=", false},
		{signature.FormatSHA256Hex, rfcKey, "sha256=" + strings.ToUpper(rfcHex), false},
		{signature.FormatSHA256Hex, rfcKey, "sha256=" + rfcHex[:63], false},
		{signature.FormatSHA256Hex, rfcKey, "sha256=" + rfcHex + "0", false},
		{signature.FormatSHA256Hex, rfcKey, "sha256=sha256=" + rfcHex, false},
		{signature.FormatSHA256Hex, rfcKey, "sha1=" + rfcHex, false},
		{signature.FormatSHA256Hex, rfcKey, rfcBase64, false},
		{signature.FormatHex, rfcKey, "sha256=" + rfcHex, false},
		{signature.FormatHex, rfcKey, rfcBase64, false},
		{signature.FormatBase64, rfcKey, strings.TrimSuffix(rfcBase64, "="), false},
		{signature.FormatBase64, rfcKey, rfcHex, false},
		{signature.FormatBase64, rfcKey, "sha256=" + rfcHex, false},
		{signature.FormatBase64, rfcKey, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEO=", false}, // same bytes, non-zero padding bits
	} {
		if got := signature.Verify(c.format, c.secret, body, c.header); got != c.want {
			t.Errorf("Verify(%q, %q, header %q) = %v, want %v", c.format, c.secret, c.header, got, c.want)
		}
	}
	if signature.Verify(signature.FormatHex, rfcKey, []byte(rfcData+" "), rfcHex) {
		t.Error("a tampered body verifies")
	}
}

// Official test vector of the Standard Webhooks specification.
const (
	stdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stdID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	stdTS     = 1614265330
	stdBody   = `{"test": 2432232314}`
	stdSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestStandardSignVector(t *testing.T) {
	if got := signature.StandardSign(stdSecret, stdID, stdTS, []byte(stdBody)); got != stdSig {
		t.Errorf("StandardSign = %q, want %q", got, stdSig)
	}
	now := time.Unix(stdTS, 0)
	if err := signature.VerifyStandard(stdSecret, stdID, strconv.Itoa(stdTS), stdSig, []byte(stdBody), 5*time.Minute, now); err != nil {
		t.Errorf("VerifyStandard of the official vector: %v", err)
	}
}

func TestStandardKey(t *testing.T) {
	for _, c := range []struct{ secret, want string }{
		{"whsec_" + "SmVmZQ==", "Jefe"},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "\x31\xf2\x90\xf6\xbf\x06\x29\x8a\xab\x4f\x08\xd4\x3c\x3f\x08\x2c\xf6\x48\xa3\x62\xda\x2d\xa4\xb0"},
		{"whsec_!!!notbase64", "whsec_!!!notbase64"},
		{"whsec_SmVmZQ", "whsec_SmVmZQ"}, // unpadded: not standard base64
		{"plain-secret", "plain-secret"},
		{"SmVmZQ==", "SmVmZQ=="}, // no prefix: raw bytes, not decoded
		{"", ""},
	} {
		if got := string(signature.StandardKey(c.secret)); got != c.want {
			t.Errorf("StandardKey(%q) = %q, want %q", c.secret, got, c.want)
		}
	}
	// A whsec_ secret signs with its decoded key, so it agrees with a plain
	// secret made of those bytes.
	a := signature.StandardSign("whsec_SmVmZQ==", "id", 1, []byte("b"))
	b := signature.StandardSign("Jefe", "id", 1, []byte("b"))
	if a != b {
		t.Errorf("whsec_<base64 of Jefe> and Jefe sign differently: %q, %q", a, b)
	}
}

func TestVerifyStandard(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	const id = "evt_1"
	ts := int64(1_700_000_000)
	now := time.Unix(ts, 0)
	good := signature.StandardSign(stdSecret, id, ts, body)
	other := signature.StandardSign("whsec_SmVmZQ==", id, ts, body)
	tsStr := strconv.FormatInt(ts, 10)

	for _, c := range []struct {
		name                string
		secret, id, ts, sig string
		body                []byte
		tolerance           time.Duration
		now                 time.Time
		want                error
	}{
		{"valid", stdSecret, id, tsStr, good, body, 5 * time.Minute, now, nil},
		{"rotation second", stdSecret, id, tsStr, other + " " + good, body, 5 * time.Minute, now, nil},
		{"rotation first", stdSecret, id, tsStr, good + " " + other, body, 5 * time.Minute, now, nil},
		{"extra spaces", stdSecret, id, tsStr, "  " + other + "   " + good + " ", body, 5 * time.Minute, now, nil},
		{"other versions ignored", stdSecret, id, tsStr, "v1a,xyz v2," + good[3:] + " " + good, body, 5 * time.Minute, now, nil},
		{"at past tolerance edge", stdSecret, id, tsStr, good, body, 5 * time.Minute, now.Add(5 * time.Minute), nil},
		{"at future tolerance edge", stdSecret, id, tsStr, good, body, 5 * time.Minute, now.Add(-5 * time.Minute), nil},
		{"no tolerance check", stdSecret, id, tsStr, good, body, 0, now.Add(1000 * time.Hour), nil},

		{"missing id", stdSecret, "", tsStr, good, body, 5 * time.Minute, now, signature.ErrMissing},
		{"missing timestamp", stdSecret, id, "", good, body, 5 * time.Minute, now, signature.ErrMissing},
		{"missing signature", stdSecret, id, tsStr, "", body, 5 * time.Minute, now, signature.ErrMissing},
		{"blank signature", stdSecret, id, tsStr, "   ", body, 5 * time.Minute, now, signature.ErrMissing},
		{"bad timestamp", stdSecret, id, "17e8", good, body, 5 * time.Minute, now, signature.ErrStale},
		{"bad timestamp no tolerance", stdSecret, id, "soon", good, body, 0, now, signature.ErrStale},
		{"float timestamp", stdSecret, id, tsStr + ".5", good, body, 5 * time.Minute, now, signature.ErrStale},
		{"stale", stdSecret, id, tsStr, good, body, 5 * time.Minute, now.Add(5*time.Minute + time.Second), signature.ErrStale},
		{"future", stdSecret, id, tsStr, good, body, 5 * time.Minute, now.Add(-5*time.Minute - time.Second), signature.ErrStale},
		{"huge timestamp", stdSecret, id, strconv.FormatInt(math.MaxInt64, 10), good, body, 5 * time.Minute, now, signature.ErrStale},
		{"tiny timestamp", stdSecret, id, strconv.FormatInt(math.MinInt64, 10), good, body, 5 * time.Minute, now, signature.ErrStale},
		{"tampered body", stdSecret, id, tsStr, good, []byte(`{"id":"evt_2"}`), 5 * time.Minute, now, signature.ErrMismatch},
		{"wrong secret", "whsec_SmVmZQ==", id, tsStr, good, body, 5 * time.Minute, now, signature.ErrMismatch},
		{"wrong id", stdSecret, "evt_2", tsStr, good, body, 5 * time.Minute, now, signature.ErrMismatch},
		{"other signed timestamp", stdSecret, id, strconv.FormatInt(ts+1, 10), good, body, 5 * time.Minute, now, signature.ErrMismatch},
		{"only other versions", stdSecret, id, tsStr, "v2," + good[3:], body, 5 * time.Minute, now, signature.ErrMismatch},
		{"no comma", stdSecret, id, tsStr, strings.Replace(good, ",", "", 1), body, 5 * time.Minute, now, signature.ErrMismatch},
		{"unpadded", stdSecret, id, tsStr, strings.TrimSuffix(good, "="), body, 5 * time.Minute, now, signature.ErrMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := signature.VerifyStandard(c.secret, c.id, c.ts, c.sig, c.body, c.tolerance, c.now)
			if c.want == nil {
				if err != nil {
					t.Fatalf("VerifyStandard: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("VerifyStandard error = %v, want %v", err, c.want)
			}
			for _, e := range []error{signature.ErrMissing, signature.ErrStale, signature.ErrMismatch} {
				if e != c.want && errors.Is(err, e) {
					t.Errorf("error %v also wraps %v", err, e)
				}
			}
		})
	}
}
