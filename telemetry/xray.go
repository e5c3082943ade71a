package telemetry

import (
	"context"
	"encoding/hex"

	"go.opentelemetry.io/otel/trace"
)

// XRayTraceHeader formats the trace of ctx as the value of an AWS
// X-Amzn-Trace-Id header, for Lambda invocations:
//
//	Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
//
// The W3C trace id's first 8 hex digits are X-Ray's epoch part and the
// other 24 its unique part, so the trace stays the same on both sides. It
// returns "" when ctx carries no trace (always the case when telemetry is
// off).
func XRayTraceHeader(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	var b [len("Root=1-") + 8 + 1 + 24 + len(";Parent=") + 16 + len(";Sampled=") + 1]byte
	n := copy(b[:], "Root=1-")
	hex.Encode(b[n:], tid[:4])
	n += 8
	b[n] = '-'
	n++
	hex.Encode(b[n:], tid[4:])
	n += 24
	n += copy(b[n:], ";Parent=")
	hex.Encode(b[n:], sid[:])
	n += 16
	n += copy(b[n:], ";Sampled=")
	b[n] = '0'
	if sc.IsSampled() {
		b[n] = '1'
	}
	return string(b[:])
}
