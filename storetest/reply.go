package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// replyTests check replies to platforms: the reply target kept with an
// invocation, the reply job FinishInvocation queues, RecordReply, and the
// bot token of inbound webhooks.
var replyTests = map[string]func(t *testing.T, s herald.Store){
	"ReplyLifecycle":  testReplyLifecycle,
	"InboundBotToken": testInboundBotToken,
}

func testReplyLifecycle(t *testing.T, s herald.Store) {
	ctx := context.Background()
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Create: true, Now: inboundT0,
		Input: herald.AgentInput{Runtime: echoRuntime()}})
	t0 := inboundT0.Add(time.Second)
	inv := newInvocation("bot", herald.InvocationQueued, t0)
	target := &herald.ReplyTarget{Provider: herald.ProviderDiscord, Webhook: "discord", ApplicationID: "app1",
		Token: "tok", Delay: herald.Duration(3 * time.Second)}
	inv.ReplyTo = target
	if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Invocation(ctx, anyRef(inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.ReplyTo == nil || *got.ReplyTo != *target || got.ReplyStatus != "" {
		t.Fatalf("reply target read back: %+v %q", got.ReplyTo, got.ReplyStatus)
	}
	if _, err := s.StartInvocation(ctx, inv.ID, t0); err != nil {
		t.Fatal(err)
	}
	before, _ := s.QueueDepth(ctx)
	done, err := s.FinishInvocation(ctx, herald.InvocationOutcome{ID: inv.ID, Status: herald.InvocationCompleted,
		Response: &herald.InvocationResponse{Response: "hi"}, Now: t0.Add(time.Second), Reply: &herald.ReplyJob{}})
	if err != nil {
		t.Fatal(err)
	}
	if done.ReplyStatus != herald.ReplyPending {
		t.Fatalf("finished reply_status %q, want pending", done.ReplyStatus)
	}
	if after, err := s.QueueDepth(ctx); err != nil || after != before+1 {
		t.Fatalf("queue depth %d -> %d (%v), want +1 (the reply job)", before, after, err)
	}
	if err := s.RecordReply(ctx, herald.RecordReplyParams{InvocationID: inv.ID, Status: herald.ReplyPending, Error: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Invocation(ctx, anyRef(inv.ID)); got.ReplyStatus != herald.ReplyPending || got.ReplyError != "HTTP 500" {
		t.Fatalf("after a failed attempt: %q %q", got.ReplyStatus, got.ReplyError)
	}
	if err := s.RecordReply(ctx, herald.RecordReplyParams{InvocationID: inv.ID, Status: herald.ReplySent}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Invocation(ctx, anyRef(inv.ID)); got.ReplyStatus != herald.ReplySent || got.ReplyError != "" || got.Response != "hi" {
		t.Fatalf("after sending: %+v", got)
	}
	if err := s.RecordReply(ctx, herald.RecordReplyParams{InvocationID: "inv_missing", Status: herald.ReplySent}); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("record reply of a missing invocation: %v", err)
	}

	// No reply job: reply_status stays empty.
	plain := newInvocation("bot", herald.InvocationQueued, t0.Add(time.Second))
	if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: plain}); err != nil {
		t.Fatal(err)
	}
	done, err = s.FinishInvocation(ctx, herald.InvocationOutcome{ID: plain.ID, Status: herald.InvocationFailed, Error: "boom", Now: t0.Add(2 * time.Second)})
	if err != nil || done.ReplyStatus != "" || done.ReplyTo != nil {
		t.Fatalf("invocation without reply: %+v %v", done, err)
	}
}

func testInboundBotToken(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := &herald.InboundWebhook{Name: "telegram", Agent: "bot", Secret: "tok3n", Enabled: true,
		Provider: herald.ProviderTelegram, ResponseMode: herald.ResponseSync, BotToken: "123:abc",
		CreatedAt: inboundT0, UpdatedAt: inboundT0}
	if err := s.CreateInboundWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, err := s.InboundWebhook(ctx, anyRef("telegram"))
	if err != nil || got.BotToken != "123:abc" {
		t.Fatalf("bot token read back: %q %v", got.BotToken, err)
	}
	w.BotToken = "456:def"
	w.UpdatedAt = inboundT0.Add(time.Minute)
	if err := s.UpdateInboundWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: anyTenant})
	if err != nil || len(all) != 1 || all[0].BotToken != "456:def" {
		t.Fatalf("bot token after update: %+v %v", all, err)
	}
}
