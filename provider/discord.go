package provider

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// discord verifies Discord's interactions: an Ed25519 signature
// (X-Signature-Ed25519, hex) over X-Signature-Timestamp + body, checked
// with the application's hex public key, the webhook's secret. There is
// no replay window; the interaction id is the duplicate key.
type discord struct{}

func (discord) Name() string { return "discord" }

// interactionTypes names Discord's interaction types.
var interactionTypes = map[int]string{
	1: "ping", 2: "application_command", 3: "message_component",
	4: "application_command_autocomplete", 5: "modal_submit",
}

// Verify checks X-Signature-Ed25519 against the public key in secret.
func (discord) Verify(r *Request, secret string) error {
	if secret == "" {
		return errNoSecret("public key")
	}
	key, err := hex.DecodeString(strings.TrimSpace(secret))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return unauthorized("this webhook's public key is not %d bytes of hex; it refuses every request", ed25519.PublicKeySize)
	}
	sigHex := strings.TrimSpace(r.Header.Get("X-Signature-Ed25519"))
	if sigHex == "" {
		return unauthorized("missing X-Signature-Ed25519")
	}
	ts := r.Header.Get("X-Signature-Timestamp")
	if ts == "" {
		return unauthorized("missing X-Signature-Timestamp")
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return unauthorized("malformed X-Signature-Ed25519: want %d bytes of hex", ed25519.SignatureSize)
	}
	msg := make([]byte, 0, len(ts)+len(r.Body))
	msg = append(append(msg, ts...), r.Body...)
	if !ed25519.Verify(ed25519.PublicKey(key), msg, sig) {
		return errMismatch
	}
	return nil
}

// Parse decodes an interaction. A PING (type 1) answers {"type": 1} at
// once. The event type is "interaction." and the type's name
// ("interaction.application_command"), or its number when unknown.
func (discord) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, false)
	if err != nil {
		return nil, err
	}
	p := &Parsed{Payload: payload, DuplicateKey: str(payload, "id")}
	if t, ok := get(payload, "type").(float64); ok {
		name := interactionTypes[int(t)]
		if name == "" || float64(int(t)) != t {
			name = strconv.FormatFloat(t, 'f', -1, 64)
		}
		p.EventType = "interaction." + name
		if t == 1 {
			p.Handshake = &Handshake{Status: http.StatusOK, Body: map[string]any{"type": 1}}
		}
	}
	return p, nil
}

// DefaultMessage is the command's name and options ("/deploy env=prod"),
// or a component's custom_id, with guild, channel, user and options in
// the context.
func (discord) DefaultMessage(p *Parsed) (string, map[string]any) {
	pl := p.Payload
	ctx := map[string]any{}
	putNonEmpty(ctx, "event_type", p.EventType)
	putNonEmpty(ctx, "guild_id", str(pl, "guild_id"))
	putNonEmpty(ctx, "channel_id", str(pl, "channel_id"))
	user := get(pl, "member", "user")
	if user == nil {
		user = get(pl, "user")
	}
	putNonEmpty(ctx, "user", user)
	name := str(pl, "data", "name")
	if name == "" {
		if id := str(pl, "data", "custom_id"); id != "" {
			return id, ctx
		}
		return "Discord " + p.EventType, ctx
	}
	var b strings.Builder
	b.WriteString("/" + name)
	opts := map[string]any{}
	appendOptions(&b, opts, "", get(pl, "data", "options"))
	if len(opts) > 0 {
		ctx["options"] = opts
	}
	return b.String(), ctx
}

// appendOptions writes options (and subcommands' options, depth first) as
// " name=value" or " subcommand".
func appendOptions(b *strings.Builder, opts map[string]any, prefix string, v any) {
	list, _ := v.([]any)
	for _, o := range list {
		name := str(o, "name")
		if sub := get(o, "options"); sub != nil || get(o, "value") == nil {
			b.WriteString(" " + name)
			appendOptions(b, opts, prefix+name+".", sub)
			continue
		}
		val := get(o, "value")
		opts[prefix+name] = val
		b.WriteString(" " + name + "=" + formatValue(val))
	}
}
