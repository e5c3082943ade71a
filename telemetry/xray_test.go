package telemetry

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func spanContext(t *testing.T, traceID, spanID string, sampled bool) context.Context {
	t.Helper()
	tid, err := trace.TraceIDFromHex(traceID)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex(spanID)
	if err != nil {
		t.Fatal(err)
	}
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(cfg))
}

func TestXRayTraceHeader(t *testing.T) {
	t.Parallel()
	ctx := spanContext(t, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", true)
	if got, want := XRayTraceHeader(ctx), "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"; got != want {
		t.Errorf("header = %q\nwant     %q", got, want)
	}
	ctx = spanContext(t, "0000000100000000000000000000000f", "00000000000000ff", false)
	if got, want := XRayTraceHeader(ctx), "Root=1-00000001-00000000000000000000000f;Parent=00000000000000ff;Sampled=0"; got != want {
		t.Errorf("header = %q\nwant     %q", got, want)
	}
	if got := XRayTraceHeader(context.Background()); got != "" {
		t.Errorf("no trace: header = %q", got)
	}
	if got := TraceID(ctx); got != "0000000100000000000000000000000f" {
		t.Errorf("TraceID = %q", got)
	}
}

func TestInjectHTTPWithoutTrace(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	InjectHTTP(context.Background(), h)
	if len(h) != 0 {
		t.Errorf("headers = %v, want none", h)
	}
}

func BenchmarkXRayTraceHeader(b *testing.B) {
	tid, _ := trace.TraceIDFromHex("5759e988bd862e3fe1be46a994272793")
	sid, _ := trace.SpanIDFromHex("53995c3f42cd8ad8")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	b.ReportAllocs()
	for b.Loop() {
		XRayTraceHeader(ctx)
	}
}
