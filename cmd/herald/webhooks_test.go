package main

import (
	"strings"
	"testing"
)

const cliWebhookJSON = `{"id":"wh_1","name":"ops","description":"","url":"https://example.com/hook",
"events":["agent.*","deployment.*"],"is_active":true,"headers":{"X-B":"2","X-A":"1"},"timeout_seconds":30,
"max_retries":3,"verify_ssl":true,"signature_header":"X-Webhook-Signature","signature_format":"sha256=hex",
"created_at":"2024-01-15T11:45:00Z","updated_at":"2024-01-15T11:45:00Z",
"last_triggered_at":null,"last_success_at":null,"last_failure_at":null`

const cliDeliveryJSON = `{"id":"dlv_1","webhook_id":"wh_1","event_id":"evt_1","event":"deployment.failed","status":"failed",
"success":false,"attempts":2,"response_status_code":500,"error_message":"HTTP 500","created_at":"2024-01-15T11:45:00Z",
"last_attempt_at":"2024-01-15T11:46:00Z","next_attempt_at":null,"delivered_at":null`

func TestCLIWebhooksCreateAllFlags(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"POST /v1/webhooks": {201, cliWebhookJSON + `,"secret":"whsec_c2VjcmV0"}`}})
	out, _, err := api.run(t, "webhooks", "create",
		"--url", "https://example.com/hook", "--events", "agent.*, deployment.*", "--events", "*.failed",
		"--name", "ops", "--description", "the ops channel", "--agent", "agent-1", "--secret", "whsec_c2VjcmV0",
		"--header", "X-A=1", "--header", "X-B=a=b,c", "--timeout", "1m30s", "--max-retries", "5",
		"--retry-schedule", "1m,5m", "--signature-header", "X-Sig", "--signature-format", "hex",
		"--insecure-skip-verify", "--inactive")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/webhooks", `{"agent_id":"agent-1","description":"the ops channel",`+
		`"events":["agent.*","deployment.*","*.failed"],"headers":{"X-A":"1","X-B":"a=b,c"},"is_active":false,`+
		`"max_retries":5,"name":"ops","retry_schedule":["1m","5m"],"secret":"whsec_c2VjcmV0",`+
		`"signature_format":"hex","signature_header":"X-Sig","timeout_seconds":90,"url":"https://example.com/hook","verify_ssl":false}`)
	for _, want := range []string{"Created webhook wh_1.", "URL:", "https://example.com/hook", "Headers:", "X-A=1 X-B=2",
		"Signing secret (shown once", "\n    whsec_c2VjcmV0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
}

func TestCLIWebhooksCreateSendsOnlyGivenFlags(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"POST /v1/webhooks": {201, cliWebhookJSON + `,"secret":"whsec_x"}`}})
	out, _, err := api.run(t, "webhooks", "create", "--url", "https://example.com/hook", "--events", "agent.*", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/webhooks", `{"events":["agent.*"],"url":"https://example.com/hook"}`)
	if v := decodeOutput(t, out); v["secret"] != "whsec_x" || v["id"] != "wh_1" {
		t.Errorf("json = %v", v)
	}
}

func TestCLIWebhooksTimeoutForms(t *testing.T) {
	for in, want := range map[string]string{"45": "45", "1500ms": "2", "2m": "120"} {
		api := newStubAPI(t, map[string]stubAnswer{"PATCH /v1/webhooks/wh_1": {200, cliWebhookJSON + `}`}})
		if _, _, err := api.run(t, "webhooks", "update", "wh_1", "--timeout", in); err != nil {
			t.Fatalf("--timeout %s: %v", in, err)
		}
		api.only(t).expect(t, "PATCH", "/v1/webhooks/wh_1", `{"timeout_seconds":`+want+`}`)
	}
	api := newStubAPI(t, nil)
	for _, bad := range []string{"soon", "0", "-5s"} {
		if _, _, err := api.run(t, "webhooks", "update", "wh_1", "--timeout", bad); err == nil || !strings.Contains(err.Error(), "--timeout") {
			t.Errorf("--timeout %s: err = %v", bad, err)
		}
	}
	if len(api.got) != 0 {
		t.Errorf("requests were sent: %+v", api.got)
	}
}

func TestCLIWebhooksCreateErrors(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"POST /v1/webhooks": {400, `{"error":{"code":"invalid","message":"url: plain http is refused"}}`},
	})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--events", "agent.*"}, `"url" not set`},
		{[]string{"--url", "https://e.com"}, `"events" not set`},
		{[]string{"--url", "https://e.com", "--events", "a.*", "--header", "nope"}, `--header: "nope" is not KEY=VALUE`},
		{[]string{"--url", "https://e.com", "--events", "a.*", "--retry-schedule", "1m,later"}, `--retry-schedule: "later" is not a duration`},
	} {
		if _, _, err := api.run(t, append([]string{"webhooks", "create"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	if len(api.got) != 0 {
		t.Fatalf("requests were sent: %+v", api.got)
	}
	_, _, err := api.run(t, "webhooks", "create", "--url", "http://e.com", "--events", "a.*")
	if err == nil || err.Error() != "create webhook: url: plain http is refused (HTTP 400 invalid)" {
		t.Errorf("err = %v", err)
	}
}

func TestCLIWebhooksUpdate(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"PATCH /v1/webhooks/wh 1": {200, cliWebhookJSON + `}`}})
	out, _, err := api.run(t, "webhooks", "update", "wh 1", "--active=false", "--url", "https://example.com/new",
		"--retry-schedule", "", "--header", "X-Only=1", "--insecure-skip-verify=false")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "PATCH", "/v1/webhooks/wh%201",
		`{"headers":{"X-Only":"1"},"is_active":false,"retry_schedule":[],"url":"https://example.com/new","verify_ssl":true}`)
	if !strings.Contains(out, "ID:") || !strings.Contains(out, "wh_1") {
		t.Errorf("output:\n%s", out)
	}

	api = newStubAPI(t, map[string]stubAnswer{"PATCH /v1/webhooks/wh_1": {200, cliWebhookJSON + `}`}})
	if _, _, err := api.run(t, "webhooks", "update", "wh_1", "--active"); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "PATCH", "/v1/webhooks/wh_1", `{"is_active":true}`)

	api = newStubAPI(t, map[string]stubAnswer{"PATCH /v1/webhooks/wh_1": {200, cliWebhookJSON + `}`}})
	if _, _, err := api.run(t, "webhooks", "update", "wh_1", "--header", ""); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "PATCH", "/v1/webhooks/wh_1", `{"headers":{}}`)

	api = newStubAPI(t, nil)
	if _, _, err := api.run(t, "webhooks", "update", "wh_1"); err == nil || !strings.Contains(err.Error(), "nothing to update") {
		t.Errorf("err = %v", err)
	}
	if len(api.got) != 0 {
		t.Errorf("requests were sent: %+v", api.got)
	}
}

func TestCLIWebhooksListGetDelete(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/webhooks": {200, `{"items":[` + cliWebhookJSON + `},{"id":"wh_22","name":"","url":"https://b.example/x","events":["*"],"is_active":false,
"last_triggered_at":"2024-01-16T08:00:00Z"}],"total":5,"skip":1,"limit":2}`},
		"GET /v1/webhooks/wh_1":    {200, cliWebhookJSON + `}`},
		"DELETE /v1/webhooks/wh_1": {204, ""},
	})
	out, stderr, err := api.run(t, "webhooks", "list", "--skip", "1", "--limit", "2")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/webhooks?limit=2&skip=1", "")
	assertAligned(t, out, "ID", "NAME", "AGENT", "URL", "EVENTS", "ACTIVE", "LAST TRIGGERED")
	for _, want := range []string{"wh_1", "agent.*,deployment.*", "yes", "wh_22", "2024-01-16T08:00:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	if stderr != "Showing 2-3 of 5; next page: --skip 3\n" {
		t.Errorf("stderr = %q", stderr)
	}

	api.got = nil
	out, _, err = api.run(t, "webhooks", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/webhooks", "")
	if v := decodeOutput(t, out); v["total"] != 5.0 || len(v["items"].([]any)) != 2 {
		t.Errorf("json = %v", v)
	}

	api.got = nil
	out, _, err = api.run(t, "webhooks", "get", "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/webhooks/wh_1", "")
	for _, want := range []string{"ID:", "wh_1", "Events:", "Timeout:", "30s", "Retry schedule:", "server default", "X-Webhook-Signature (sha256=hex)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	assertAligned(t, out, "wh_1")

	api.got = nil
	out, _, err = api.run(t, "webhooks", "delete", "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "DELETE", "/v1/webhooks/wh_1", "")
	if out != "Deleted webhook wh_1.\n" {
		t.Errorf("output = %q", out)
	}
}

func TestCLIWebhooksListEmpty(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"GET /v1/webhooks": {200, `{"items":[],"total":0,"skip":0,"limit":50}`}})
	out, _, err := api.run(t, "webhooks", "list")
	if err != nil || !strings.Contains(out, "No webhooks yet") {
		t.Errorf("err = %v, output = %q", err, out)
	}
}

func TestCLIWebhooksTest(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"POST /v1/webhooks/wh_1/test": {200, `{"delivery_id":"dlv_1","success":true,"status_code":200,"duration_ms":12,"error":""}`},
		"POST /v1/webhooks/wh_2/test": {200, `{"delivery_id":"dlv_2","success":false,"status_code":null,"duration_ms":5,"error":"connection refused"}`},
		"POST /v1/webhooks/wh_3/test": {202, `{"delivery_id":"dlv_3","success":false,"status_code":null,"duration_ms":0,"error":"no attempt"}`},
	})
	out, _, err := api.run(t, "webhooks", "test", "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/webhooks/wh_1/test", "")
	if !strings.Contains(out, "Test delivery dlv_1 succeeded: HTTP 200 in 12ms.") || !strings.Contains(out, "herald webhooks delivery wh_1 dlv_1") {
		t.Errorf("output:\n%s", out)
	}

	out, _, err = api.run(t, "webhooks", "test", "wh_2")
	if err == nil || err.Error() != "the test delivery failed" {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(out, "Test delivery dlv_2 failed: HTTP - in 5ms: connection refused") {
		t.Errorf("output:\n%s", out)
	}

	out, _, err = api.run(t, "webhooks", "test", "wh_3", "-o", "json")
	if err == nil || !strings.Contains(err.Error(), "no attempt in time") {
		t.Errorf("err = %v", err)
	}
	if v := decodeOutput(t, out); v["pending"] != true || v["delivery_id"] != "dlv_3" {
		t.Errorf("json = %v", v)
	}
}

func TestCLIWebhooksDeliveries(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/webhooks/wh_1/deliveries": {200, `{"items":[` + cliDeliveryJSON + `}],"total":1,"skip":10,"limit":5}`},
	})
	out, stderr, err := api.run(t, "webhooks", "deliveries", "wh_1", "--failed", "--event", "deployment.failed", "--limit", "5", "--skip", "10")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/webhooks/wh_1/deliveries?event=deployment.failed&limit=5&skip=10&success=false", "")
	assertAligned(t, out, "ID", "EVENT", "STATUS", "ATTEMPTS", "HTTP", "CREATED", "LAST ATTEMPT", "ERROR")
	for _, want := range []string{"dlv_1", "deployment.failed", "failed", "500", "HTTP 500"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	if stderr != "" {
		t.Errorf("stderr = %q", stderr)
	}

	// "logs" is an alias; --succeeded asks for success=true.
	api.got = nil
	if _, _, err := api.run(t, "webhooks", "logs", "wh_1", "--succeeded"); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/webhooks/wh_1/deliveries?success=true", "")

	api.got = nil
	if _, _, err := api.run(t, "webhooks", "logs", "wh_1", "--failed", "--succeeded"); err == nil {
		t.Error("--failed with --succeeded was accepted")
	}
	if len(api.got) != 0 {
		t.Errorf("requests were sent: %+v", api.got)
	}
}

func TestCLIWebhooksDeliveryAndRetry(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/webhooks/wh_1/deliveries/dlv_1": {200, cliDeliveryJSON + `,"attempt_list":[
{"id":"att_1","delivery_id":"dlv_1","number":1,"started_at":"2024-01-15T11:45:00Z","duration_ms":40,"status_code":500,"response_body":"boom","error":"HTTP 500","success":false},
{"id":"att_2","delivery_id":"dlv_1","number":2,"started_at":"2024-01-15T11:46:00Z","duration_ms":1500,"status_code":503,"response_body":"busy\tnow","error":"HTTP 503","success":false}]}`},
		"POST /v1/webhooks/wh_1/deliveries/dlv_1/retry": {202, `{"id":"dlv_1","webhook_id":"wh_1","status":"pending","attempts":2}`},
	})
	out, _, err := api.run(t, "webhooks", "delivery", "wh_1", "dlv_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/webhooks/wh_1/deliveries/dlv_1", "")
	attempts := out[strings.Index(out, "#  "):strings.Index(out, "\nResponse body")]
	assertAligned(t, attempts, "#", "STARTED", "DURATION", "HTTP", "RESULT", "ERROR")
	for _, want := range []string{"Status:", "failed", "deployment.failed (evt_1)", "40ms", "1.5s", "503", "Response body of attempt 2:\nbusy    now\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}

	api.got = nil
	out, _, err = api.run(t, "webhooks", "retry", "wh_1", "dlv_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/webhooks/wh_1/deliveries/dlv_1/retry", "")
	if !strings.Contains(out, "Queued a new attempt of delivery dlv_1 (status pending, 2 attempts so far).") {
		t.Errorf("output:\n%s", out)
	}

	if _, _, err := api.run(t, "webhooks", "retry", "wh_1"); err == nil {
		t.Error("retry with one argument was accepted")
	}
}

func TestCLIWebhooksAgentShapes(t *testing.T) {
	agentHook := strings.Replace(cliWebhookJSON, `"is_active":true`, `"agent_id":"my-agent","is_active":true`, 1) + `}`
	api := newStubAPI(t, map[string]stubAnswer{
		"POST /v1/webhooks":                {201, strings.TrimSuffix(agentHook, "}") + `,"secret":"whsec_x"}`},
		"GET /v1/webhooks":                 {200, `{"items":[` + agentHook + `],"total":1,"skip":0,"limit":50}`},
		"GET /v1/webhooks/wh_1":            {200, agentHook},
		"PATCH /v1/webhooks/wh_1":          {200, agentHook},
		"GET /v1/webhooks/wh_1/deliveries": {200, `{"items":[],"total":0,"skip":0,"limit":50}`},
	})
	// seed 003: create my-agent --url … --events …
	if _, _, err := api.run(t, "webhooks", "create", "my-agent", "--url", "https://example.com/hook", "--events", "agent.invoked,agent.completed"); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/webhooks", `{"agent_id":"my-agent","events":["agent.invoked","agent.completed"],"url":"https://example.com/hook"}`)
	if _, _, err := api.run(t, "webhooks", "create", "my-agent", "--agent", "other", "--url", "https://example.com/hook", "--events", "*"); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("two agents: err = %v", err)
	}

	// list my-agent and list --agent my-agent; the table shows the agent.
	for _, args := range [][]string{{"my-agent"}, {"--agent", "my-agent"}} {
		api.got = nil
		out, _, err := api.run(t, append([]string{"webhooks", "list"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		api.only(t).expect(t, "GET", "/v1/webhooks?agent_id=my-agent", "")
		assertAligned(t, out, "ID", "NAME", "AGENT", "URL", "EVENTS", "ACTIVE", "LAST TRIGGERED")
		if !strings.Contains(out, "my-agent") {
			t.Errorf("list %v: no agent in\n%s", args, out)
		}
	}

	// update ID --events, --enabled as an alias of --active, and seed 003's
	// update my-agent ID, which checks the webhook is the agent's.
	api.got = nil
	if _, _, err := api.run(t, "webhooks", "update", "wh_1", "--events", "agent.*", "--enabled=false"); err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "PATCH", "/v1/webhooks/wh_1", `{"events":["agent.*"],"is_active":false}`)
	api.got = nil
	if _, _, err := api.run(t, "webhooks", "update", "my-agent", "wh_1", "--url", "https://example.com/new"); err != nil {
		t.Fatal(err)
	}
	if len(api.got) != 2 || api.got[1].URI != "/v1/webhooks/wh_1" || api.got[1].Method != "PATCH" {
		t.Errorf("update my-agent wh_1 sent %+v", api.got)
	}
	api.got = nil
	if _, _, err := api.run(t, "webhooks", "logs", "other-agent", "wh_1", "--failed"); err == nil || !strings.Contains(err.Error(), "is not agent other-agent's") {
		t.Errorf("logs of another agent's webhook: err = %v", err)
	}
	if len(api.got) != 1 {
		t.Errorf("requests after the mismatch: %+v", api.got)
	}

	// enable and disable.
	for cmd, body := range map[string]string{"enable": `{"is_active":true}`, "disable": `{"is_active":false}`} {
		api.got = nil
		out, _, err := api.run(t, "webhooks", cmd, "wh_1")
		if err != nil {
			t.Fatal(err)
		}
		api.only(t).expect(t, "PATCH", "/v1/webhooks/wh_1", body)
		if !strings.Contains(out, "abled webhook wh_1.") {
			t.Errorf("%s: output %q", cmd, out)
		}
	}
}
