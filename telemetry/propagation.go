package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// InjectHTTP writes the trace context of ctx (traceparent, tracestate and
// baggage, W3C) into the headers of an outgoing backend call. It does
// nothing when ctx carries no trace, which is always the case when
// telemetry is off, or when propagation is disabled.
func InjectHTTP(ctx context.Context, h http.Header) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
}

// TraceID returns the trace id of ctx in hex, or "" when ctx carries no
// trace: the access log links each line to its trace with it.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
