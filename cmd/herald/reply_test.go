package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// platformCall is one request a fake platform API received.
type platformCall struct {
	Method, Path, Auth string
	Body               map[string]any
}

// fakePlatform is a local stand-in for Slack, Telegram and Discord: it
// hands every request to calls and answers with status(n) (n counts from
// 1) and {"ok": true}.
type fakePlatform struct {
	*httptest.Server
	calls chan platformCall
	n     atomic.Int32
}

func startPlatform(t *testing.T, status func(n int) int) *fakePlatform {
	t.Helper()
	p := &fakePlatform{calls: make(chan platformCall, 100)}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		code := 200
		if status != nil {
			code = status(int(p.n.Add(1)))
		}
		p.calls <- platformCall{Method: r.Method, Path: r.URL.EscapedPath(), Auth: r.Header.Get("Authorization"), Body: body}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(p.Close)
	return p
}

// replyOf waits until the newest invocation of agent has a final
// reply_status (sent or failed) and returns it.
func (ts *testServer) replyOf(agent string) *herald.Invocation {
	ts.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var l struct {
			Items []*herald.Invocation `json:"items"`
		}
		ts.must(200, "GET", "/v1/invocations?agent="+agent+"&limit=1", nil, &l)
		if len(l.Items) > 0 {
			if inv := l.Items[0]; inv.ReplyStatus == herald.ReplySent || inv.ReplyStatus == herald.ReplyFailed {
				return inv
			}
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("no final reply_status for agent %s within 20s: %+v", agent, l.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// slackSigned returns the headers of a Slack request signed with secret.
func slackSigned(secret, body, contentType string) []string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return []string{"Content-Type", contentType, "X-Slack-Request-Timestamp", ts,
		"X-Slack-Signature", "v0=" + hexHMAC(secret, "v0:"+ts+":", body)}
}

// discordSigned returns the headers of a Discord interaction signed with
// key.
func discordSigned(key ed25519.PrivateKey, body string) []string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return []string{"Content-Type", "application/json", "X-Signature-Timestamp", ts,
		"X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, []byte(ts+body)))}
}

func TestRepliesSlackTelegram(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		slackAPI := startPlatform(t, nil)
		telegramAPI := startPlatform(t, nil)
		ts := startServer(t, db, func(c *Config) {
			c.SlackAPIURL, c.TelegramAPIURL = slackAPI.URL+"/api", telegramAPI.URL
		})
		ts.echoAgent("echo")

		// A slash command: acked at once, the response POSTed to the
		// response_url.
		responseURL := startPlatform(t, nil)
		var wh map[string]any
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "slack", "agent": "echo", "secret": "slack-signing-secret",
			"bot_token": "xoxb-secret-token"}, &wh)
		if _, ok := wh["bot_token"]; ok {
			t.Fatalf("create answer shows the bot token: %v", wh)
		}
		ts.must(200, "GET", "/api/webhooks/slack", nil, &wh)
		if _, ok := wh["bot_token"]; ok {
			t.Fatalf("get answer shows the bot token: %v", wh)
		}
		form := url.Values{"command": {"/ask"}, "text": {"what is up"}, "channel_id": {"C1"}, "user_id": {"U1"},
			"trigger_id": {"trig1"}, "response_url": {responseURL.URL + "/commands/T1/1/abc"}}.Encode()
		st, out, _ := ts.postRaw("/api/webhooks/slack", form, slackSigned("slack-signing-secret", form, "application/x-www-form-urlencoded")...)
		if st != 200 || out != nil {
			t.Fatalf("slash command answer: %d %v", st, out)
		}
		call := recv(t, responseURL.calls, "POST to the response_url")
		if call.Method != "POST" || call.Path != "/commands/T1/1/abc" || call.Body["text"] != "/ask what is up" {
			t.Fatalf("response_url got %+v", call)
		}
		if inv := ts.replyOf("echo"); inv.ReplyStatus != herald.ReplySent || inv.ReplyError != "" {
			t.Fatalf("slash command reply: %q %q", inv.ReplyStatus, inv.ReplyError)
		}

		// An event, with the bot token: chat.postMessage.
		ev := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel":"C9","user":"U2","text":"hello bot"}}`
		st, out, _ = ts.postRaw("/api/webhooks/slack", ev, slackSigned("slack-signing-secret", ev, "application/json")...)
		if st != 200 {
			t.Fatalf("event answer: %d %v", st, out)
		}
		call = recv(t, slackAPI.calls, "chat.postMessage")
		if call.Path != "/api/chat.postMessage" || call.Auth != "Bearer xoxb-secret-token" ||
			call.Body["channel"] != "C9" || call.Body["text"] != "hello bot" {
			t.Fatalf("chat.postMessage got %+v", call)
		}
		// A bot's own message is not answered (no loop).
		botEv := `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel":"C9","bot_id":"B1","text":"hello bot"}}`
		if st, out, _ := ts.postRaw("/api/webhooks/slack", botEv, slackSigned("slack-signing-secret", botEv, "application/json")...); st != 200 {
			t.Fatalf("bot event answer: %d %v", st, out)
		}

		// Telegram: sendMessage to the chat with the bot token.
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "telegram", "agent": "echo", "secret": "tg-secret",
			"bot_token": "123456:ABC-def"}, nil)
		upd := `{"update_id":1001,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"from":{"id":7,"is_bot":false},"text":"hi telegram"}}`
		st, out, _ = ts.postRaw("/api/webhooks/telegram", upd, "Content-Type", "application/json", "X-Telegram-Bot-Api-Secret-Token", "tg-secret")
		if st != 200 {
			t.Fatalf("telegram answer: %d %v", st, out)
		}
		call = recv(t, telegramAPI.calls, "sendMessage")
		if call.Path != "/bot123456:ABC-def/sendMessage" || call.Body["chat_id"] != "42" || call.Body["text"] != "hi telegram" {
			t.Fatalf("sendMessage got %+v", call)
		}
		if inv := ts.replyOf("echo"); inv.ReplyStatus != herald.ReplySent || inv.Response != "hi telegram" {
			t.Fatalf("telegram reply: %+v", inv)
		}
		select {
		case c := <-slackAPI.calls:
			t.Fatalf("a bot's message was answered: %+v", c)
		default:
		}
	})
}

func TestRepliesDiscord(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		discordAPI := startPlatform(t, nil)
		ts := startServer(t, db, func(c *Config) { c.DiscordAPIURL = discordAPI.URL + "/api/v10" })
		ts.echoAgent("echo")
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "took a while")
		}))
		defer slow.Close()
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()
		ts.must(201, "POST", "/v1/agents", map[string]any{"id": "slow", "runtime": map[string]any{"type": "http", "url": slow.URL, "timeout_seconds": 30}}, nil)
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		key := hex.EncodeToString(pub)
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "discord", "agent": "echo", "secret": key}, nil)
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "discord-slow", "provider": "discord", "agent": "slow", "secret": key}, nil)

		// Answered in time: type 4 with the response.
		cmd := `{"id":"i1","type":2,"application_id":"app1","token":"tok1","data":{"name":"ask","options":[{"name":"q","value":"hi"}]}}`
		st, out, _ := ts.postRaw("/api/webhooks/discord", cmd, discordSigned(priv, cmd)...)
		data, _ := out["data"].(map[string]any)
		if st != 200 || out["type"] != float64(4) || data["content"] != "/ask q=hi" {
			t.Fatalf("in-time answer: %d %v", st, out)
		}
		if inv := ts.replyOf("echo"); inv.ReplyStatus != herald.ReplySent {
			t.Fatalf("in-time reply_status %q", inv.ReplyStatus)
		}

		// Too slow: type 5 at once, then the deferred answer is edited.
		cmd2 := `{"id":"i2","type":2,"application_id":"app1","token":"tok2","data":{"name":"think"}}`
		start := time.Now()
		st, out, _ = ts.postRaw("/api/webhooks/discord-slow", cmd2, discordSigned(priv, cmd2)...)
		if st != 200 || out["type"] != float64(5) || time.Since(start) > 10*time.Second {
			t.Fatalf("deferred answer: %d %v after %s", st, out, time.Since(start))
		}
		close(release)
		call := recv(t, discordAPI.calls, "PATCH @original")
		if call.Method != "PATCH" || call.Path != "/api/v10/webhooks/app1/tok2/messages/@original" || call.Body["content"] != "took a while" {
			t.Fatalf("discord follow-up got %+v", call)
		}
		if inv := ts.replyOf("slow"); inv.ReplyStatus != herald.ReplySent || inv.Response != "took a while" {
			t.Fatalf("deferred reply: %+v", inv)
		}
		select {
		case c := <-discordAPI.calls:
			t.Fatalf("unexpected discord call: %+v", c)
		default:
		}
	})
}

func TestReplyRetries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		ts.echoAgent("echo")
		ts.must(201, "POST", "/api/webhooks", map[string]any{"name": "slack", "agent": "echo", "secret": "slack-signing-secret"}, nil)
		command := func(responseURL string) {
			t.Helper()
			form := url.Values{"command": {"/ask"}, "text": {"again"}, "trigger_id": {responseURL}, "response_url": {responseURL}}.Encode()
			if st, out, _ := ts.postRaw("/api/webhooks/slack", form, slackSigned("slack-signing-secret", form, "application/x-www-form-urlencoded")...); st != 200 {
				t.Fatalf("slash command answer: %d %v", st, out)
			}
		}

		// Fails twice, then takes it: sent after 3 attempts.
		flaky := startPlatform(t, func(n int) int {
			if n <= 2 {
				return 503
			}
			return 200
		})
		command(flaky.URL + "/flaky")
		inv := ts.replyOf("echo")
		if inv.ReplyStatus != herald.ReplySent || inv.ReplyError != "" || flaky.n.Load() != 3 {
			t.Fatalf("flaky reply: %q %q after %d attempts", inv.ReplyStatus, inv.ReplyError, flaky.n.Load())
		}

		// Always fails: failed after 5 attempts, the error recorded.
		broken := startPlatform(t, func(int) int { return 500 })
		command(broken.URL + "/broken")
		deadline := time.Now().Add(20 * time.Second)
		for {
			var l struct {
				Items []*herald.Invocation `json:"items"`
			}
			ts.must(200, "GET", "/v1/invocations?agent=echo&limit=1", nil, &l)
			if inv = l.Items[0]; inv.ReplyStatus == herald.ReplyFailed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("broken reply still %q", inv.ReplyStatus)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(inv.ReplyError, "HTTP 500") || broken.n.Load() != 5 {
			t.Fatalf("broken reply error %q after %d attempts", inv.ReplyError, broken.n.Load())
		}
	})
}
