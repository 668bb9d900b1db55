package provider

import (
	"time"

	"github.com/heraldhq/herald"
)

// DiscordReplyDelay holds back the reply job of a Discord interaction
// long enough for the request to be answered in time instead (a type 4
// answer); a deferred answer (type 5) is edited by the job: 3s.
const DiscordReplyDelay = 3 * time.Second

// ReplyTo returns where the response to a parsed request of provider
// goes back to, nil when nowhere: a Slack slash command's or interactive
// payload's response_url; a Slack event's channel (chat.postMessage) and a
// Telegram update's chat (sendMessage) when the webhook has a bot token
// (hasBotToken); a Discord interaction (application command, component
// or modal) by its application id and token. Messages from bots are never
// replied to, so that two bots do not talk forever. Webhook is left for
// the caller to set.
func ReplyTo(provider string, p *Parsed, hasBotToken bool) *herald.ReplyTarget {
	if p == nil || p.Handshake != nil {
		return nil
	}
	pl := p.Payload
	switch provider {
	case herald.ProviderSlack:
		if u := str(pl, "response_url"); u != "" {
			return &herald.ReplyTarget{Provider: provider, URL: u}
		}
		ev := get(pl, "event")
		if ev == nil || !hasBotToken || str(ev, "bot_id") != "" || str(ev, "subtype") != "" {
			return nil
		}
		switch str(ev, "type") {
		case "message", "app_mention":
		default:
			return nil
		}
		if ch := str(ev, "channel"); ch != "" {
			return &herald.ReplyTarget{Provider: provider, Channel: ch}
		}
	case herald.ProviderTelegram:
		if !hasBotToken || p.EventType == "" {
			return nil
		}
		obj := get(pl, p.EventType)
		if b, _ := get(obj, "from", "is_bot").(bool); b {
			return nil
		}
		if ch := firstString(str(obj, "chat", "id"), str(obj, "message", "chat", "id")); ch != "" {
			return &herald.ReplyTarget{Provider: provider, Channel: ch}
		}
	case herald.ProviderDiscord:
		t, _ := get(pl, "type").(float64)
		if t != 2 && t != 3 && t != 5 {
			return nil
		}
		app, token := str(pl, "application_id"), str(pl, "token")
		if app == "" || token == "" {
			return nil
		}
		return &herald.ReplyTarget{Provider: provider, ApplicationID: app, Token: token, Delay: herald.Duration(DiscordReplyDelay)}
	}
	return nil
}
