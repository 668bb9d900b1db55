package queue

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkTracedDeliveryJob is what queueing a delivery's job costs its
// publish, without trace context (tracing off: DeliveryJob, and
// TracedDeliveryJob on a context with no span) and with one (tracing on).
func BenchmarkTracedDeliveryJob(b *testing.B) {
	ctx := context.Background()
	b.Run("untraced", func(b *testing.B) {
		for range b.N {
			_ = DeliveryJob("dlv_1", time.Time{})
		}
	})
	b.Run("off", func(b *testing.B) {
		for range b.N {
			_ = TracedDeliveryJob(ctx, "dlv_1")
		}
	})
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		sctx, span := tp.Tracer("bench").Start(ctx, "POST /v1/events")
		defer span.End()
		b.ResetTimer()
		for range b.N {
			_ = TracedDeliveryJob(sctx, "dlv_1")
		}
	})
}
