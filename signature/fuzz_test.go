package signature_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/signature"
)

var fuzzFormats = []string{signature.FormatSHA256Hex, signature.FormatHex, signature.FormatBase64, "other"}

func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), rfcKey, []byte(rfcData), uint(3), uint8(1), "sha256=00")
	f.Add(uint8(1), "", []byte{}, uint(0), uint8(0x20), "")
	f.Add(uint8(2), "whsec_SmVmZQ==", []byte{0xff, 0}, uint(43), uint8(0x41), rfcBase64)
	f.Fuzz(func(t *testing.T, sel uint8, secret string, body []byte, at uint, mask uint8, header string) {
		format := fuzzFormats[int(sel)%len(fuzzFormats)]
		if mask == 0 {
			mask = 1
		}
		sig := signature.Sign(format, secret, body)
		if !signature.Verify(format, secret, body, sig) {
			t.Fatalf("Verify(%q, Sign) = false", format)
		}
		if !signature.Verify(format, secret, body, " \t"+sig+"\r\n") {
			t.Fatalf("Verify(%q) rejects Sign with surrounding whitespace", format)
		}
		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[at%uint(len(body))] ^= mask
			if signature.Verify(format, secret, tampered, sig) {
				t.Fatalf("Verify(%q) accepts a body with a flipped byte", format)
			}
		}
		flipped := []byte(sig)
		flipped[at%uint(len(flipped))] ^= mask
		if signature.Verify(format, secret, body, string(flipped)) {
			t.Fatalf("Verify(%q) accepts %q for %q", format, flipped, sig)
		}
		// Arbitrary headers never panic and verify only in Sign's forms.
		if signature.Verify(format, secret, body, header) {
			h := strings.TrimSpace(header)
			if h != sig && "sha256="+h != sig {
				t.Fatalf("Verify(%q) accepts %q, Sign gives %q", format, header, sig)
			}
		}
	})
}

func FuzzVerifyStandard(f *testing.F) {
	f.Add(stdSecret, stdID, int64(stdTS), []byte(stdBody), uint(5), uint8(1), stdSig)
	f.Add("plain", "", int64(-1), []byte{}, uint(0), uint8(0x80), "v1, v1,")
	f.Add("whsec_!!", "id.with.dots", int64(1<<62), []byte{0}, uint(2), uint8(0xff), "v2,abc v1")
	f.Fuzz(func(t *testing.T, secret, msgID string, ts int64, body []byte, at uint, mask uint8, header string) {
		if mask == 0 {
			mask = 1
		}
		tsStr := strconv.FormatInt(ts, 10)
		sig := signature.StandardSign(secret, msgID, ts, body)
		err := signature.VerifyStandard(secret, msgID, tsStr, sig, body, 0, time.Time{})
		if msgID == "" {
			if !errors.Is(err, signature.ErrMissing) {
				t.Fatalf("empty id: error %v, want ErrMissing", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("VerifyStandard(StandardSign): %v", err)
		}
		if err := signature.VerifyStandard(secret, msgID, tsStr, sig, body, 5*time.Minute, time.Unix(ts, 0)); err != nil {
			t.Fatalf("VerifyStandard(StandardSign) at its own time: %v", err)
		}
		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[at%uint(len(body))] ^= mask
			if err := signature.VerifyStandard(secret, msgID, tsStr, sig, tampered, 0, time.Time{}); !errors.Is(err, signature.ErrMismatch) {
				t.Fatalf("flipped body byte: error %v, want ErrMismatch", err)
			}
		}
		flipped := []byte(sig)
		flipped[at%uint(len(flipped))] ^= mask
		if err := signature.VerifyStandard(secret, msgID, tsStr, string(flipped), body, 0, time.Time{}); !errors.Is(err, signature.ErrMismatch) {
			t.Fatalf("flipped signature byte %q: error %v, want ErrMismatch", flipped, err)
		}
		// An arbitrary header verifies only if it lists the signature.
		if err := signature.VerifyStandard(secret, msgID, tsStr, header, body, 0, time.Time{}); err == nil {
			found := false
			for _, e := range strings.Fields(header) {
				found = found || e == sig
			}
			if !found {
				t.Fatalf("header %q verifies without %q", header, sig)
			}
		}
	})
}
