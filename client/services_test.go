package client

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

const webhookJSON = `{"id":"wh_1","name":"deploys","description":"","url":"https://example.com/h",
"events":["agent.*","deployment.*"],"agent_id":"a1","is_active":true,"secret":"whsec_abc",
"headers":{"X-Team":"core"},"timeout_seconds":30,"max_retries":3,"retry_schedule":["1m0s","5m0s"],
"verify_ssl":true,"signature_header":"X-Webhook-Signature","signature_format":"sha256=hex",
"created_at":"2024-01-15T11:45:00Z","updated_at":"2024-01-15T11:45:00Z",
"last_triggered_at":null,"last_success_at":null,"last_failure_at":null}`

func TestWebhooksCreate(t *testing.T) {
	f := newFake(t, 201, webhookJSON)
	wh, err := f.client().Webhooks.Create(context.Background(), herald.WebhookInput{
		Name:    Ptr("deploys"),
		URL:     Ptr("https://example.com/h"),
		Events:  []string{"agent.*", "deployment.*"},
		Headers: &map[string]string{"X-Team": "core"},
		AgentID: Ptr("a1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/webhooks",
		`{"agent_id":"a1","events":["agent.*","deployment.*"],"headers":{"X-Team":"core"},"name":"deploys","url":"https://example.com/h"}`)
	if wh.ID != "wh_1" || wh.Secret != "whsec_abc" || len(wh.Events) != 2 || wh.Headers["X-Team"] != "core" ||
		len(wh.RetrySchedule) != 2 || wh.RetrySchedule[1] != 5*time.Minute || wh.CreatedAt.IsZero() || wh.LastSuccessAt != nil {
		t.Errorf("webhook decoded as %+v", wh)
	}
}

func TestWebhooksUpdateSendsOnlySetFields(t *testing.T) {
	f := newFake(t, 200, webhookJSON)
	empty := herald.Durations{}
	_, err := f.client().Webhooks.Update(context.Background(), "wh/1 x", herald.WebhookInput{
		IsActive:       Ptr(false),
		TimeoutSeconds: Ptr(10),
		RetrySchedule:  &empty,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "PATCH", "/v1/webhooks/wh%2F1%20x", `{"is_active":false,"retry_schedule":[],"timeout_seconds":10}`)
}

func TestWebhooksListGetDelete(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, 200, `{"items":[`+webhookJSON+`],"total":7,"skip":2,"limit":1}`)
	list, err := f.client().Webhooks.List(ctx, ListOptions{Skip: 2, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/webhooks?limit=1&skip=2", "")
	if len(list.Items) != 1 || list.Items[0].ID != "wh_1" || list.Total != 7 || list.Skip != 2 || list.Limit != 1 {
		t.Errorf("list = %+v", list)
	}

	f = newFake(t, 200, webhookJSON)
	wh, err := f.client().Webhooks.Get(ctx, "wh_1")
	if err != nil || wh.URL != "https://example.com/h" {
		t.Fatalf("get: %v %+v", err, wh)
	}
	f.only(t).expect(t, "GET", "/v1/webhooks/wh_1", "")

	f = newFake(t, 204, "")
	if err := f.client().Webhooks.Delete(ctx, "wh?1"); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "DELETE", "/v1/webhooks/wh%3F1", "")
}

func TestWebhooksTest(t *testing.T) {
	f := newFake(t, 200, `{"delivery_id":"dlv_1","success":true,"status_code":200,"duration_ms":12,"error":""}`)
	// The server waits for an attempt: Test outlives a short client timeout.
	f.delay = 300 * time.Millisecond
	res, err := f.client(WithTimeout(50*time.Millisecond)).Webhooks.Test(context.Background(), "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/webhooks/wh_1/test", "")
	if res.DeliveryID != "dlv_1" || !res.Success || res.StatusCode == nil || *res.StatusCode != 200 || res.DurationMS != 12 || res.Pending {
		t.Errorf("result = %+v", res)
	}

	f = newFake(t, 202, `{"delivery_id":"dlv_2","success":false,"status_code":null,"duration_ms":0,"error":"no attempt was made in time"}`)
	res, err = f.client().Webhooks.Test(context.Background(), "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pending || res.Success || res.StatusCode != nil || res.Error == "" {
		t.Errorf("result = %+v", res)
	}
}

const deliveryJSON = `{"id":"dlv_1","webhook_id":"wh_1","event_id":"evt_1","event":"agent.started","status":"failed",
"success":false,"attempts":2,"response_status_code":500,"error_message":"HTTP 500","created_at":"2024-01-15T11:45:00Z",
"last_attempt_at":"2024-01-15T11:46:00Z","next_attempt_at":null,"delivered_at":null`

func TestWebhooksDeliveries(t *testing.T) {
	f := newFake(t, 200, `{"items":[`+deliveryJSON+`}],"total":1,"skip":1,"limit":2}`)
	list, err := f.client().Webhooks.Deliveries(context.Background(), "wh_1", DeliveryFilter{
		Event: "agent.started", Success: Ptr(false), Skip: 1, Limit: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/webhooks/wh_1/deliveries?event=agent.started&limit=2&skip=1&success=false", "")
	d := list.Items[0]
	if d.ID != "dlv_1" || d.Status != "failed" || d.Attempts != 2 || *d.ResponseStatusCode != 500 || d.LastAttemptAt == nil {
		t.Errorf("delivery = %+v", d)
	}

	f = newFake(t, 200, `{"items":[]}`)
	if _, err := f.client().Webhooks.Deliveries(context.Background(), "wh_1", DeliveryFilter{Success: Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/webhooks/wh_1/deliveries?success=true", "")
}

func TestWebhooksDeliveryAndRetry(t *testing.T) {
	f := newFake(t, 200, deliveryJSON+`,"attempt_list":[{"id":"att_1","delivery_id":"dlv_1","number":1,
"started_at":"2024-01-15T11:45:00Z","duration_ms":40,"status_code":500,"response_headers":{"Content-Type":["text/plain"]},
"response_body":"boom","error":"HTTP 500","success":false}]}`)
	d, err := f.client().Webhooks.Delivery(context.Background(), "wh_1", "dlv 1")
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/webhooks/wh_1/deliveries/dlv%201", "")
	if len(d.AttemptList) != 1 || d.AttemptList[0].ResponseBody != "boom" || d.AttemptList[0].ResponseHeaders.Get("Content-Type") != "text/plain" {
		t.Errorf("delivery = %+v", d)
	}

	f = newFake(t, 202, `{"id":"dlv_1","webhook_id":"wh_1","status":"pending","attempts":2}`)
	d, err = f.client().Webhooks.RetryDelivery(context.Background(), "wh_1", "dlv_1")
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/webhooks/wh_1/deliveries/dlv_1/retry", "")
	if d.Status != "pending" {
		t.Errorf("delivery = %+v", d)
	}
}

func TestEventsSend(t *testing.T) {
	answer := `{"id":"k-1","type":"agent.started","created":1705319100,"timestamp":"2024-01-15T11:45:00.000000Z","deliveries":3}`
	f := newFake(t, 202, answer)
	res, err := f.client().Events.Send(context.Background(), EventInput{
		ID: "k-1", Type: "agent.started", Data: map[string]any{"agent_id": "a1", "n": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/events", `{"id":"k-1","type":"agent.started","data":{"agent_id":"a1","n":1}}`)
	want := SendResult{PublishAnswer: herald.PublishAnswer{ID: "k-1", Type: "agent.started", Created: 1705319100, Timestamp: "2024-01-15T11:45:00.000000Z", Deliveries: 3}}
	if *res != want {
		t.Errorf("result = %+v, want %+v", *res, want)
	}

	// The same ID again: 200, a duplicate. No ID and no data are omitted.
	f = newFake(t, 200, answer)
	res, err = f.client().Events.Send(context.Background(), EventInput{Type: "agent.started"})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/events", `{"type":"agent.started"}`)
	if !res.Duplicate {
		t.Error("a 200 answer is not marked Duplicate")
	}

	f = newFake(t, 202, answer)
	if _, err := f.client().Events.Send(context.Background(), EventInput{Type: "x.y", Data: json.RawMessage(`{"a": [1, 2]}`)}); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/events", `{"type":"x.y","data":{"a":[1,2]}}`)
}

func TestEventsListGet(t *testing.T) {
	ev := `{"id":"evt_1","type":"agent.started","created":1705319100,"timestamp":"2024-01-15T11:45:00.123456Z","data":{"agent_id":"a1"}`
	f := newFake(t, 200, `{"items":[`+ev+`}],"total":1,"skip":0,"limit":10}`)
	list, err := f.client().Events.List(context.Background(), EventFilter{Type: "agent.started", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/events?limit=10&type=agent.started", "")
	if len(list.Items) != 1 || list.Items[0].AgentID() != "a1" || list.Items[0].Created.Nanosecond() != 123456000 {
		t.Errorf("list = %+v", list.Items[0])
	}

	f = newFake(t, 200, ev+`,"deliveries":[`+deliveryJSON+`}]}`)
	got, err := f.client().Events.Get(context.Background(), "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/events/evt_1", "")
	if got.ID != "evt_1" || len(got.Deliveries) != 1 || got.Deliveries[0].ID != "dlv_1" || string(got.Data) != `{"agent_id":"a1"}` {
		t.Errorf("event = %+v", got)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	key := `{"id":"key_1","name":"ci","scope":"ingest","prefix":"hk_abcdef","created_at":"2024-01-15T11:45:00Z","last_used_at":null,"revoked_at":null`
	f := newFake(t, 201, key+`,"key":"hk_abcdefsecret"}`)
	k, err := f.client().Keys.Create(ctx, "ci", "ingest")
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/keys", `{"name":"ci","scope":"ingest"}`)
	if k.Key != "hk_abcdefsecret" || k.Scope != "ingest" || k.Prefix != "hk_abcdef" {
		t.Errorf("key = %+v", k)
	}

	f = newFake(t, 201, key+`}`)
	if _, err := f.client().Keys.Create(ctx, "ci", ""); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "POST", "/v1/keys", `{"name":"ci"}`)

	f = newFake(t, 200, `{"items":[`+key+`}],"total":1,"skip":0,"limit":1}`)
	list, err := f.client().Keys.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "GET", "/v1/keys", "")
	if len(list.Items) != 1 || list.Items[0].Key != "" || list.Items[0].Name != "ci" {
		t.Errorf("list = %+v", list)
	}

	f = newFake(t, 204, "")
	if err := f.client().Keys.Revoke(ctx, "key_1"); err != nil {
		t.Fatal(err)
	}
	f.only(t).expect(t, "DELETE", "/v1/keys/key_1", "")
}
