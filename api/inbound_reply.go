package api

import (
	"context"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/reply"
)

// Discord interaction response types.
const (
	discordChannelMessage         = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	discordDeferredChannelMessage = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
)

// ackReply answers a request whose response goes back by the reply job
// (the invocation is queued): Slack gets an empty 200 (a slash command
// shows nothing more until the response_url gets the response), Discord
// a deferred answer (type 5), the others {success, request_id}.
func (s *Server) ackReply(w http.ResponseWriter, r *http.Request, rec *herald.InboundRequest, body []byte, t *herald.ReplyTarget) {
	rec.Verdict, rec.Status = herald.VerdictAccepted, http.StatusOK
	s.record(r.Context(), rec, body)
	s.touch(r.Context(), rec)
	switch t.Provider {
	case herald.ProviderSlack:
		w.WriteHeader(http.StatusOK)
	case herald.ProviderDiscord:
		writeJSON(w, http.StatusOK, map[string]any{"type": discordDeferredChannelMessage})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "request_id": rec.InvocationID})
	}
}

// invokeDiscord runs a Discord interaction's invocation (sync mode) for up
// to Config.DiscordDeferAfter: when it finishes in time the answer
// carries the response ({"type": 4, "data": {"content": ...}}) and its
// queued reply is marked sent; else the answer is deferred ({"type": 5})
// and the invocation goes on, not cancelled with the request, its reply
// job editing the deferred answer when it finishes.
func (s *Server) invokeDiscord(w http.ResponseWriter, r *http.Request, rec *herald.InboundRequest, body []byte, params herald.InvokeParams, reject func(error, func())) {
	ctx := r.Context()
	type result struct {
		inv *herald.Invocation
		err error
	}
	done := make(chan result, 1)
	go func() {
		inv, err := s.cfg.Invoker.Invoke(context.WithoutCancel(ctx), params)
		if err != nil && ctx.Err() != nil {
			s.cfg.Logger.Error("deferred discord invocation", "webhook", rec.Webhook, "error", err)
		}
		done <- result{inv, err}
	}()
	timer := time.NewTimer(s.cfg.DiscordDeferAfter)
	defer timer.Stop()
	select {
	case res := <-done:
		if res.err != nil {
			reject(res.err, nil)
			return
		}
		inv := res.inv
		rec.InvocationID = inv.ID
		if inv.ReplyStatus == herald.ReplyPending {
			if err := s.cfg.Store.RecordReply(context.WithoutCancel(ctx), herald.RecordReplyParams{InvocationID: inv.ID, Status: herald.ReplySent}); err != nil {
				s.cfg.Logger.Error("record reply", "invocation_id", inv.ID, "error", err)
			}
		}
		text := reply.DiscordContent(inv)
		rec.Verdict, rec.Status = herald.VerdictAccepted, http.StatusOK
		s.record(ctx, rec, body)
		s.touch(ctx, rec)
		writeJSON(w, http.StatusOK, map[string]any{"type": discordChannelMessage, "data": map[string]any{"content": text}})
	case <-timer.C:
		rec.Reason = "deferred: the agent did not answer within " + s.cfg.DiscordDeferAfter.String()
		s.ackReply(w, r, rec, body, params.ReplyTo)
	}
}
