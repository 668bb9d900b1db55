package herald

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEventAgentID(t *testing.T) {
	for data, want := range map[string]string{
		`{"agent_id":"a1","agent":"a2"}`:            "a1", // agent_id first
		`{"agent_id":"","agent":"a2"}`:              "a2", // an empty agent_id is none
		`{"agent_id":7,"agent":{"id":"a3"}}`:        "a3", // so is a non-string one
		`{"agent":"my-agent","request_id":"req_1"}`: "my-agent",
		`{"agent":{"id":"bot","name":"Bot"}}`:       "bot",
		`{"agent":{"id":5}}`:                        "",
		`{"agent":["a1"]}`:                          "",
		`{"agent_status":"a1"}`:                     "",
		`{}`:                                        "",
		`not json`:                                  "",
		`{"data":{"agent_id":"nested is not"}}`:     "",
	} {
		if got := EventAgentID(json.RawMessage(data)); got != want {
			t.Errorf("EventAgentID(%s) = %q, want %q", data, got, want)
		}
	}
}

func TestEventAgentNotAName(t *testing.T) {
	for data, field := range map[string]string{
		`{"agent_id":"a\u0000b"}`:   "data.agent_id",
		`{"agent":"a\u0000b"}`:      "data.agent",
		`{"agent":{"id":"\u0000"}}`: "data.agent.id",
	} {
		if got := EventAgentID(json.RawMessage(data)); got != "" {
			t.Errorf("EventAgentID(%q) = %q, want none", data, got)
		}
		err := ValidateEventAgent(json.RawMessage(data))
		if ErrorCode(err) != EINVALID || !strings.HasPrefix(ErrorMessage(err), field+":") {
			t.Errorf("ValidateEventAgent(%q) = %v, want EINVALID naming %s", data, err, field)
		}
	}
	if err := ValidateEventAgent(json.RawMessage(`{"agent_id":"ok"}`)); err != nil {
		t.Errorf("ValidateEventAgent of a valid agent: %v", err)
	}
}
