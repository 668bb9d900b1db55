package verify_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/heraldhq/herald/signature"
	"github.com/heraldhq/herald/verify"
)

// A receiver's http.Handler that accepts only deliveries signed by Herald
// with the webhook's secret.
func Example() {
	const webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := verify.Request(r, webhookSecret, nil) // defaults: either signature, 5 minute tolerance
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		fmt.Printf("verified %s: %s\n", r.Header.Get("X-Webhook-Event"), body)
		w.WriteHeader(http.StatusNoContent)
	})

	// Deliver two requests the way Herald does, the second one tampered with.
	payload := []byte(`{"id":"evt_1","event":"agent.started","data":{"agent_id":"agt_1"}}`)
	for _, sent := range [][]byte{payload, bytes.Replace(payload, []byte("agt_1"), []byte("agt_2"), 1)} {
		now := time.Now().Unix()
		req := httptest.NewRequest(http.MethodPost, "/webhooks/herald", bytes.NewReader(sent))
		req.Header.Set("X-Webhook-Event", "agent.started")
		req.Header.Set("X-Webhook-Signature", signature.Sign(signature.FormatSHA256Hex, webhookSecret, payload))
		req.Header.Set("Webhook-Id", "evt_1")
		req.Header.Set("Webhook-Timestamp", strconv.FormatInt(now, 10))
		req.Header.Set("Webhook-Signature", signature.StandardSign(webhookSecret, "evt_1", now, payload))

		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println("status", rec.Code)
	}
	// Output:
	// verified agent.started: {"id":"evt_1","event":"agent.started","data":{"agent_id":"agt_1"}}
	// status 204
	// status 401
}
