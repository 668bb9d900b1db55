package delivery_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/sqlite"
)

// BenchmarkPublishToDelivery publishes b.N events to one webhook on
// SQLite and waits for all of their deliveries to arrive at a local
// receiver, with tracing off (no tracer, as herald serve runs by default)
// and on (every publish in a server span, every attempt traced and its
// spans batched to an exporter that drops them).
func BenchmarkPublishToDelivery(b *testing.B) {
	b.Run("off", func(b *testing.B) { benchPublishToDelivery(b, nil) })
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		benchPublishToDelivery(b, tp)
	})
}

func benchPublishToDelivery(b *testing.B, tp *sdktrace.TracerProvider) {
	ctx := context.Background()
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.Cleanup(rc.Close)
	workers := river.NewWorkers()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "herald.db"), sqlite.Options{Queue: queue.Config{
		Workers: workers, PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	}})
	if err != nil {
		b.Fatal(err)
	}
	attempts := make(chan *herald.Delivery, 1<<16)
	w := &delivery.Worker{
		Store: db, Sender: delivery.NewSender("Herald/bench", true), MaxInFlight: 100,
		Attempted: func(d *herald.Delivery) { attempts <- d },
	}
	var tracer trace.Tracer
	if tp != nil {
		w.Tracer, tracer = tp, tp.Tracer("bench")
	}
	river.AddWorker(workers, w)
	wh := herald.NewWebhookDefaults()
	wh.Name, wh.URL, wh.Events, wh.Secret = "bench", rc.URL, []string{"*"}, herald.GenerateSecret()
	if err := db.CreateWebhook(ctx, wh); err != nil {
		b.Fatal(err)
	}
	if err := db.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		db.Stop(stopCtx)
		db.Close()
	})
	data := json.RawMessage(`{"n":1}`)
	b.ResetTimer()
	for range b.N {
		pctx := ctx
		var span trace.Span
		if tracer != nil {
			pctx, span = tracer.Start(ctx, "POST /v1/events", trace.WithSpanKind(trace.SpanKindServer))
		}
		if _, err := db.PublishEvent(pctx, herald.PublishParams{Type: "bench.event", Data: data}); err != nil {
			b.Fatal(err)
		}
		if span != nil {
			span.End()
		}
	}
	for range b.N {
		if d := <-attempts; d.Status != herald.DeliverySuccess {
			b.Fatalf("delivery %s: %s", d.ID, d.Status)
		}
	}
}
