package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliSendAnswer = `{"id":"evt_1","type":"deployment.failed","created":1705319100,"timestamp":"2024-01-15T11:45:00.000000Z","deliveries":2}`

func TestCLIEventsSend(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"POST /v1/events": {202, cliSendAnswer}})
	out, _, err := api.run(t, "events", "send", "deployment.failed", "--data", `{"deployment_id": "d-42", "n": 1.50}`, "--id", "k-1")
	if err != nil {
		t.Fatal(err)
	}
	// The data goes as given (the server canonicalizes it).
	api.only(t).expect(t, "POST", "/v1/events", `{"id":"k-1","type":"deployment.failed","data":{"deployment_id":"d-42","n":1.50}}`)
	if out != "Sent event evt_1 (deployment.failed) to 2 webhooks.\n" {
		t.Errorf("output = %q", out)
	}

	// Without --data nothing is sent for it; 200 means a duplicate.
	api = newStubAPI(t, map[string]stubAnswer{"POST /v1/events": {200, cliSendAnswer}})
	out, _, err = api.run(t, "events", "send", "deployment.failed")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/events", `{"type":"deployment.failed"}`)
	if !strings.Contains(out, "was sent before with this id: nothing new was delivered") {
		t.Errorf("output = %q", out)
	}
}

func TestCLIEventsSendDataFromFileAndStdin(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"POST /v1/events": {202, cliSendAnswer}})
	path := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(path, []byte("{\"from\": \"file\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.run(t, "events", "send", "a.b", "--data", "@"+path); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/events", `{"type":"a.b","data":{"from":"file"}}`)

	api.got = nil
	out, _, err := runCLITest(t, `{"from": "stdin"}`, "events", "send", "a.b", "--data", "-", "-o", "json",
		"--server", api.URL, "--api-key", "hk_test")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/events", `{"type":"a.b","data":{"from":"stdin"}}`)
	if v := decodeOutput(t, out); v["id"] != "evt_1" || v["deliveries"] != 2.0 || v["duplicate"] != false {
		t.Errorf("json = %v", v)
	}
}

func TestCLIEventsSendBadData(t *testing.T) {
	api := newStubAPI(t, nil)
	for data, want := range map[string]string{
		`{"a": `:           "--data: not valid JSON",
		`[1, 2]`:           "--data: must be a JSON object",
		"@/no/such/file":   "read --data file",
		`{"a": 1} {"b":2}`: "--data: not valid JSON",
	} {
		if _, _, err := api.run(t, "events", "send", "a.b", "--data", data); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--data %s: err = %v, want %q", data, err, want)
		}
	}
	if _, _, err := api.run(t, "events", "send"); err == nil {
		t.Error("send without a type was accepted")
	}
	if len(api.got) != 0 {
		t.Errorf("requests were sent: %+v", api.got)
	}
}

func TestCLIEventsListGet(t *testing.T) {
	ev := `{"id":"evt_1","type":"deployment.failed","created":1705319100,"timestamp":"2024-01-15T11:45:00.000000Z","data":{"deployment_id":"d-42"}`
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/events":       {200, `{"items":[` + ev + `},{"id":"evt_2","type":"agent.started","created":1705319000,"data":{}}],"total":2,"skip":0,"limit":50}`},
		"GET /v1/events/evt_1": {200, ev + `,"deliveries":[` + cliDeliveryJSON + `}]}`},
	})
	out, stderr, err := api.run(t, "events", "list", "--type", "deployment.failed")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/events?type=deployment.failed", "")
	assertAligned(t, out, "ID", "TYPE", "CREATED", "DATA")
	for _, want := range []string{"evt_1", "2024-01-15T11:45:00Z", `{"deployment_id":"d-42"}`, "evt_2", "agent.started"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	if stderr != "" {
		t.Errorf("stderr = %q", stderr)
	}

	api.got = nil
	out, _, err = api.run(t, "events", "get", "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/events/evt_1", "")
	for _, want := range []string{"Type:", "deployment.failed", "Data:\n{\n  \"deployment_id\": \"d-42\"\n}", "DELIVERY", "dlv_1", "wh_1", "500"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}

	api.got = nil
	out, _, err = api.run(t, "events", "get", "evt_1", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	v := decodeOutput(t, out)
	if v["id"] != "evt_1" || v["created"] != 1705319100.0 || len(v["deliveries"].([]any)) != 1 {
		t.Errorf("json = %v", v)
	}
}
