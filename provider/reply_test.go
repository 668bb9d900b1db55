package provider

import (
	"testing"

	"github.com/heraldhq/herald"
)

func TestReplyTo(t *testing.T) {
	parse := func(p Provider, body, contentType string) *Parsed {
		t.Helper()
		parsed, err := p.Parse(&Request{Body: []byte(body), ContentType: contentType})
		if err != nil {
			t.Fatal(err)
		}
		return parsed
	}
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name     string
		provider string
		parsed   *Parsed
		token    bool
		want     *herald.ReplyTarget
	}{
		{"slash command", "slack", parse(Slack, "command=%2Fask&text=hi&response_url=https%3A%2F%2Fhooks.slack.com%2Fx", form), false,
			&herald.ReplyTarget{Provider: "slack", URL: "https://hooks.slack.com/x"}},
		{"event with token", "slack", parse(Slack, `{"type":"event_callback","event":{"type":"app_mention","channel":"C1","text":"hi"}}`, "application/json"), true,
			&herald.ReplyTarget{Provider: "slack", Channel: "C1"}},
		{"event without token", "slack", parse(Slack, `{"type":"event_callback","event":{"type":"message","channel":"C1"}}`, "application/json"), false, nil},
		{"bot event", "slack", parse(Slack, `{"type":"event_callback","event":{"type":"message","channel":"C1","bot_id":"B1"}}`, "application/json"), true, nil},
		{"url_verification", "slack", parse(Slack, `{"type":"url_verification","challenge":"c"}`, "application/json"), true, nil},
		{"telegram message", "telegram", parse(Telegram, `{"update_id":1,"message":{"chat":{"id":-100},"text":"hi"}}`, "application/json"), true,
			&herald.ReplyTarget{Provider: "telegram", Channel: "-100"}},
		{"telegram callback", "telegram", parse(Telegram, `{"update_id":2,"callback_query":{"data":"x","message":{"chat":{"id":5}}}}`, "application/json"), true,
			&herald.ReplyTarget{Provider: "telegram", Channel: "5"}},
		{"telegram without token", "telegram", parse(Telegram, `{"update_id":1,"message":{"chat":{"id":1}}}`, "application/json"), false, nil},
		{"telegram from a bot", "telegram", parse(Telegram, `{"update_id":1,"message":{"chat":{"id":1},"from":{"is_bot":true}}}`, "application/json"), true, nil},
		{"discord command", "discord", parse(Discord, `{"id":"1","type":2,"application_id":"a","token":"t","data":{"name":"x"}}`, "application/json"), false,
			&herald.ReplyTarget{Provider: "discord", ApplicationID: "a", Token: "t", Delay: herald.Duration(DiscordReplyDelay)}},
		{"discord ping", "discord", parse(Discord, `{"id":"1","type":1,"application_id":"a","token":"t"}`, "application/json"), false, nil},
		{"github", "github", &Parsed{Payload: map[string]any{"response_url": "https://x"}}, true, nil},
	}
	for _, c := range cases {
		got := ReplyTo(c.provider, c.parsed, c.token)
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
