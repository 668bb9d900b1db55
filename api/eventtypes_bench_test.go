package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
)

// benchOrder is a typical event of about 1 KB, and benchOrderSchema a
// schema that checks every field of it.
func benchOrder(i int) map[string]any {
	items := []map[string]any{}
	for j := range 6 {
		items = append(items, map[string]any{"sku": fmt.Sprintf("SKU-%05d", j), "name": "Widget number " + strings.Repeat("x", 20), "qty": j + 1, "price": 9.99})
	}
	return map[string]any{"order_id": fmt.Sprintf("ord_%08d", i), "customer": map[string]any{"id": "cus_123", "email": "ann@example.com", "name": "Ann Example"},
		"currency": "EUR", "total": 123.45, "items": items, "note": strings.Repeat("n", 120)}
}

const benchOrderSchema = `{"type":"object","required":["order_id","customer","currency","total","items"],"properties":{
	"order_id":{"type":"string","pattern":"^ord_"},
	"customer":{"type":"object","required":["id","email"],"properties":{"id":{"type":"string"},"email":{"type":"string"},"name":{"type":"string"}}},
	"currency":{"type":"string","enum":["EUR","USD","GBP"]},
	"total":{"type":"number","minimum":0},
	"items":{"type":"array","minItems":1,"items":{"type":"object","required":["sku","qty","price"],"properties":{
		"sku":{"type":"string"},"name":{"type":"string","maxLength":200},"qty":{"type":"integer","minimum":1},"price":{"type":"number","minimum":0}}}},
	"note":{"type":"string"}}}`

// BenchmarkPublishSchema compares POST /v1/events for a ~1 KB payload of a
// type that is not in the catalogue, of one without a schema, and of one
// whose schema checks every field; each publish fans out to one webhook.
func BenchmarkPublishSchema(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	k := herald.NewAPIKey("admin", herald.ScopeAdmin, time.Now())
	if err := db.CreateAPIKey(ctx, k); err != nil {
		b.Fatal(err)
	}
	for _, et := range []*herald.EventType{{Name: "order.plain"}, {Name: "order.checked", Schema: json.RawMessage(benchOrderSchema)}} {
		if _, err := db.PutEventType(ctx, herald.PutEventTypeParams{Type: et}); err != nil {
			b.Fatal(err)
		}
	}
	w := herald.NewWebhookDefaults()
	w.Name, w.URL, w.Events, w.Secret = "sink", "https://example.com/hook", []string{"order.*"}, herald.GenerateSecret()
	if err := db.CreateWebhook(ctx, w); err != nil {
		b.Fatal(err)
	}
	srv := New(Config{Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	body, _ := json.Marshal(map[string]any{"type": "x", "data": benchOrder(0)})
	b.Logf("payload %d bytes", len(body))
	for _, typ := range []string{"order.unknown", "order.plain", "order.checked"} {
		b.Run(typ, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				body, _ := json.Marshal(map[string]any{"type": typ, "data": benchOrder(i)})
				req := httptest.NewRequest("POST", "/v1/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+k.Key)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusAccepted {
					b.Fatalf("publish %s: %d %s", typ, rec.Code, rec.Body)
				}
			}
		})
	}
}
