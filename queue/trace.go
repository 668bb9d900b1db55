package queue

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceContext carries W3C trace context into a job's args.
var traceContext = propagation.TraceContext{}

// TracedDeliveryJob is DeliveryJob for a delivery due now, with the trace
// context of ctx in the job's args when ctx carries one (a request traced
// by tracing.Handler); without one it is DeliveryJob exactly.
func TracedDeliveryJob(ctx context.Context, deliveryID string) river.InsertManyParams {
	p := DeliveryJob(deliveryID, time.Time{})
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return p
	}
	c := propagation.MapCarrier{}
	traceContext.Inject(ctx, c)
	p.Args = DeliveryArgs{DeliveryID: deliveryID, Traceparent: c["traceparent"], Tracestate: c["tracestate"]}
	return p
}
