// Package signature computes and checks the HMAC-SHA256 signatures Herald
// puts on outbound webhook requests.
//
// Two schemes are supported:
//
//   - the configurable signature header (X-Webhook-Signature by default):
//     HMAC-SHA256 of the exact request body keyed with the bytes of the
//     secret string, written as "sha256=<hex>", "<hex>" or "<base64>" (Sign,
//     Verify);
//   - Standard Webhooks (https://www.standardwebhooks.com): the
//     webhook-signature header "v1,<base64>" over "<msg id>.<timestamp>.<body>",
//     keyed with the base64-decoded remainder of a "whsec_" secret
//     (StandardSign, VerifyStandard).
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signature formats accepted by Sign and Verify. They have the values of
// herald.SignatureSHA256Hex, herald.SignatureHex and herald.SignatureBase64.
const (
	// FormatSHA256Hex writes "sha256=<lowercase hex>"; it is the default and
	// the fallback for unknown formats.
	FormatSHA256Hex = "sha256=hex"
	// FormatHex writes "<lowercase hex>".
	FormatHex = "hex"
	// FormatBase64 writes "<standard base64 with padding>".
	FormatBase64 = "base64"
)

// Standard Webhooks constants.
const (
	// SecretPrefix marks a secret whose remainder is the base64 of the
	// Standard Webhooks key.
	SecretPrefix = "whsec_"
	// StandardVersion is the version tag of the signatures StandardSign
	// writes and VerifyStandard checks.
	StandardVersion = "v1"
)

const sha256Prefix = "sha256="

// Errors wrapped by VerifyStandard.
var (
	// ErrMissing reports an empty or absent header value (id, timestamp or
	// signature).
	ErrMissing = errors.New("missing header")
	// ErrStale reports a timestamp that is malformed or outside the
	// tolerance.
	ErrStale = errors.New("timestamp outside tolerance")
	// ErrMismatch reports that no signature matched.
	ErrMismatch = errors.New("no matching signature")
)

// mac returns HMAC-SHA256(key, parts...) in sum.
func mac(sum *[sha256.Size]byte, key []byte, parts ...[]byte) {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	h.Sum(sum[:0])
}

// Sign returns the signature header value for body: the HMAC-SHA256 of body
// keyed with the bytes of secret, written as "sha256=<lowercase hex>" for
// FormatSHA256Hex, "<lowercase hex>" for FormatHex and "<standard base64>"
// for FormatBase64. Any other format, including "", is treated as
// FormatSHA256Hex.
func Sign(format, secret string, body []byte) string {
	var sum [sha256.Size]byte
	mac(&sum, []byte(secret), body)
	return encode(format, &sum)
}

func encode(format string, sum *[sha256.Size]byte) string {
	var buf [len(sha256Prefix) + 2*sha256.Size]byte
	switch format {
	case FormatHex:
		hex.Encode(buf[:], sum[:])
		return string(buf[:2*sha256.Size])
	case FormatBase64:
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	copy(buf[:], sha256Prefix)
	hex.Encode(buf[len(sha256Prefix):], sum[:])
	return string(buf[:])
}

// Verify reports whether header is the signature Sign(format, secret, body)
// would write, comparing in constant time. Surrounding whitespace in header
// is ignored, and for FormatSHA256Hex (and unknown formats) the bare hex
// without "sha256=" is accepted too. Hex must be lowercase and base64 padded,
// exactly as Sign writes them.
func Verify(format, secret string, body []byte, header string) bool {
	header = strings.TrimSpace(header)
	var sum [sha256.Size]byte
	mac(&sum, []byte(secret), body)
	want := encode(format, &sum)
	if format != FormatHex && format != FormatBase64 && !strings.HasPrefix(header, sha256Prefix) {
		want = want[len(sha256Prefix):]
	}
	return subtle.ConstantTimeCompare([]byte(header), []byte(want)) == 1
}

// StandardKey returns the Standard Webhooks HMAC key for secret: for a
// "whsec_" secret the standard base64 decoding of the rest, falling back to
// the bytes of the whole secret when the rest is not valid base64; for any
// other secret its bytes.
func StandardKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok {
		if key, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return key
		}
	}
	return []byte(secret)
}

// standardMAC computes the Standard Webhooks HMAC of msgID, timestamp and body.
func standardMAC(sum *[sha256.Size]byte, key []byte, msgID, timestamp string, body []byte) {
	head := make([]byte, 0, len(msgID)+len(timestamp)+2)
	head = append(head, msgID...)
	head = append(head, '.')
	head = append(head, timestamp...)
	head = append(head, '.')
	mac(sum, key, head, body)
}

// StandardSign returns the Standard Webhooks webhook-signature value for a
// message: "v1," followed by the standard base64 of
// HMAC-SHA256(StandardKey(secret), msgID + "." + timestamp + "." + body),
// with timestamp in decimal unix seconds.
func StandardSign(secret, msgID string, timestamp int64, body []byte) string {
	var sum [sha256.Size]byte
	var ts [20]byte
	standardMAC(&sum, StandardKey(secret), msgID, string(strconv.AppendInt(ts[:0], timestamp, 10)), body)
	return StandardVersion + "," + base64.StdEncoding.EncodeToString(sum[:])
}

// VerifyStandard checks a Standard Webhooks message: msgID, timestamp and
// signatureHeader are the values of the webhook-id, webhook-timestamp and
// webhook-signature headers. The signature header is a space-separated list
// of "<version>,<base64>" entries; the message verifies if any "v1" entry
// matches (several entries allow key rotation), and entries of other
// versions are ignored. timestamp must be a decimal integer of unix seconds
// no further than tolerance (in whole seconds, at least one) from now in
// either direction; a tolerance of 0 (or less) disables that check.
//
// The error wraps ErrMissing when a header value is empty, ErrStale when the
// timestamp is malformed or out of tolerance, and ErrMismatch when no entry
// matches.
func VerifyStandard(secret string, msgID, timestamp, signatureHeader string, body []byte, tolerance time.Duration, now time.Time) error {
	switch {
	case msgID == "":
		return fmt.Errorf("verify webhook-id: %w", ErrMissing)
	case timestamp == "":
		return fmt.Errorf("verify webhook-timestamp: %w", ErrMissing)
	case strings.TrimSpace(signatureHeader) == "":
		return fmt.Errorf("verify webhook-signature: %w", ErrMissing)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("parse webhook-timestamp %q: %w: %w", truncate(timestamp), ErrStale, err)
	}
	if tolerance > 0 {
		// Compare in seconds so huge timestamps cannot overflow a Duration.
		tol := int64(tolerance / time.Second)
		if tol == 0 {
			tol = 1
		}
		diff := now.Unix() - ts
		if ts > now.Unix() {
			diff = ts - now.Unix()
		}
		if diff < 0 || diff > tol { // diff < 0 only on overflow
			return fmt.Errorf("check webhook-timestamp %d against %d: %w (tolerance %s)", ts, now.Unix(), ErrStale, tolerance)
		}
	}
	var sum [sha256.Size]byte
	standardMAC(&sum, StandardKey(secret), msgID, timestamp, body)
	var want [44]byte // base64 of 32 bytes
	base64.StdEncoding.Encode(want[:], sum[:])
	seen := 0
	for _, entry := range strings.Fields(signatureHeader) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != StandardVersion {
			continue
		}
		seen++
		if subtle.ConstantTimeCompare([]byte(sig), want[:]) == 1 {
			return nil
		}
	}
	if seen == 0 {
		return fmt.Errorf("verify webhook-signature: %w: no %s entry", ErrMismatch, StandardVersion)
	}
	return fmt.Errorf("verify webhook-signature: %w among %d %s entries", ErrMismatch, seen, StandardVersion)
}

// truncate shortens s for error messages.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
