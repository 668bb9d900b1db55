// Package provider verifies and decodes the requests that platforms
// (GitHub, Slack, Discord, Telegram, Stripe and Standard Webhooks senders)
// post to Herald's named inbound webhooks, and turns their payloads into a
// default message for an agent.
//
// Each Provider checks a request's signature on the raw body before
// anything parses it (Verify), decodes the body (Parse) into a payload, an
// event type, a duplicate key and, for handshakes such as GitHub's ping,
// Slack's url_verification or Discord's PING, an answer to send at once,
// and makes the message used when the webhook sets no template
// (DefaultMessage). Generic keeps the behaviour of webhooks without a
// platform: the webhook's secret as a header or an HMAC of the body.
//
// Every verification failure is a *herald.Error with code
// herald.EUNAUTHORIZED whose message is safe to show and to log, such as
// "missing X-Hub-Signature-256", "signature mismatch" or "timestamp outside
// the 300s window". Secrets are compared in constant time.
package provider

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// ReplayWindow is how far a signed timestamp may be from now, in either
// direction, for the providers that sign one (Slack, Stripe, Standard
// Webhooks): 300 seconds.
const ReplayWindow = 300 * time.Second

// Request is an inbound request as a provider sees it.
type Request struct {
	// Header holds the request headers.
	Header http.Header
	// Body is the raw body, exactly as received.
	Body []byte
	// ContentType is the Content-Type header ("" when absent).
	ContentType string
	// Now is the time the request arrived, for replay windows.
	Now time.Time
}

// Handshake is an answer a provider's request gets at once, without
// reaching an agent (GitHub's ping, Slack's url_verification, Discord's
// PING).
type Handshake struct {
	// Status is the HTTP status, 200.
	Status int
	// Body is encoded as the JSON answer.
	Body any
}

// Parsed is a decoded request.
type Parsed struct {
	// Payload is the decoded body: a JSON value as encoding/json decodes
	// it, or, for form bodies without a payload field (Slack's slash
	// commands), a map of the form's first values.
	Payload any
	// EventType is the event type filters match, "" when none.
	EventType string
	// DuplicateKey is the sender's delivery id, "" when none; a request
	// whose key was seen recently is a duplicate.
	DuplicateKey string
	// Handshake, when set, is answered at once instead of invoking.
	Handshake *Handshake
}

// Provider verifies, decodes and describes one platform's requests.
type Provider interface {
	// Name is the provider's name, the webhook's provider field.
	Name() string
	// Verify checks r's signature or token against secret on the raw
	// body. An empty secret refuses every request.
	Verify(r *Request, secret string) error
	// Parse decodes a verified request.
	Parse(r *Request) (*Parsed, error)
	// DefaultMessage is the message and context for a webhook without a
	// template; an empty message means the generic default (the payload's
	// message field, else the payload as JSON).
	DefaultMessage(p *Parsed) (message string, context map[string]any)
}

// Providers by name.
var (
	// Generic is the provider of webhooks without a platform.
	Generic Provider = generic{}
	// GitHub verifies X-Hub-Signature-256.
	GitHub Provider = github{}
	// Slack verifies X-Slack-Signature (events, slash commands and
	// interactive components).
	Slack Provider = slack{}
	// Discord verifies X-Signature-Ed25519 (interactions).
	Discord Provider = discord{}
	// Telegram verifies X-Telegram-Bot-Api-Secret-Token.
	Telegram Provider = telegram{}
	// Stripe verifies Stripe-Signature.
	Stripe Provider = stripe{}
	// Standard verifies Standard Webhooks' webhook-signature (Svix,
	// Herald itself).
	Standard Provider = standard{}
)

var byName = map[string]Provider{
	herald.ProviderGeneric:  Generic,
	herald.ProviderGitHub:   GitHub,
	herald.ProviderSlack:    Slack,
	herald.ProviderDiscord:  Discord,
	herald.ProviderTelegram: Telegram,
	herald.ProviderStripe:   Stripe,
	herald.ProviderStandard: Standard,
}

// Lookup returns the provider called name; "" is Generic.
func Lookup(name string) (Provider, bool) {
	if name == "" {
		return Generic, true
	}
	p, ok := byName[name]
	return p, ok
}

// Names lists the providers' names, sorted.
func Names() []string {
	out := make([]string, 0, len(byName))
	for n := range byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// unauthorized is a verification failure with a reason safe to show.
func unauthorized(format string, args ...any) error {
	return herald.Errorf(herald.EUNAUTHORIZED, format, args...)
}

// errNoSecret refuses requests to a provider webhook without a secret.
func errNoSecret(what string) error {
	return unauthorized("this webhook has no %s configured; it refuses every request", what)
}

// errMismatch is the answer to a wrong signature.
var errMismatch = unauthorized("signature mismatch")

// errStale is the answer to a timestamp outside ReplayWindow.
func errStale() error {
	return unauthorized("timestamp outside the %ds window", int(ReplayWindow/time.Second))
}

// checkTimestamp checks a decimal unix-seconds timestamp against now and
// ReplayWindow, without overflowing on huge values.
func checkTimestamp(ts string, now time.Time) error {
	t, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return unauthorized("malformed timestamp")
	}
	n := now.Unix()
	var diff int64
	if t > n {
		diff = t - n
	} else {
		diff = n - t
	}
	if diff < 0 || diff > int64(ReplayWindow/time.Second) { // diff < 0 only on overflow
		return errStale()
	}
	return nil
}

// hmacSHA256 is HMAC-SHA256(key, parts...).
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// equalSecret compares in constant time, whatever the lengths.
func equalSecret(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return hmac.Equal(a[:], b[:])
}

// isForm reports whether contentType is application/x-www-form-urlencoded.
func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/x-www-form-urlencoded")
	}
	return mt == "application/x-www-form-urlencoded"
}

// decodeBody decodes a JSON body, or a form body: the JSON in its payload
// field when it has one, else (when formFields) the form's first values
// as a map. An empty body is an empty object.
func decodeBody(r *Request, formFields bool) (any, error) {
	trimmed := bytes.TrimSpace(r.Body)
	if len(trimmed) == 0 {
		return map[string]any{}, nil
	}
	if isForm(r.ContentType) && !json.Valid(trimmed) {
		form, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return nil, herald.Errorf(herald.EINVALID, "body: malformed form: %s", err)
		}
		if form.Has("payload") {
			trimmed = []byte(form.Get("payload"))
		} else if formFields {
			out := make(map[string]any, len(form))
			for k, v := range form {
				if len(v) > 0 {
					out[k] = v[0]
				}
				if !utf8.ValidString(k) || len(v) > 0 && !utf8.ValidString(v[0]) {
					return nil, herald.Errorf(herald.EINVALID, "body: must be valid UTF-8")
				}
			}
			return out, nil
		} else {
			return nil, herald.Errorf(herald.EINVALID, "body: a form body must carry the JSON payload in its payload field")
		}
	}
	return decodeJSON(trimmed)
}

// decodeJSON decodes one JSON value, naming the position of a syntax
// error, and refuses invalid UTF-8 rather than replacing it.
func decodeJSON(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, herald.Errorf(herald.EINVALID, "body: must be valid UTF-8")
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, herald.Errorf(herald.EINVALID, "body: malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
		}
		return nil, herald.Errorf(herald.EINVALID, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return v, nil
}

// get walks payload along keys through JSON objects; nil when absent.
func get(payload any, keys ...string) any {
	v := payload
	for _, k := range keys {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}

// str is get as a string: strings as is, numbers and booleans formatted,
// "" otherwise.
func str(payload any, keys ...string) string {
	switch v := get(payload, keys...).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// putNonEmpty sets ctx[k] = v unless v is nil or "".
func putNonEmpty(ctx map[string]any, k string, v any) {
	if v == nil {
		return
	}
	if s, ok := v.(string); ok && s == "" {
		return
	}
	ctx[k] = v
}

// firstString returns the first non-empty of ss.
func firstString(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// formatValue renders an option value for a message.
func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
