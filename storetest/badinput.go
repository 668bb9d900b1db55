package storetest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// oddText is free text from outside that every store keeps as it came: a
// NUL byte, the private-use character PostgreSQL's store escapes NUL with
// (alone, doubled, and before "0"), and a backslash.
const oddText = "a\x00b \uE000 \uE000\uE000 \uE0000 \\0 \x00"

// oddJSON is a JSON object whose strings hold an escaped NUL.
const oddJSON = `{"k":"a\u0000b","n":"\u0000"}`

var badInputTests = map[string]func(t *testing.T, s herald.Store){
	"FreeTextKeepsNUL": testFreeTextKeepsNUL,
}

func testFreeTextKeepsNUL(t *testing.T, s herald.Store) {
	ctx := context.Background()
	NewWebhook(t, s, []string{"*"})

	// An agent report: its error, reason, log lines and metadata.
	res := reportStatus(t, s, herald.AgentReport{AgentID: "a1", Status: "crashed", Error: oddText, Reason: oddText,
		Metadata: json.RawMessage(oddJSON), Now: ingestT0,
		Logs: []herald.LogEntry{{Message: oddText}, {Level: "error", Message: "\x00"}}})
	a, err := s.Agent(ctx, anyRef("a1"))
	if err != nil || a.Error != oddText || string(a.Metadata) != oddJSON {
		t.Fatalf("agent read back: %+v %v", a, err)
	}
	logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "a1"})
	if err != nil || len(logs) != 2 || logs[0].Message != oddText || logs[1].Message != "\x00" {
		t.Fatalf("logs read back: %+v %v", logs, err)
	}
	for _, e := range res.Events {
		ev, err := s.Event(ctx, anyRef(e.ID))
		if err != nil || string(ev.Data) != string(e.Data) {
			t.Fatalf("event %s read back: %+v %v", e.Type, ev, err)
		}
	}

	// An event's data, as published.
	pub := publish(t, s, herald.PublishParams{Type: "custom.odd", Data: json.RawMessage(oddJSON)})
	ev, err := s.Event(ctx, anyRef(pub.Event.ID))
	if err != nil || string(ev.Data) != oddJSON {
		t.Fatalf("published event read back: %+v %v", ev, err)
	}

	// An attempt's response body, headers and error.
	code := 500
	if _, err := s.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: pub.Deliveries[0].ID, Status: herald.DeliveryFailed,
		Attempt: &herald.Attempt{StartedAt: ingestT0, StatusCode: &code, Error: oddText,
			ResponseHeaders: http.Header{"X-Odd": {oddText}}, ResponseBody: oddText}}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Delivery(ctx, anyRef(pub.Deliveries[0].ID))
	if err != nil || d.ErrorMessage != oddText || len(d.AttemptList) != 1 || d.AttemptList[0].ResponseBody != oddText ||
		d.AttemptList[0].Error != oddText || d.AttemptList[0].ResponseHeaders.Get("X-Odd") != oddText {
		t.Fatalf("delivery read back: %+v %v", d, err)
	}

	// An inbound message and the request that brought it.
	saveAgent(t, s, herald.SaveAgentParams{Tenancy: herald.Platform(), ID: "bot", Create: true, Now: inboundT0,
		Input: herald.AgentInput{Runtime: echoRuntime()}})
	inv := newInvocation("bot", herald.InvocationQueued, inboundT0)
	inv.Message, inv.Context, inv.User = oddText, json.RawMessage(oddJSON), json.RawMessage(oddJSON)
	if err := s.CreateInvocation(ctx, herald.CreateInvocationParams{Invocation: inv, Events: []herald.EventSpec{
		{Type: "user.message", Data: map[string]any{"agent_id": "bot", "message": oddText}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Invocation(ctx, anyRef(inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "invocation read back", got, inv)
	if got.Message != oddText || string(got.Context) != oddJSON {
		t.Fatalf("invocation read back: %+v", got)
	}
	done, err := s.FinishInvocation(ctx, herald.InvocationOutcome{ID: inv.ID, Status: herald.InvocationFailed,
		Error: oddText, Response: &herald.InvocationResponse{Response: oddText}, Now: inboundT0.Add(time.Second)})
	if err != nil || done.Error != oddText || done.Response != oddText {
		t.Fatalf("finished invocation: %+v %v", done, err)
	}
	req := recordRequest(t, s, &herald.InboundRequest{Webhook: "generic", At: inboundT0, SourceIP: "192.0.2.7",
		Headers: map[string]string{"X-Odd": oddText}, Body: oddText, Verdict: herald.VerdictRejected, Reason: oddText, Status: 400})
	reqs, err := s.ListInboundRequests(ctx, herald.InboundRequestFilter{Tenancy: anyTenant, Webhook: "generic"})
	if err != nil || len(reqs) != 1 {
		t.Fatalf("inbound requests: %+v %v", reqs, err)
	}
	sameJSON(t, "inbound request read back", reqs[0], req)
}
