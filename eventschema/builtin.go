package eventschema

import (
	"encoding/json"
	"strings"

	"github.com/heraldhq/herald"
)

// Property schemas the built-in types are made of.
const (
	str      = `{"type":"string"}`
	strOrNil = `{"type":["string","null"]}`
	num      = `{"type":"number"}`
	numOrNil = `{"type":["number","null"]}`
	integer  = `{"type":"integer","minimum":0}`
	anyValue = `true`
	agentObj = `{"type":"object","required":["id","name"],"properties":{"id":{"type":"string"},"name":{"type":"string"}}}`
	metrics  = `{"type":"object","additionalProperties":{"type":"number"}}`
	response = `{"type":"object","required":["message"],"properties":{"message":{"type":"string"}}}`
)

// builtin describes one type of Herald's own catalogue: its properties in
// order (name, schema), the ones Herald always sends, and an example of its
// data.
type builtin struct {
	name, description string
	props             [][2]string
	sends             []string
	example           string
}

// p is a property: its name and schema.
func p(name, schema string) [2]string { return [2]string{name, schema} }

// webhookOps are the properties of the webhook.disabled, webhook.enabled
// and webhook.failing events.
var webhookOps = [][2]string{p("webhook_id", str), p("name", str), p("url", str), p("tenant_id", strOrNil), p("reason", str), p("last_error", strOrNil)}

// builtins is every event Herald itself emits, with the payload fields of
// the seeds' tables (000: agent.* and deployment.* and metrics.report; 003:
// the invocation events; 004: agent.message, agent.action, user.message).
// Every property is typed. Only the webhook.* operational events, which
// Herald alone sends, require their fields: events of the other types may
// be published by hand with fewer fields, as the seeds show them. Extra
// properties are allowed, so that adding a field is no breaking change.
var builtins = []builtin{
	{"agent.status", "An agent's status changed (old_status is null for a new agent).",
		[][2]string{p("agent_id", str), p("new_status", str), p("old_status", strOrNil), p("node_id", str)},
		[]string{"agent_id", "new_status", "old_status"},
		`{"agent_id":"agent-1","new_status":"running","old_status":"starting","node_id":"node-a"}`},
	{"agent.started", "An agent started running.", [][2]string{p("agent_id", str), p("node_id", str)}, []string{"agent_id"},
		`{"agent_id":"agent-1","node_id":"node-a"}`},
	{"agent.stopped", "An agent stopped.", [][2]string{p("agent_id", str), p("node_id", str), p("reason", str)}, []string{"agent_id"},
		`{"agent_id":"agent-1","node_id":"node-a","reason":"scaled down"}`},
	{"agent.crashed", "An agent crashed (reported crashed, failed or error).", [][2]string{p("agent_id", str), p("node_id", str), p("error", str)}, []string{"agent_id"},
		`{"agent_id":"agent-1","node_id":"node-a","error":"out of memory"}`},
	{"agent.heartbeat", "An agent reported the status it already had.", [][2]string{p("agent_id", str), p("status", str), p("node_id", str)}, []string{"agent_id", "status"},
		`{"agent_id":"agent-1","status":"running","node_id":"node-a"}`},
	{"deployment.created", "A deployment was created.", [][2]string{p("deployment_id", str), p("agent_id", str), p("version", str)}, []string{"deployment_id", "agent_id"},
		`{"deployment_id":"dep-1","agent_id":"agent-1","version":"1.4.0"}`},
	{"deployment.started", "A deployment started.", [][2]string{p("deployment_id", str), p("agent_id", str), p("version", str)}, []string{"deployment_id", "agent_id"},
		`{"deployment_id":"dep-1","agent_id":"agent-1","version":"1.4.0"}`},
	{"deployment.updated", "A deployment was updated; changes is what the report said changed.", [][2]string{p("deployment_id", str), p("agent_id", str), p("changes", anyValue)}, []string{"deployment_id", "agent_id"},
		`{"deployment_id":"dep-1","agent_id":"agent-1","changes":{"replicas":3}}`},
	{"deployment.completed", "A deployment completed.", [][2]string{p("deployment_id", str), p("agent_id", str), p("version", str)}, []string{"deployment_id", "agent_id"},
		`{"deployment_id":"dep-1","agent_id":"agent-1","version":"1.4.0"}`},
	{"deployment.failed", "A deployment failed.", [][2]string{p("deployment_id", str), p("agent_id", str), p("error", str)}, []string{"deployment_id", "agent_id"},
		`{"deployment_id":"dep-1","agent_id":"agent-1","error":"image pull failed"}`},
	{"deployment.rolled_back", "A deployment was rolled back.", [][2]string{p("deployment_id", str), p("agent_id", str), p("reason", str)}, []string{"deployment_id", "agent_id"},
		`{"deployment_id":"dep-1","agent_id":"agent-1","reason":"health checks failed"}`},
	{"metrics.report", "An agent reported metrics, by name.", [][2]string{p("agent_id", str), p("metrics", metrics)}, []string{"agent_id", "metrics"},
		`{"agent_id":"agent-1","metrics":{"cpu":0.42,"memory_mb":512}}`},
	{"alert.triggered", "An alert rule's metric crossed its threshold (value is null when there was no data).",
		[][2]string{p("alert_id", str), p("name", str), p("metric", str), p("value", numOrNil), p("threshold", num), p("op", str), p("window", str), p("agent_id", str), p("webhook_id", str)},
		[]string{"alert_id", "name", "metric", "value", "threshold", "op", "window"},
		`{"alert_id":"alr_1","name":"High CPU","metric":"cpu","value":0.97,"threshold":0.9,"op":">","window":"5m0s","agent_id":"agent-1"}`},
	{"alert.resolved", "An alert rule's metric is back within its threshold.",
		[][2]string{p("alert_id", str), p("name", str), p("metric", str), p("value", numOrNil), p("threshold", num), p("op", str), p("window", str), p("agent_id", str), p("webhook_id", str)},
		[]string{"alert_id", "name", "metric", "value", "threshold", "op", "window"},
		`{"alert_id":"alr_1","name":"High CPU","metric":"cpu","value":0.4,"threshold":0.9,"op":">","window":"5m0s","agent_id":"agent-1"}`},
	{"user.message", "A user sent an agent a message (an invocation arrived); user and room are what the source said, or null.",
		[][2]string{p("agent_id", str), p("agent", agentObj), p("user", anyValue), p("room", anyValue), p("content", str)},
		[]string{"agent_id", "agent", "content"},
		`{"agent_id":"agent-1","agent":{"id":"agent-1","name":"My Agent"},"user":{"id":"user-hashid","name":"John Doe"},"room":{"id":"room-hashid","name":"Room Name"},"content":"Hello"}`},
	{"agent.invoked", "An agent received a request.", [][2]string{p("agent_id", str), p("agent", str), p("request_id", str)}, []string{"agent_id", "agent", "request_id"},
		`{"agent_id":"agent-1","agent":"agent-1","request_id":"inv_1"}`},
	{"agent.completed", "An agent finished a request; duration is in milliseconds.",
		[][2]string{p("agent_id", str), p("agent", str), p("request_id", str), p("duration", integer), p("response", response)},
		[]string{"agent_id", "agent", "request_id", "duration", "response"},
		`{"agent_id":"agent-1","agent":"agent-1","request_id":"inv_1","duration":1234,"response":{"message":"Done."}}`},
	{"agent.message", "An agent sent a message (the answer of a request).",
		[][2]string{p("agent_id", str), p("agent", agentObj), p("room", strOrNil), p("content", str)},
		[]string{"agent_id", "agent", "content"},
		`{"agent_id":"agent-1","agent":{"id":"agent-1","name":"My Agent"},"room":"room-hashid","content":"Hello, this is a message from the agent"}`},
	{"agent.action", "An agent performed an action.",
		[][2]string{p("agent_id", str), p("agent", agentObj), p("room", strOrNil), p("action", str), p("content", str)},
		[]string{"agent_id", "agent", "action"},
		`{"agent_id":"agent-1","agent":{"id":"agent-1","name":"My Agent"},"room":"room-hashid","action":"WARP_EXECUTE","content":"{\"identifier\":\"action-id\"}"}`},
	{"agent.timeout", "An agent exceeded its time limit; timeout is in seconds.",
		[][2]string{p("agent_id", str), p("agent", str), p("request_id", str), p("timeout", integer)},
		[]string{"agent_id", "agent", "request_id", "timeout"},
		`{"agent_id":"agent-1","agent":"agent-1","request_id":"inv_1","timeout":30}`},
	{"agent.failed", "An agent failed a request.",
		[][2]string{p("agent_id", str), p("agent", str), p("request_id", str), p("error", str)},
		[]string{"agent_id", "agent", "request_id", "error"},
		`{"agent_id":"agent-1","agent":"agent-1","request_id":"inv_1","error":"runtime exited with status 1"}`},
	{"webhook.test", "A test event sent to one webhook (POST /v1/webhooks/{id}/test).",
		[][2]string{p("webhook_id", str), p("message", str)}, []string{"webhook_id"},
		`{"webhook_id":"wh_1","message":"This is a test event from Herald."}`},
	{"webhook.disabled", "A webhook was disabled (reason failing, gone or manual); sent to the platform's webhooks, never to the disabled one.",
		webhookOps, []string{"webhook_id", "name", "url", "tenant_id", "reason", "last_error"},
		`{"webhook_id":"wh_1","name":"Orders","url":"https://example.com/hook","tenant_id":null,"reason":"failing","last_error":"503 Service Unavailable"}`},
	{"webhook.enabled", "A disabled webhook was enabled again.",
		webhookOps, []string{"webhook_id", "name", "url", "tenant_id", "reason", "last_error"},
		`{"webhook_id":"wh_1","name":"Orders","url":"https://example.com/hook","tenant_id":null,"reason":"manual","last_error":null}`},
	{"webhook.failing", "A webhook reached half of the threshold at which it is disabled.",
		webhookOps, []string{"webhook_id", "name", "url", "tenant_id", "reason", "last_error"},
		`{"webhook_id":"wh_1","name":"Orders","url":"https://example.com/hook","tenant_id":"acme","reason":"failing","last_error":"connection refused"}`},
}

// BuiltinFields returns the fields Herald always sends in the data of the
// built-in type name (nil for another type): the seeds' field tables.
func BuiltinFields(name string) []string {
	for _, b := range builtins {
		if b.name == name {
			return append([]string(nil), b.sends...)
		}
	}
	return nil
}

// Builtin returns Herald's own event types, each with a JSON Schema
// (draft 2020-12, extra properties allowed) and an example; a new server
// adds them to its catalogue at start (herald.EventTypeStore.EnsureEventTypes).
func Builtin() []*herald.EventType {
	out := make([]*herald.EventType, len(builtins))
	for i, b := range builtins {
		var s strings.Builder
		s.WriteString(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{`)
		for j, pr := range b.props {
			if j > 0 {
				s.WriteByte(',')
			}
			name, _ := json.Marshal(pr[0])
			s.Write(name)
			s.WriteByte(':')
			s.WriteString(pr[1])
		}
		s.WriteByte('}')
		if strings.HasPrefix(b.name, "webhook.") && b.name != "webhook.test" {
			req, _ := json.Marshal(b.sends)
			s.WriteString(`,"required":`)
			s.Write(req)
		}
		s.WriteByte('}')
		out[i] = &herald.EventType{Name: b.name, Description: b.description, Schema: json.RawMessage(s.String()), Example: json.RawMessage(b.example)}
	}
	return out
}
