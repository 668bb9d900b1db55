package provider

import (
	"errors"
	"strings"

	"github.com/heraldhq/herald/signature"
)

// standard verifies Standard Webhooks senders (Svix, Herald's own
// deliveries): webhook-signature: v1,<base64 HMAC-SHA256(key,
// webhook-id + "." + webhook-timestamp + "." + body)>, where a whsec_
// secret's key is the base64 decoding of the rest. Any v1 entry of the
// space-separated list may match; the timestamp must be within
// ReplayWindow. webhook-id is the duplicate key.
type standard struct{}

func (standard) Name() string { return "standard" }

// Verify checks webhook-id, webhook-timestamp and webhook-signature with
// signature.VerifyStandard.
func (standard) Verify(r *Request, secret string) error {
	if secret == "" {
		return errNoSecret("secret")
	}
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		if strings.TrimSpace(r.Header.Get(h)) == "" {
			return unauthorized("missing %s", h)
		}
	}
	err := signature.VerifyStandard(secret, r.Header.Get("webhook-id"), strings.TrimSpace(r.Header.Get("webhook-timestamp")),
		r.Header.Get("webhook-signature"), r.Body, ReplayWindow, r.Now)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, signature.ErrStale):
		// Malformed or outside the window; say which.
		if terr := checkTimestamp(r.Header.Get("webhook-timestamp"), r.Now); terr != nil {
			return terr
		}
		return errStale()
	}
	return errMismatch
}

// Parse decodes a JSON body: type is the event type, the webhook-id
// header the duplicate key.
func (standard) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, false)
	if err != nil {
		return nil, err
	}
	return &Parsed{Payload: payload, EventType: str(payload, "type"), DuplicateKey: strings.TrimSpace(r.Header.Get("webhook-id"))}, nil
}

// DefaultMessage leaves the generic default (the payload's message field,
// else the payload as JSON), with the event type in the context.
func (standard) DefaultMessage(p *Parsed) (string, map[string]any) {
	if p.EventType == "" {
		return "", nil
	}
	return "", map[string]any{"event_type": p.EventType}
}
