// Package reply sends agents' responses back to the platforms their
// messages came from: Slack (the response_url of slash commands and
// interactive components, or chat.postMessage with the webhook's bot
// token), Telegram (sendMessage with the bot token) and Discord (editing a
// deferred interaction answer, PATCH /webhooks/{application_id}/{token}/
// messages/@original).
//
// A reply is a River job (queue.ReplyArgs) that FinishInvocation
// queues with the invocation's outcome. Worker sends it; a failure is
// recorded on the invocation (reply_status pending, reply_error) and
// retried on the retry schedule, up to queue.ReplyMaxAttempts, after
// which reply_status is failed.
package reply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// Platform API defaults.
const (
	// DefaultDiscordAPI is --discord-api-url's default.
	DefaultDiscordAPI = "https://discord.com/api/v10"
	// DefaultSlackAPI is --slack-api-url's default.
	DefaultSlackAPI = "https://slack.com/api"
	// DefaultTelegramAPI is --telegram-api-url's default.
	DefaultTelegramAPI = "https://api.telegram.org"
	// DiscordDeferAfter is how long a Discord interaction waits for the
	// agent before Herald answers with a deferred response (type 5) and
	// edits it later: 2.5s (Discord allows 3s).
	DiscordDeferAfter = 2500 * time.Millisecond
	// Timeout bounds one attempt to send a reply: 15s.
	Timeout = 15 * time.Second
)

// Message length limits of the platforms.
const (
	discordMaxContent = 2000
	telegramMaxText   = 4096
	slackMaxText      = 40000
)

// Store is what the Worker needs of herald.Store: the invocations and the
// inbound webhooks they came through.
type Store interface {
	herald.InvocationStore
	herald.InboundStore
}

// Worker sends replies. Set Store and Client; the other fields have
// defaults. Register it with Register.
type Worker struct {
	river.WorkerDefaults[queue.ReplyArgs]

	// Store holds the invocations and webhooks. Required.
	Store Store
	// Client sends the replies; use delivery.NewHTTPClient. Required.
	Client *http.Client
	// DiscordAPI, SlackAPI and TelegramAPI are the platforms' API base
	// URLs. Defaults DefaultDiscordAPI, DefaultSlackAPI, DefaultTelegramAPI.
	DiscordAPI, SlackAPI, TelegramAPI string
	// AllowHTTP accepts a plain http:// Slack response_url (--allow-http).
	AllowHTTP bool
	// Schedule is the retry schedule; nil is herald.DefaultRetrySchedule.
	Schedule herald.Durations
	// UserAgent is sent with every reply. Default "Herald/dev".
	UserAgent string
	// Logger receives a line per failed attempt. Default slog.Default().
	Logger *slog.Logger
}

// Register adds w to workers.
func Register(workers *river.Workers, w *Worker) { river.AddWorker(workers, w) }

// Queues returns the River queue Worker needs, for
// queue.Config.Queues: queue.ReplyQueue with 20 workers.
func Queues() map[string]int { return map[string]int{queue.ReplyQueue: 20} }

// NextRetry schedules the next attempt on the retry schedule.
func (w *Worker) NextRetry(job *river.Job[queue.ReplyArgs]) time.Time {
	return time.Now().Add(herald.NextRetryDelay(w.Schedule, job.Attempt, rand.Float64()*2-1, 0))
}

// Timeout bounds one attempt.
func (w *Worker) Timeout(*river.Job[queue.ReplyArgs]) time.Duration {
	return Timeout + 5*time.Second
}

// Work sends one invocation's reply and records how it went.
func (w *Worker) Work(ctx context.Context, job *river.Job[queue.ReplyArgs]) error {
	id := job.Args.InvocationID
	inv, err := w.Store.Invocation(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: id})
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil
	} else if err != nil {
		return fmt.Errorf("load invocation: %w", err)
	}
	if inv.ReplyTo == nil || inv.ReplyStatus == herald.ReplySent || inv.ReplyStatus == herald.ReplyFailed {
		return nil // nowhere to send, or answered already (a Discord interaction in time)
	}
	sendErr := w.send(ctx, inv)
	wctx := context.WithoutCancel(ctx)
	if sendErr == nil {
		if err := w.Store.RecordReply(wctx, herald.RecordReplyParams{InvocationID: id, Status: herald.ReplySent}); err != nil {
			return fmt.Errorf("record reply: %w", err)
		}
		return nil
	}
	msg := sendErr.Error()
	w.logger().Warn("reply failed", "invocation_id", id, "provider", inv.ReplyTo.Provider, "attempt", job.Attempt, "error", msg)
	status := herald.ReplyPending
	if job.Attempt >= job.MaxAttempts {
		status = herald.ReplyFailed
	}
	if err := w.Store.RecordReply(wctx, herald.RecordReplyParams{InvocationID: id, Status: status, Error: msg}); err != nil {
		return fmt.Errorf("record reply: %w", err)
	}
	if status == herald.ReplyFailed {
		return nil
	}
	return sendErr
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

// DiscordContent is Text cut to Discord's 2000 characters, or a note
// when the response is empty (Discord refuses empty messages).
func DiscordContent(inv *herald.Invocation) string {
	text := Text(inv)
	if strings.TrimSpace(text) == "" {
		return "(the agent gave no answer)"
	}
	return truncate(text, discordMaxContent)
}

// Text is the reply an invocation sends: its response, or, when it did
// not complete, a short note of why.
func Text(inv *herald.Invocation) string {
	if inv.Status == herald.InvocationCompleted {
		return inv.Response
	}
	msg := inv.Error
	if msg == "" {
		msg = inv.Status
	}
	return "The agent could not answer: " + msg
}

// send makes one attempt.
func (w *Worker) send(ctx context.Context, inv *herald.Invocation) error {
	t := inv.ReplyTo
	text := Text(inv)
	switch t.Provider {
	case herald.ProviderDiscord:
		u := strings.TrimRight(orDefault(w.DiscordAPI, DefaultDiscordAPI), "/") + "/webhooks/" +
			url.PathEscape(t.ApplicationID) + "/" + url.PathEscape(t.Token) + "/messages/@original"
		return w.do(ctx, http.MethodPatch, u, "", map[string]any{"content": DiscordContent(inv)}, false)
	case herald.ProviderSlack:
		if t.URL != "" {
			if err := checkResponseURL(t.URL, w.AllowHTTP); err != nil {
				return err
			}
			return w.do(ctx, http.MethodPost, t.URL, "", map[string]any{"text": truncate(text, slackMaxText)}, false)
		}
		token, err := w.botToken(ctx, inv, t.Webhook)
		if err != nil {
			return err
		}
		u := strings.TrimRight(orDefault(w.SlackAPI, DefaultSlackAPI), "/") + "/chat.postMessage"
		return w.do(ctx, http.MethodPost, u, token, map[string]any{"channel": t.Channel, "text": truncate(text, slackMaxText)}, true)
	case herald.ProviderTelegram:
		token, err := w.botToken(ctx, inv, t.Webhook)
		if err != nil {
			return err
		}
		u := strings.TrimRight(orDefault(w.TelegramAPI, DefaultTelegramAPI), "/") + "/bot" + token + "/sendMessage"
		return w.do(ctx, http.MethodPost, u, "", map[string]any{"chat_id": t.Channel, "text": truncate(text, telegramMaxText)}, true)
	}
	return fmt.Errorf("provider %q cannot be replied to", t.Provider)
}

// botToken is the bot token of the webhook called name, of the
// invocation's tenant.
func (w *Worker) botToken(ctx context.Context, inv *herald.Invocation, name string) (string, error) {
	wh, err := w.Store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant(string(inv.TenantID)), ID: name})
	if err != nil {
		return "", fmt.Errorf("load webhook %q: %w", name, err)
	}
	if wh.BotToken == "" {
		return "", fmt.Errorf("webhook %q has no bot_token", name)
	}
	return wh.BotToken, nil
}

// checkResponseURL accepts an https URL (http too when allowHTTP).
func checkResponseURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("response_url: not an absolute URL")
	}
	if u.Scheme != "https" && !(allowHTTP && u.Scheme == "http") {
		return fmt.Errorf("response_url: must be https, got %s (--allow-http accepts http)", u.Scheme)
	}
	return nil
}

// do sends body as JSON and checks the answer: a 2xx, and with okField an
// {"ok": true} body (Slack's and Telegram's APIs). Errors never show the
// URL, which may hold a token.
func (w *Worker) do(ctx context.Context, method, u, bearer string, body any, okField bool) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(b))
	if err != nil {
		return errors.New("build request: bad URL")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", orDefault(w.UserAgent, "Herald/dev"))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("send reply: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("send reply: HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	if okField {
		var ans struct {
			OK          bool   `json:"ok"`
			Error       string `json:"error"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return fmt.Errorf("send reply: answer is not JSON: %s", snippet(raw))
		}
		if !ans.OK {
			return fmt.Errorf("send reply: %s", firstNonEmpty(ans.Error, ans.Description, "ok is false"))
		}
	}
	return nil
}

// snippet is the start of an answer body for an error message.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(b)), "")
	return truncate(s, 200)
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
