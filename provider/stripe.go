package provider

import (
	"crypto/hmac"
	"encoding/hex"
	"strings"
)

// stripe verifies Stripe's events: Stripe-Signature: t=<unix>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>[,v1=…], keyed with the whole
// whsec_… string, the timestamp within ReplayWindow. Any v1 may match
// (during a secret's rotation Stripe sends one per secret). The event id
// is the duplicate key.
type stripe struct{}

func (stripe) Name() string { return "stripe" }

// Verify checks Stripe-Signature.
func (stripe) Verify(r *Request, secret string) error {
	if secret == "" {
		return errNoSecret("signing secret")
	}
	h := strings.TrimSpace(r.Header.Get("Stripe-Signature"))
	if h == "" {
		return unauthorized("missing Stripe-Signature")
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" {
		return unauthorized("malformed Stripe-Signature: no t=")
	}
	if len(sigs) == 0 {
		return unauthorized("malformed Stripe-Signature: no v1=")
	}
	if err := checkTimestamp(ts, r.Now); err != nil {
		return err
	}
	want := hmacSHA256([]byte(secret), []byte(ts+"."), r.Body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return errMismatch
	}
	return nil
}

// Parse decodes an event: type is the event type, id the duplicate key.
func (stripe) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, false)
	if err != nil {
		return nil, err
	}
	return &Parsed{Payload: payload, EventType: str(payload, "type"), DuplicateKey: str(payload, "id")}, nil
}

// DefaultMessage is "Stripe event: <type> on <object id>", with the event
// id, type and object id in the context.
func (stripe) DefaultMessage(p *Parsed) (string, map[string]any) {
	obj := str(p.Payload, "data", "object", "id")
	ctx := map[string]any{}
	putNonEmpty(ctx, "event_type", p.EventType)
	putNonEmpty(ctx, "event_id", str(p.Payload, "id"))
	putNonEmpty(ctx, "object_id", obj)
	putNonEmpty(ctx, "object", str(p.Payload, "data", "object", "object"))
	putNonEmpty(ctx, "livemode", get(p.Payload, "livemode"))
	return "Stripe event: " + p.EventType + " on " + obj, ctx
}
