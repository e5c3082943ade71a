package telemetry

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdagate/lambdagate/proxy"
)

// Backend describes one backend for its instrumentation. Every value comes
// from the configuration, so that metric labels stay bounded.
type Backend struct {
	// Kind is the backend's kind: "http", "lambda", ...
	Kind string
	// Target is what the backend calls: its host(s), its function.
	Target string
	// Name is the backend's JSON path, such as endpoints[0].backend[1].
	Name string
}

// Backend returns the middleware that instruments one backend's calls: a
// client span, child of the request's span, around each call (the span is
// in the context the wrapped Proxy gets, for the transport to add its own
// attributes to), and the call count and duration by kind, target and
// outcome. It returns nil when there is nothing to instrument: the caller
// then does not wrap at all.
func (t *Telemetry) Backend(b Backend) proxy.Middleware {
	if t == nil {
		return nil
	}
	var tracer trace.Tracer
	if !t.opts.DisableBackendTraces {
		tracer = t.tracer
	}
	metrics := t.mp != nil && !t.opts.DisableBackendMetrics
	if tracer == nil && !metrics {
		return nil
	}
	bi := &backendInst{t: t, tracer: tracer, metrics: metrics, spanName: b.Kind + " " + b.Target}
	bi.spanOpts = []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String(AttrBackendKind, b.Kind),
			attribute.String(AttrBackendTarget, b.Target),
			attribute.String(AttrBackendName, b.Name)),
	}
	for i, outcome := range outcomes {
		set := metric.WithAttributeSet(attribute.NewSet(
			attribute.String(AttrBackendKind, b.Kind),
			attribute.String(AttrBackendTarget, b.Target),
			attribute.String(AttrBackendOutcome, outcome)))
		bi.opts[i] = statusOpts{add: []metric.AddOption{set}, rec: []metric.RecordOption{set}}
	}
	return bi.wrap
}

var outcomes = [...]string{OutcomeSuccess, OutcomeError, OutcomeTimeout, OutcomePartial}

type backendInst struct {
	t        *Telemetry
	tracer   trace.Tracer
	metrics  bool
	spanName string
	spanOpts []trace.SpanStartOption
	opts     [len(outcomes)]statusOpts
}

func (bi *backendInst) wrap(next proxy.Proxy) proxy.Proxy {
	return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
		start := time.Now()
		var span trace.Span
		if bi.tracer != nil {
			ctx, span = bi.tracer.Start(ctx, bi.spanName, bi.spanOpts...)
		}
		resp, err := next(ctx, req)
		o := outcomeOf(ctx, resp, err)
		if bi.metrics {
			m := &bi.opts[o]
			bi.t.inst.backendCalls.Add(ctx, 1, m.add...)
			bi.t.inst.backendDuration.Record(ctx, time.Since(start).Seconds(), m.rec...)
		}
		if span != nil {
			if span.IsRecording() {
				span.SetAttributes(attribute.String(AttrBackendOutcome, outcomes[o]))
				if err != nil {
					span.SetStatus(codes.Error, err.Error())
				}
			}
			span.End()
		}
		return resp, err
	}
}

// outcomeOf classifies a backend call's result, as an index into
// outcomes. An answer that came after the endpoint's deadline is a
// timeout, as the merge stage drops it.
func outcomeOf(ctx context.Context, resp *proxy.Response, err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return 2
	case err == nil && resp != nil && resp.IsComplete:
		return 0
	case resp != nil && (resp.Data != nil || resp.Body != nil):
		return 3
	}
	return 1
}
