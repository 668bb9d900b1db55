package invoke

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/heraldhq/herald"
)

// roundTrip is v as a webhook receiver decodes it.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEventShapes(t *testing.T) {
	a := &herald.Agent{ID: "a1"} // no name: the id stands in
	inv := &herald.Invocation{ID: "inv_1", Agent: "a1", Message: "hello",
		User: json.RawMessage(`{"id":"u","name":"John"}`), Room: json.RawMessage(`{"id":"r","name":"Room"}`)}
	ref := map[string]any{"id": "a1", "name": "a1"}
	got := roundTrip(t, ArrivalEvents(a, inv))
	want := roundTrip(t, []herald.EventSpec{
		{Type: "user.message", Data: map[string]any{"agent_id": "a1", "agent": ref, "user": map[string]any{"id": "u", "name": "John"}, "room": map[string]any{"id": "r", "name": "Room"}, "content": "hello"}},
		{Type: "agent.invoked", Data: map[string]any{"agent_id": "a1", "agent": "a1", "request_id": "inv_1"}},
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arrival events %v, want %v", got, want)
	}

	done := herald.InvocationOutcome{Status: herald.InvocationCompleted, DurationMS: 12, Response: &herald.InvocationResponse{
		Response: "hi", Actions: []herald.Action{{Action: "WARP_EXECUTE", Content: "{}"}},
	}}
	got = roundTrip(t, OutcomeEvents(a, inv, done, 60))
	want = roundTrip(t, []herald.EventSpec{
		{Type: "agent.completed", Data: map[string]any{"agent_id": "a1", "agent": "a1", "request_id": "inv_1", "duration": 12, "response": map[string]any{"message": "hi"}}},
		{Type: "agent.message", Data: map[string]any{"agent_id": "a1", "agent": ref, "room": "r", "content": "hi"}},
		{Type: "agent.action", Data: map[string]any{"agent_id": "a1", "agent": ref, "room": "r", "action": "WARP_EXECUTE", "content": "{}"}},
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("completed events %v, want %v", got, want)
	}

	got = roundTrip(t, OutcomeEvents(a, inv, herald.InvocationOutcome{Status: herald.InvocationTimeout}, 7))
	want = roundTrip(t, []herald.EventSpec{{Type: "agent.timeout", Data: map[string]any{"agent_id": "a1", "agent": "a1", "request_id": "inv_1", "timeout": 7}}})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeout events %v, want %v", got, want)
	}
	got = roundTrip(t, OutcomeEvents(a, inv, herald.InvocationOutcome{Status: herald.InvocationFailed, Error: "boom"}, 7))
	want = roundTrip(t, []herald.EventSpec{{Type: "agent.failed", Data: map[string]any{"agent_id": "a1", "agent": "a1", "request_id": "inv_1", "error": "boom"}}})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failed events %v, want %v", got, want)
	}

	// No room: null in agent.message.
	inv.Room = nil
	evs := OutcomeEvents(a, inv, done, 60)
	if r, ok := evs[1].Data["room"]; !ok || r != nil {
		t.Errorf("agent.message room %v, want null", r)
	}
}
