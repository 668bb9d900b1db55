package provider

import (
	"crypto/hmac"
	"encoding/hex"
	"net/http"
	"strings"
)

// slack verifies Slack's requests (the Events API, slash commands and
// interactive components): X-Slack-Signature: v0=<hex HMAC-SHA256(signing
// secret, "v0:" + X-Slack-Request-Timestamp + ":" + body)>, with the
// timestamp within ReplayWindow.
type slack struct{}

func (slack) Name() string { return "slack" }

// Verify checks X-Slack-Signature and X-Slack-Request-Timestamp.
func (slack) Verify(r *Request, secret string) error {
	if secret == "" {
		return errNoSecret("signing secret")
	}
	sig := strings.TrimSpace(r.Header.Get("X-Slack-Signature"))
	if sig == "" {
		return unauthorized("missing X-Slack-Signature")
	}
	ts := strings.TrimSpace(r.Header.Get("X-Slack-Request-Timestamp"))
	if ts == "" {
		return unauthorized("missing X-Slack-Request-Timestamp")
	}
	if err := checkTimestamp(ts, r.Now); err != nil {
		return err
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return unauthorized("malformed X-Slack-Signature: want v0=<hex>")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return unauthorized("malformed X-Slack-Signature: want v0=<hex>")
	}
	if !hmac.Equal(got, hmacSHA256([]byte(secret), []byte("v0:"+ts+":"), r.Body)) {
		return errMismatch
	}
	return nil
}

// Parse decodes an Events API JSON body, an interactive form body (its
// payload field) or a slash command form. url_verification answers the
// challenge at once. The event type is the inner event's type, else the
// payload's type ("block_actions"), else "slash_command" for commands;
// the duplicate key is event_id, else trigger_id.
func (slack) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, true)
	if err != nil {
		return nil, err
	}
	p := &Parsed{Payload: payload}
	p.EventType = firstString(str(payload, "event", "type"), str(payload, "type"))
	if p.EventType == "" && str(payload, "command") != "" {
		p.EventType = "slash_command"
	}
	p.DuplicateKey = firstString(str(payload, "event_id"), str(payload, "trigger_id"))
	if str(payload, "type") == "url_verification" {
		p.Handshake = &Handshake{Status: http.StatusOK, Body: map[string]any{"challenge": str(payload, "challenge")}}
	}
	return p, nil
}

// DefaultMessage is the message text (the event's text, a slash command
// as "/cmd text", an interaction's first action value), with channel and
// user in the context.
func (slack) DefaultMessage(p *Parsed) (string, map[string]any) {
	pl := p.Payload
	ctx := map[string]any{}
	putNonEmpty(ctx, "event_type", p.EventType)
	var msg string
	switch {
	case get(pl, "event") != nil:
		msg = str(pl, "event", "text")
		putNonEmpty(ctx, "channel", str(pl, "event", "channel"))
		putNonEmpty(ctx, "user", str(pl, "event", "user"))
	case str(pl, "command") != "":
		msg = strings.TrimSpace(str(pl, "command") + " " + str(pl, "text"))
		putNonEmpty(ctx, "channel", str(pl, "channel_id"))
		putNonEmpty(ctx, "user", str(pl, "user_id"))
		putNonEmpty(ctx, "user_name", str(pl, "user_name"))
	default:
		if actions, ok := get(pl, "actions").([]any); ok && len(actions) > 0 {
			msg = firstString(str(actions[0], "value"), str(actions[0], "selected_option", "value"), str(actions[0], "action_id"))
		}
		msg = firstString(msg, str(pl, "text"))
		putNonEmpty(ctx, "channel", firstString(str(pl, "channel", "id"), str(pl, "channel_id")))
		putNonEmpty(ctx, "user", firstString(str(pl, "user", "id"), str(pl, "user_id")))
	}
	if msg == "" {
		msg = "Slack event: " + p.EventType
	}
	return msg, ctx
}
