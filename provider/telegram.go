package provider

import (
	"regexp"
	"strings"
)

// telegramTokenRe is the syntax of the secret_token of Telegram's
// setWebhook: 1 to 256 of A-Z, a-z, 0-9, _ and -.
var telegramTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// ValidTelegramToken reports whether token is a valid Telegram
// secret_token.
func ValidTelegramToken(token string) bool { return telegramTokenRe.MatchString(token) }

// telegram verifies Telegram's updates: X-Telegram-Bot-Api-Secret-Token
// equal to the secret_token given to setWebhook. update_id is the
// duplicate key.
type telegram struct{}

func (telegram) Name() string { return "telegram" }

// updateKinds are the update fields, in the order the event type is
// looked for.
var updateKinds = []string{
	"message", "edited_message", "channel_post", "edited_channel_post", "business_message",
	"edited_business_message", "callback_query", "inline_query", "chosen_inline_result",
	"shipping_query", "pre_checkout_query", "poll", "poll_answer", "my_chat_member",
	"chat_member", "chat_join_request", "message_reaction", "message_reaction_count",
}

// Verify compares X-Telegram-Bot-Api-Secret-Token with the token in
// constant time.
func (telegram) Verify(r *Request, secret string) error {
	if secret == "" {
		return errNoSecret("secret token")
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if got == "" {
		return unauthorized("missing X-Telegram-Bot-Api-Secret-Token")
	}
	if !equalSecret(got, secret) {
		return unauthorized("secret token mismatch")
	}
	return nil
}

// Parse decodes an update. The event type is the update's kind
// ("message", "edited_message", "callback_query"…).
func (telegram) Parse(r *Request) (*Parsed, error) {
	payload, err := decodeBody(r, false)
	if err != nil {
		return nil, err
	}
	p := &Parsed{Payload: payload, DuplicateKey: str(payload, "update_id")}
	for _, k := range updateKinds {
		if get(payload, k) != nil {
			p.EventType = k
			break
		}
	}
	if obj, ok := payload.(map[string]any); ok && p.EventType == "" {
		for k := range obj {
			if k != "update_id" && (p.EventType == "" || k < p.EventType) {
				p.EventType = k
			}
		}
	}
	return p, nil
}

// DefaultMessage is the message's text (or caption, or a callback's
// data), with chat_id and from in the context.
func (telegram) DefaultMessage(p *Parsed) (string, map[string]any) {
	ctx := map[string]any{}
	putNonEmpty(ctx, "event_type", p.EventType)
	obj := get(p.Payload, p.EventType)
	if p.EventType == "" {
		obj = nil
	}
	msg := firstString(str(obj, "text"), str(obj, "caption"), str(obj, "data"), str(obj, "query"))
	putNonEmpty(ctx, "chat_id", firstString(str(obj, "chat", "id"), str(obj, "message", "chat", "id")))
	putNonEmpty(ctx, "from", get(obj, "from"))
	if strings.TrimSpace(msg) == "" {
		msg = "Telegram update: " + p.EventType
	}
	return msg, ctx
}
