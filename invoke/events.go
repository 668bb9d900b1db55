package invoke

import (
	"encoding/json"

	"github.com/heraldhq/herald"
)

// agentRef is an agent as seed 004's events show it: {id, name}, the name
// being the id when the agent has none.
func agentRef(a *herald.Agent) map[string]any {
	name := a.Name
	if name == "" {
		name = a.ID
	}
	return map[string]any{"id": a.ID, "name": name}
}

// rawValue decodes a stored JSON value for an event's data; nil (JSON
// null) when empty or malformed.
func rawValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return v
}

// roomID is the id of a room for agent.message and agent.action, which
// seed 004 shows as a string: the room's "id" when it is an object, the
// room itself when a string, nil otherwise.
func roomID(raw json.RawMessage) any {
	switch v := rawValue(raw).(type) {
	case string:
		return v
	case map[string]any:
		if id, ok := v["id"]; ok {
			return id
		}
	}
	return nil
}

// ArrivalEvents returns the events of a new invocation of a:
// user.message {agent_id, agent: {id, name}, user, room, content} and
// agent.invoked {agent_id, agent, request_id}. Every event about an agent
// carries data.agent_id, the first thing herald.EventAgentID reads.
func ArrivalEvents(a *herald.Agent, inv *herald.Invocation) []herald.EventSpec {
	return []herald.EventSpec{
		{Type: "user.message", Data: map[string]any{
			"agent_id": a.ID, "agent": agentRef(a), "user": rawValue(inv.User), "room": rawValue(inv.Room), "content": inv.Message,
		}},
		{Type: "agent.invoked", Data: map[string]any{"agent_id": inv.Agent, "agent": inv.Agent, "request_id": inv.ID}},
	}
}

// OutcomeEvents returns the events of a finished invocation of a:
//
//   - completed: agent.completed {agent_id, agent, request_id, duration
//     (ms), response: {message}}, agent.message {agent_id, agent: {id,
//     name}, room, content}, and one agent.action {agent_id, agent: {id,
//     name}, room, action, content} per action;
//   - timeout: agent.timeout {agent_id, agent, request_id, timeout
//     (timeoutSeconds)};
//   - failed: agent.failed {agent_id, agent, request_id, error}.
func OutcomeEvents(a *herald.Agent, inv *herald.Invocation, o herald.InvocationOutcome, timeoutSeconds int) []herald.EventSpec {
	switch o.Status {
	case herald.InvocationCompleted:
		resp := o.Response
		if resp == nil {
			resp = &herald.InvocationResponse{}
		}
		room := roomID(inv.Room)
		out := []herald.EventSpec{
			{Type: "agent.completed", Data: map[string]any{
				"agent_id": inv.Agent, "agent": inv.Agent, "request_id": inv.ID, "duration": o.DurationMS,
				"response": map[string]any{"message": resp.Response},
			}},
			{Type: "agent.message", Data: map[string]any{"agent_id": a.ID, "agent": agentRef(a), "room": room, "content": resp.Response}},
		}
		for _, act := range resp.Actions {
			out = append(out, herald.EventSpec{Type: "agent.action", Data: map[string]any{
				"agent_id": a.ID, "agent": agentRef(a), "room": room, "action": act.Action, "content": act.Content,
			}})
		}
		return out
	case herald.InvocationTimeout:
		return []herald.EventSpec{{Type: "agent.timeout", Data: map[string]any{
			"agent_id": inv.Agent, "agent": inv.Agent, "request_id": inv.ID, "timeout": timeoutSeconds,
		}}}
	default:
		return []herald.EventSpec{{Type: "agent.failed", Data: map[string]any{
			"agent_id": inv.Agent, "agent": inv.Agent, "request_id": inv.ID, "error": o.Error,
		}}}
	}
}
