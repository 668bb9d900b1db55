// Package verify checks, on the receiving side, that a webhook delivery
// comes from Herald. It depends only on the standard library and Herald's
// signature package, so services can import it without pulling in the
// server.
//
// Herald signs every POST twice, with the same secret:
//
//   - the configured signature header (X-Webhook-Signature by default):
//     HMAC-SHA256 of the exact body keyed with the secret's bytes, as
//     "sha256=<hex>", "<hex>" or "<base64>" depending on the webhook's
//     signature format;
//   - the Standard Webhooks headers webhook-id, webhook-timestamp and
//     webhook-signature ("v1,<base64>" over "<id>.<timestamp>.<body>").
//
// While a rotated secret's grace period lasts, Herald signs with the old
// secret too: webhook-signature holds both signatures, and the signature
// header's "-Previous" twin the old one, so a receiver still holding the
// old secret verifies either way.
//
// Only the Standard Webhooks signature covers a timestamp, so only it
// protects against replayed deliveries. Require it with ModeStandard or
// ModeBoth when replays matter: in the default ModeEither, a request without
// the Standard Webhooks headers is accepted on the HMAC header alone.
package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/signature"
)

// Defaults of Options.
const (
	// DefaultHeader is the default signature header name.
	DefaultHeader = "X-Webhook-Signature"
	// DefaultFormat is the default signature format ("sha256=hex").
	DefaultFormat = signature.FormatSHA256Hex
	// DefaultTolerance is the default allowed distance between the
	// webhook-timestamp and the current time.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes is the default limit on the body Request reads
	// (10 MiB).
	DefaultMaxBodyBytes = 10 << 20
)

// PreviousSuffix is appended to the signature header's name to name the
// header that carries the old secrets' signatures while a rotated secret's
// grace period lasts (X-Webhook-Signature-Previous).
const PreviousSuffix = "-Previous"

// Names of the Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Errors returned (wrapped with detail) by Bytes and Request.
var (
	// ErrNoSignature reports that a signature header the mode requires
	// is missing or empty (for Standard Webhooks: any of webhook-id,
	// webhook-timestamp and webhook-signature).
	ErrNoSignature = errors.New("webhook signature missing")
	// ErrInvalidSignature reports a signature that does not match the body
	// and secret.
	ErrInvalidSignature = errors.New("webhook signature invalid")
	// ErrStale reports a webhook-timestamp that is not an integer or is
	// further than the tolerance from now.
	ErrStale = errors.New("webhook timestamp stale")
	// ErrBodyTooLarge reports a request body over Options.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("webhook body too large")
)

// Mode selects which signatures a delivery must carry.
type Mode int

const (
	// ModeEither, the default, checks the Standard Webhooks signature when
	// any of its headers is present and the HMAC signature header
	// otherwise. When the Standard Webhooks headers are present their
	// verdict is final: a failure is not retried with the HMAC header.
	ModeEither Mode = iota
	// ModeHMAC checks only the HMAC signature header and ignores the
	// Standard Webhooks headers.
	ModeHMAC
	// ModeStandard checks only the Standard Webhooks headers and ignores
	// the HMAC signature header.
	ModeStandard
	// ModeBoth requires both signatures to verify.
	ModeBoth
)

// String returns the mode's name: "either", "hmac", "standard" or "both".
func (m Mode) String() string {
	switch m {
	case ModeEither:
		return "either"
	case ModeHMAC:
		return "hmac"
	case ModeStandard:
		return "standard"
	case ModeBoth:
		return "both"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options configures verification. The zero value, like a nil *Options,
// means every default.
type Options struct {
	// Header is the name of the HMAC signature header (case-insensitive);
	// default DefaultHeader, "X-Webhook-Signature".
	Header string
	// Format is the webhook's signature format, signature.FormatSHA256Hex
	// ("sha256=hex"), signature.FormatHex ("hex") or signature.FormatBase64
	// ("base64"); default DefaultFormat, "sha256=hex".
	Format string
	// Tolerance is the largest allowed distance, either way, between the
	// webhook-timestamp and Now; default DefaultTolerance (5 minutes) when
	// zero. A negative value disables the check.
	Tolerance time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Mode selects the signatures required; default ModeEither.
	Mode Mode
	// MaxBodyBytes limits the body Request reads; default
	// DefaultMaxBodyBytes (10 MiB) when zero or negative.
	MaxBodyBytes int64
}

// resolved returns o with the defaults filled in.
func (o *Options) resolved() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Header == "" {
		r.Header = DefaultHeader
	}
	if r.Format == "" {
		r.Format = DefaultFormat
	}
	if r.Tolerance == 0 {
		r.Tolerance = DefaultTolerance
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.MaxBodyBytes <= 0 {
		r.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return r
}

// Bytes verifies a delivery whose exact body is body and whose headers are
// h, signed with secret, according to opts (nil means the defaults). It
// returns nil when the delivery verifies, else an error wrapping
// ErrNoSignature, ErrInvalidSignature or ErrStale (and, for Standard
// Webhooks failures, the matching signature package error).
func Bytes(secret string, body []byte, h http.Header, opts *Options) error {
	o := opts.resolved()
	switch o.Mode {
	case ModeEither:
		if hasStandard(h) {
			return checkStandard(secret, body, h, &o)
		}
		return checkHMAC(secret, body, h, &o)
	case ModeHMAC:
		return checkHMAC(secret, body, h, &o)
	case ModeStandard:
		return checkStandard(secret, body, h, &o)
	case ModeBoth:
		if err := checkStandard(secret, body, h, &o); err != nil {
			return err
		}
		return checkHMAC(secret, body, h, &o)
	}
	return fmt.Errorf("verify webhook: unknown %v", o.Mode)
}

// Request reads r's body (at most opts.MaxBodyBytes, 10 MiB by default),
// verifies it with Bytes and returns it. Once the body is read, r.Body is
// replaced by a reader of the same bytes, so handlers can read it again,
// whether or not the delivery verifies. A body over the limit fails with an
// error wrapping ErrBodyTooLarge.
func Request(r *http.Request, secret string, opts *Options) ([]byte, error) {
	o := opts.resolved()
	if r.ContentLength > o.MaxBodyBytes {
		return nil, fmt.Errorf("read webhook body: %w: Content-Length %d exceeds %d bytes", ErrBodyTooLarge, r.ContentLength, o.MaxBodyBytes)
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, o.MaxBodyBytes+1))
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read webhook body: %w", err)
		}
		if int64(len(body)) > o.MaxBodyBytes {
			return nil, fmt.Errorf("read webhook body: %w: more than %d bytes", ErrBodyTooLarge, o.MaxBodyBytes)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := Bytes(secret, body, r.Header, &o); err != nil {
		return nil, err
	}
	return body, nil
}

// get returns the first value of header name in h, matching the name
// case-insensitively even when h was built with non-canonical keys (Herald
// writes the Standard Webhooks names in lowercase).
func get(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && vs[0] != "" && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// hasStandard reports whether any Standard Webhooks header is set.
func hasStandard(h http.Header) bool {
	return get(h, HeaderID) != "" || get(h, HeaderTimestamp) != "" || get(h, HeaderSignature) != ""
}

func checkHMAC(secret string, body []byte, h http.Header, o *Options) error {
	v := get(h, o.Header)
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("verify %s: %w", o.Header, ErrNoSignature)
	}
	if signature.Verify(o.Format, secret, body, v) {
		return nil
	}
	// During a secret rotation's grace period the old secrets' signatures
	// are in the header's -Previous twin, space-separated.
	for _, old := range strings.Fields(get(h, o.Header+PreviousSuffix)) {
		if signature.Verify(o.Format, secret, body, old) {
			return nil
		}
	}
	return fmt.Errorf("verify %s: %w (format %s)", o.Header, ErrInvalidSignature, o.Format)
}

func checkStandard(secret string, body []byte, h http.Header, o *Options) error {
	tolerance := o.Tolerance
	if tolerance < 0 {
		tolerance = 0 // signature.VerifyStandard: no check
	}
	err := signature.VerifyStandard(secret, get(h, HeaderID), get(h, HeaderTimestamp), get(h, HeaderSignature), body, tolerance, o.Now())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, signature.ErrMissing):
		return fmt.Errorf("verify standard webhook: %w: %w", ErrNoSignature, err)
	case errors.Is(err, signature.ErrStale):
		return fmt.Errorf("verify standard webhook: %w: %w", ErrStale, err)
	}
	return fmt.Errorf("verify standard webhook: %w: %w", ErrInvalidSignature, err)
}
