package provider

import (
	"crypto/hmac"
	"encoding/hex"
	"net/http"
	"strings"
)

// github verifies GitHub's webhook deliveries: X-Hub-Signature-256:
// sha256=<hex HMAC-SHA256(secret, body)>. There is no replay window;
// X-GitHub-Delivery is the duplicate key.
type github struct{}

func (github) Name() string { return "github" }

// Verify checks X-Hub-Signature-256; a request without it is refused.
func (github) Verify(r *Request, secret string) error {
	if secret == "" {
		return errNoSecret("secret")
	}
	v := strings.TrimSpace(r.Header.Get("X-Hub-Signature-256"))
	if v == "" {
		return unauthorized("missing X-Hub-Signature-256")
	}
	hexSig, ok := strings.CutPrefix(v, "sha256=")
	if !ok {
		return unauthorized("malformed X-Hub-Signature-256: want sha256=<hex>")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return unauthorized("malformed X-Hub-Signature-256: want sha256=<hex>")
	}
	if !hmac.Equal(got, hmacSHA256([]byte(secret), r.Body)) {
		return errMismatch
	}
	return nil
}

// Parse decodes a JSON or form (payload=) body. The event type is
// X-GitHub-Event, plus "." and the payload's action when it has one
// ("pull_request.opened"); a ping answers 200 at once.
func (github) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, false)
	if err != nil {
		return nil, err
	}
	p := &Parsed{Payload: payload, DuplicateKey: strings.TrimSpace(r.Header.Get("X-GitHub-Delivery"))}
	event := strings.TrimSpace(r.Header.Get("X-GitHub-Event"))
	p.EventType = event
	if action := str(payload, "action"); action != "" && event != "" {
		p.EventType = event + "." + action
	}
	if event == "ping" {
		p.Handshake = &Handshake{Status: http.StatusOK, Body: map[string]any{"success": true, "ping": true, "zen": str(payload, "zen")}}
	}
	return p, nil
}

// DefaultMessage is "GitHub event: <event type> on <repository>" (seed
// 002's template; without " on …" for events of no repository) with
// repository, sender and action in the context.
func (github) DefaultMessage(p *Parsed) (string, map[string]any) {
	repo := str(p.Payload, "repository", "full_name")
	ctx := map[string]any{}
	putNonEmpty(ctx, "event_type", p.EventType)
	putNonEmpty(ctx, "repository", repo)
	putNonEmpty(ctx, "sender", str(p.Payload, "sender", "login"))
	putNonEmpty(ctx, "action", str(p.Payload, "action"))
	if repo == "" { // an organisation or app event
		return "GitHub event: " + p.EventType, ctx
	}
	return "GitHub event: " + p.EventType + " on " + repo, ctx
}
