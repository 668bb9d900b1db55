package provider

import (
	"crypto/hmac"
	"encoding/hex"
	"strings"
)

// generic is the provider of webhooks without a platform: the webhook's
// secret as a header, or an HMAC-SHA256 of the body.
type generic struct{}

func (generic) Name() string { return "generic" }

// Verify takes any of, compared in constant time:
//
//	X-Webhook-Secret: <secret>                  (seed 002's examples)
//	Authorization: Bearer <secret>
//	X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>
//	X-Hub-Signature-256: sha256=<hex>           (what GitHub sends)
func (generic) Verify(r *Request, secret string) error {
	if secret == "" {
		return unauthorized("this webhook has no secret")
	}
	ok := false
	if v := r.Header.Get("X-Webhook-Secret"); v != "" {
		ok = equalSecret(v, secret) || ok
	}
	if v := bearer(r.Header.Get("Authorization")); v != "" {
		ok = equalSecret(v, secret) || ok
	}
	want := hmacSHA256([]byte(secret), r.Body)
	for _, h := range []string{"X-Webhook-Signature", "X-Hub-Signature-256"} {
		v := strings.TrimSpace(r.Header.Get(h))
		if v == "" {
			continue
		}
		got, err := hex.DecodeString(strings.TrimPrefix(v, "sha256="))
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return unauthorized("invalid or missing webhook secret: send X-Webhook-Secret: <secret>, Authorization: Bearer <secret> or X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>")
	}
	return nil
}

// bearer is the token of an "Authorization: Bearer <token>" value.
func bearer(auth string) string {
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// Parse decodes a JSON body (or a form body's payload field). The event
// type is the X-Event-Type header, else the payload's event_type, event
// or type string field; the duplicate key the X-Request-Id header, else
// webhook-id, else the payload's idempotency_key.
func (generic) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, false)
	if err != nil {
		return nil, err
	}
	p := &Parsed{Payload: payload}
	p.EventType = strings.TrimSpace(r.Header.Get("X-Event-Type"))
	if p.EventType == "" {
		if obj, ok := payload.(map[string]any); ok {
			for _, k := range []string{"event_type", "event", "type"} {
				if v, ok := obj[k].(string); ok && v != "" {
					p.EventType = v
					break
				}
			}
		}
	}
	for _, h := range []string{"X-Request-Id", "Webhook-Id"} {
		if v := strings.TrimSpace(r.Header.Get(h)); v != "" {
			p.DuplicateKey = v
			break
		}
	}
	if p.DuplicateKey == "" {
		if v, ok := get(payload, "idempotency_key").(string); ok {
			p.DuplicateKey = strings.TrimSpace(v)
		}
	}
	return p, nil
}

// DefaultMessage leaves the generic default (the payload's message field,
// else the payload as JSON).
func (generic) DefaultMessage(*Parsed) (string, map[string]any) { return "", nil }
