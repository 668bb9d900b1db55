package delivery

import (
	"context"
	"net/http"
	"strconv"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/queue"
)

// scopeName is the instrumentation scope of the delivery spans.
const scopeName = "github.com/heraldhq/herald/delivery"

// Attributes of the delivery spans.
const (
	AttrWebhookID  = attribute.Key("herald.webhook.id")
	AttrEventType  = attribute.Key("herald.event.type")
	AttrEventID    = attribute.Key("herald.event.id")
	AttrDeliveryID = attribute.Key("herald.delivery.id")
	AttrAttempt    = attribute.Key("herald.attempt")
	AttrError      = attribute.Key("herald.error")
)

var traceContext = propagation.TraceContext{}

// startAttempt starts the span of one attempt of job, a child of the trace
// context stored with the job. Before the first attempt it also records the
// time the job waited in the queue, as a span of its own. It returns ctx
// and nil when tracing is off or the job carries no trace context.
func (w *Worker) startAttempt(ctx context.Context, job *river.Job[queue.DeliveryArgs], task *herald.DeliveryTask) (context.Context, trace.Span) {
	if w.Tracer == nil || job.Args.Traceparent == "" {
		return ctx, nil
	}
	parent := traceContext.Extract(ctx, propagation.MapCarrier{"traceparent": job.Args.Traceparent, "tracestate": job.Args.Tracestate})
	if !trace.SpanContextFromContext(parent).IsValid() {
		return ctx, nil
	}
	tracer := w.Tracer.Tracer(scopeName)
	attrs := []attribute.KeyValue{
		AttrWebhookID.String(task.Webhook.ID), AttrEventType.String(task.Event.Type),
		AttrEventID.String(task.Event.ID), AttrDeliveryID.String(task.Delivery.ID),
	}
	if task.Delivery.Attempts == 0 {
		_, queued := tracer.Start(parent, "herald.queue", trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithTimestamp(job.CreatedAt), trace.WithAttributes(attrs...))
		queued.End()
	}
	attrs = append(attrs, AttrAttempt.Int(task.Delivery.Attempts+1))
	return tracer.Start(parent, "herald.attempt", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}

// endAttempt ends an attempt's span (nil: none) with its outcome.
func endAttempt(span trace.Span, res *Result) {
	if span == nil {
		return
	}
	if res.StatusCode != 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(res.StatusCode))
	}
	if res.Err != nil {
		span.SetAttributes(AttrError.String(res.Err.Error()))
	}
	if !res.Success() {
		msg := "attempt failed"
		if res.Err != nil {
			msg = res.Err.Error()
		}
		span.SetStatus(codes.Error, msg)
	}
	span.End()
}

// startClientSpan starts the HTTP client span of a delivery request when
// ctx carries a recording attempt span, and puts its traceparent (and
// tracestate) on req, so the receiver's trace continues Herald's. It
// returns nil, and leaves req alone, when ctx carries no trace context.
func startClientSpan(ctx context.Context, req *http.Request) trace.Span {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return nil
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(req.Method), semconv.URLFull(req.URL.Redacted()),
		semconv.ServerAddress(req.URL.Hostname()),
	}
	if p, err := strconv.Atoi(req.URL.Port()); err == nil {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	ctx, span := parent.TracerProvider().Tracer(scopeName).Start(ctx, req.Method,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
	return span
}

// endClientSpan ends a client span (nil: none) with the answer's status
// code, or the error when none came.
func endClientSpan(span trace.Span, code int, err error) {
	if span == nil {
		return
	}
	if code != 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(code))
	}
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		span.SetStatus(codes.Error, err.Error())
	} else if code >= 400 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
		span.SetStatus(codes.Error, http.StatusText(code))
	}
	span.End()
}

func errorType(err error) string {
	if err == context.DeadlineExceeded {
		return "timeout"
	}
	return "_OTHER"
}
