// Package tracing sets up OpenTelemetry traces for the server: an OTLP/HTTP
// exporter configured by --otel-endpoint or the standard OTEL_* environment
// variables, and the server spans of the API's requests. It is off unless an
// endpoint is configured; off, nothing is traced and no trace context is
// stored or sent.
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of Herald's spans.
const ScopeName = "github.com/heraldhq/herald"

// Enabled reports whether traces are on: endpoint (--otel-endpoint) is set,
// or OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is.
func Enabled(endpoint string) bool {
	return endpoint != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" ||
		os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// CheckEndpoint checks an --otel-endpoint value: "" or an absolute http(s)
// URL such as http://localhost:4318.
func CheckEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http(s) URL such as http://localhost:4318, got %q", endpoint)
	}
	return nil
}

// New returns a tracer provider that batches spans to an OTLP/HTTP
// collector. endpoint, when set, is the collector's base URL, like
// OTEL_EXPORTER_OTLP_ENDPOINT: spans go to its /v1/traces. Otherwise the
// exporter reads the OTEL_EXPORTER_OTLP_* variables itself (endpoint,
// headers, timeout, certificates). The service is named "herald" with
// version, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say
// otherwise; OTEL_TRACES_SAMPLER is honoured (default: parent-based, always
// on). Shut it down to flush the spans still buffered.
func New(ctx context.Context, endpoint, version string) (*sdktrace.TracerProvider, error) {
	var opts []otlptracehttp.Option
	if endpoint != "" {
		if err := CheckEndpoint(endpoint); err != nil {
			return nil, fmt.Errorf("otel-endpoint: %w", err)
		}
		u, _ := url.Parse(endpoint)
		opts = append(opts, otlptracehttp.WithEndpoint(u.Host),
			otlptracehttp.WithURLPath(strings.TrimSuffix(u.Path, "/")+"/v1/traces"))
		if u.Scheme == "http" {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("create trace exporter: %w", err)
	}
	return NewProvider(ctx, sdktrace.WithBatcher(exp), version)
}

// NewProvider returns a tracer provider with Herald's resource that sends
// its spans through the given span processor option (tests pass
// sdktrace.WithSyncer of a tracetest.InMemoryExporter).
func NewProvider(ctx context.Context, processor sdktrace.TracerProviderOption, version string) (*sdktrace.TracerProvider, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("herald"), semconv.ServiceVersion(version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return sdktrace.NewTracerProvider(processor, sdktrace.WithResource(res)), nil
}

// Traced reports whether a request path gets a server span: the API's
// /v1/ routes (such as publish), the agents' /ingest/ reports and the
// inbound /api/ ones.
func Traced(path string) bool {
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/ingest/")
}

// Handler wraps next so that each request under Traced paths runs in a
// server span of tp, which continues the W3C traceparent (and tracestate)
// the request carries. The span is named by the route once next has
// routed it; a 5xx answer marks it as an error.
func Handler(tp trace.TracerProvider, next http.Handler) http.Handler {
	tracer := tp.Tracer(ScopeName)
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Traced(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path)))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		if r.Pattern != "" {
			span.SetName(r.Pattern)
			if _, route, ok := strings.Cut(r.Pattern, " "); ok {
				span.SetAttributes(semconv.HTTPRoute(route))
			}
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(code))
		if code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(code))
			span.SetAttributes(attribute.String("error.type", fmt.Sprint(code)))
		}
	})
}

// statusWriter remembers the status code of the answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on to the wrapped writer when it can flush.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
