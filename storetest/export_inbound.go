package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// testExportImportInbound checks the records of the inbound tables: named
// webhooks with their secrets, built-in secrets, invocations, the request
// log and claims. Import stores them as they are, with the invocations'
// reply targets, and queues a job for a queued invocation and for the
// pending reply of a finished one only; importing again, or records
// changed since, changes nothing; ExportInbound reads every row back in
// chunks, in order, and only the unexpired claims.
func testExportImportInbound(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 7, 3, 10, 0, 0, 123456000, time.UTC)
	t1, t2 := t0.Add(time.Second), t0.Add(time.Minute)
	hook := &herald.InboundWebhook{Name: "hook-a", Agent: "default", Secret: "whsec_exported-secret",
		Description: "alerts", Enabled: true, Provider: herald.ProviderGeneric,
		Transform:    herald.Transform{MessageTemplate: "Alert: {{name}}", ContextMapping: map[string]string{"svc": "$.labels.service"}},
		Filters:      herald.Filters{Include: []string{"alert.*"}, Condition: "$.severity == 'critical'"},
		ResponseMode: herald.ResponseAsync, AllowedIPs: []string{"10.0.0.0/8"},
		RateLimit: &herald.RateLimit{Requests: 10, Per: herald.Duration(time.Minute)},
		CreatedAt: t0, UpdatedAt: t1, LastTriggeredAt: &t2}
	secret := &herald.ExportedInboundSecret{Name: "generic", Secret: "generic-exported-secret"}
	invs := []*herald.Invocation{ // by created_at, then ID
		{ID: "inv_a", Agent: "default", Source: "generic", Mode: herald.ResponseSync, Status: herald.InvocationCompleted,
			Message: "hi <&> é", Context: json.RawMessage(`{"k":[1,2.50]}`), User: json.RawMessage(`{"id":"u1"}`),
			Room: json.RawMessage(`{"id":"r1","name":"ops"}`), Response: "hi back",
			Actions:    []herald.Action{{Action: "reply", Content: "ok"}, {Action: "score", Content: json.Number("1.50")}},
			DurationMS: 12, CreatedAt: t0, StartedAt: &t0, FinishedAt: &t1,
			ReplyTo:     &herald.ReplyTarget{Provider: herald.ProviderSlack, Webhook: "hook-a", URL: "https://hooks.slack.test/r/1", Channel: "C1"},
			ReplyStatus: herald.ReplySent},
		{ID: "inv_b", Agent: "default", Source: "webhook:hook-a", Mode: herald.ResponseAsync, Status: herald.InvocationQueued,
			Message: "later", Context: json.RawMessage(`{}`), CreatedAt: t0},
		{ID: "inv_c", Agent: "other", Source: "trigger:hook-a", Mode: herald.ResponseAsync, Status: herald.InvocationRunning,
			Message: "busy", Context: json.RawMessage(`{"a":"b"}`), CreatedAt: t1, StartedAt: &t2},
		{ID: "inv_d", Agent: "default", Source: "generic", Mode: herald.ResponseSync, Status: herald.InvocationFailed,
			Message: "bad", Context: json.RawMessage(`{}`), Error: "runtime failed", DurationMS: 3,
			CreatedAt: t2, StartedAt: &t2, FinishedAt: &t2},
		// A reply still to be sent, which the import queues again.
		{ID: "inv_e", Agent: "default", Source: "webhook:hook-a", Mode: herald.ResponseAsync, Status: herald.InvocationCompleted,
			Message: "ping", Context: json.RawMessage(`{}`), Response: "pong", DurationMS: 5,
			CreatedAt: t2, StartedAt: &t2, FinishedAt: &t2,
			ReplyTo: &herald.ReplyTarget{Provider: herald.ProviderDiscord, Webhook: "hook-a", ApplicationID: "app-1",
				Token: "interaction-token", Delay: herald.Duration(2 * time.Second)},
			ReplyStatus: herald.ReplyPending, ReplyError: "discord: 502"},
		// A pending reply of an invocation still running is queued when
		// it finishes, not by the import.
		{ID: "inv_f", Agent: "default", Source: "webhook:hook-a", Mode: herald.ResponseAsync, Status: herald.InvocationRunning,
			Message: "slow", Context: json.RawMessage(`{}`), CreatedAt: t2, StartedAt: &t2,
			ReplyTo: &herald.ReplyTarget{Provider: herald.ProviderTelegram, Webhook: "hook-a", Channel: "42"}},
	}
	reqs := []*herald.InboundRequest{ // by at, then ID
		{ID: "req_1", Webhook: "generic", At: t0, SourceIP: "127.0.0.1", Headers: map[string]string{"content-type": "application/json"},
			Body: `{"agent":"default","message":"hi <&> é"}`, Verdict: herald.VerdictAccepted, Status: 200, InvocationID: "inv_a"},
		{ID: "req_2", Webhook: "hook-a", At: t0, SourceIP: "10.1.2.3", Headers: map[string]string{"x-request-id": "d-1"},
			Body: `{"severity":"critical"}`, EventType: "alert.fired", Verdict: herald.VerdictAccepted, Status: 202, InvocationID: "inv_b"},
		{ID: "req_3", Webhook: "hook-a", At: t1, Headers: map[string]string{}, Body: `{}`, Verdict: herald.VerdictFiltered,
			Reason: "condition is false", Status: 200},
	}
	now := t2.Add(time.Hour)         // the time of the export
	claims := []herald.InboundClaim{ // by scope, then id; the last one expired
		{Scope: "generic", ID: "x-9", ExpiresAt: now.Add(time.Hour)},
		{Scope: "hook-a", ID: "d-1", ExpiresAt: t0.Add(herald.InboundClaimTTL)},
		{Scope: "hook-a", ID: "d-old", ExpiresAt: now.Add(-time.Second)},
	}
	var records []*herald.Record
	records = append(records, &herald.Record{InboundWebhook: hook}, &herald.Record{InboundSecret: secret})
	for _, inv := range invs {
		// Through JSON, as "herald export" writes it.
		line, err := json.Marshal(&herald.Record{Invocation: herald.ExportInvocation(inv)})
		if err != nil {
			t.Fatal(err)
		}
		var r herald.Record
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber() // as "herald import" reads it
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		records = append(records, &r)
	}
	for _, r := range reqs {
		records = append(records, &herald.Record{InboundRequest: r})
	}
	for i := range claims {
		records = append(records, &herald.Record{InboundClaim: &claims[i]})
	}

	depth := func() int {
		t.Helper()
		n, err := s.QueueDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := depth()
	for i, batches := range [][][]*herald.Record{
		{records[:4]},              // an import that stopped after its first batch,
		{records[:4], records[4:]}, // run again,
		{records},                  // and again in one batch.
	} {
		for _, b := range batches {
			if _, err := s.Import(ctx, herald.ImportParams{Records: b}); err != nil {
				t.Fatalf("import %d: %v", i+1, err)
			}
		}
	}
	if got := depth() - before; got != 2 {
		t.Fatalf("import queued %d jobs, want 2: the queued invocation's and the pending reply's", got)
	}
	// Present records are left alone.
	changedHook, changedInv, changedReq := *hook, *invs[1], *reqs[0]
	changedHook.Secret, changedInv.Status, changedReq.Status = "whsec_another-secret", herald.InvocationCompleted, 500
	changedClaim := claims[0]
	changedClaim.ExpiresAt = now.Add(48 * time.Hour)
	_, err := s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{InboundWebhook: &changedHook},
		{InboundSecret: &herald.ExportedInboundSecret{Name: "generic", Secret: "another-secret"}},
		{Invocation: herald.ExportInvocation(&changedInv)}, {InboundRequest: &changedReq}, {InboundClaim: &changedClaim}}})
	if err != nil {
		t.Fatalf("import changed records: %v", err)
	}
	changedReply := *invs[4]
	changedReply.ReplyTo = &herald.ReplyTarget{Provider: herald.ProviderSlack, Webhook: "hook-b", URL: "https://elsewhere.test"}
	if _, err := s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{Invocation: herald.ExportInvocation(&changedReply)}}}); err != nil {
		t.Fatalf("import changed pending reply: %v", err)
	}
	if got := depth() - before; got != 2 {
		t.Fatalf("importing again queued %d jobs in all, want 2", got)
	}

	gotHook, err := s.InboundWebhook(ctx, anyRef(hook.Name))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "inbound webhook", gotHook, hook)
	if got, err := s.InboundSecret(ctx, "generic"); err != nil || got != secret.Secret {
		t.Fatalf("generic secret: %q %v, want %q", got, err, secret.Secret)
	}
	for _, inv := range invs {
		got, err := s.Invocation(ctx, anyRef(inv.ID))
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "invocation "+inv.ID, herald.ExportInvocation(got), herald.ExportInvocation(inv))
	}
	logged, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "hook-a"})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "request log of hook-a", logged, []*herald.InboundRequest{reqs[2], reqs[1]})
	// The imported claim still refuses its duplicate.
	if fresh, err := s.ClaimRequestID(ctx, herald.ClaimParams{Scope: "hook-a", ID: "d-1", Now: t2, TTL: herald.InboundClaimTTL}); err != nil || fresh {
		t.Fatalf("claiming an imported id: fresh %v (%v), want a duplicate", fresh, err)
	}

	gotInvs, gotReqs, gotClaims := exportInbound(t, s, now, 3)
	sameJSON(t, "exported invocations", exported(gotInvs), exported(invs))
	sameJSON(t, "exported requests", gotReqs, reqs)
	sameJSON(t, "exported claims", gotClaims, claims[:2])
	if _, _, c := exportInbound(t, s, time.Time{}, 0); len(c) != 0 {
		// The store's clock is now, long after the claims of 2025 expired.
		t.Fatalf("claims unexpired now: %+v", c)
	}

	stop := errors.New("stop")
	err = s.ExportInbound(ctx, herald.InboundExportParams{Requests: func([]*herald.InboundRequest) error { return stop }})
	if err != stop {
		t.Fatalf("a callback's error came back as %v", err)
	}
}

// exported returns invs as export records carry them, with their reply
// targets.
func exported(invs []*herald.Invocation) []*herald.ExportedInvocation {
	out := make([]*herald.ExportedInvocation, len(invs))
	for i, inv := range invs {
		out[i] = herald.ExportInvocation(inv)
	}
	return out
}

// exportInbound returns every invocation, logged request and claim
// unexpired at now that ExportInbound reads in chunks of size (0 for the
// default), checking that the kinds come in order and that every chunk but
// the last of each kind is full.
func exportInbound(t *testing.T, s herald.Store, now time.Time, size int) ([]*herald.Invocation, []*herald.InboundRequest, []herald.InboundClaim) {
	t.Helper()
	full := size
	if full <= 0 {
		full = herald.ExportChunk
	}
	var (
		invs   []*herald.Invocation
		reqs   []*herald.InboundRequest
		claims []herald.InboundClaim
		kinds  []string
	)
	short := map[string]bool{}
	chunk := func(kind string, n int) error {
		if short[kind] || n == 0 || n > full {
			return errors.New("chunk of " + kind + " after a short one, empty, or too long")
		}
		if len(kinds) == 0 || kinds[len(kinds)-1] != kind {
			kinds = append(kinds, kind)
		}
		short[kind] = n < full
		return nil
	}
	err := s.ExportInbound(context.Background(), herald.InboundExportParams{ChunkSize: size, Now: now,
		Invocations: func(c []*herald.Invocation) error { invs = append(invs, c...); return chunk("invocations", len(c)) },
		Requests:    func(c []*herald.InboundRequest) error { reqs = append(reqs, c...); return chunk("requests", len(c)) },
		Claims:      func(c []herald.InboundClaim) error { claims = append(claims, c...); return chunk("claims", len(c)) },
	})
	if err != nil {
		t.Fatalf("export inbound: %v", err)
	}
	for i := 1; i < len(kinds); i++ {
		if order := map[string]int{"invocations": 0, "requests": 1, "claims": 2}; order[kinds[i-1]] >= order[kinds[i]] {
			t.Fatalf("kinds came in the order %v", kinds)
		}
	}
	return invs, reqs, claims
}
