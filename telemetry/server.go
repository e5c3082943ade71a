package telemetry

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// EndpointHandler is the shape of an endpoint's handler (router.Handler).
type EndpointHandler = func(w http.ResponseWriter, r *http.Request, params []string)

// Endpoint returns h instrumented as the endpoint method + route (route is
// the path template as configured, such as /users/{id}): a server span
// continuing the client's traceparent, the request count and duration by
// method, route and status, and the in-flight count. It returns h itself
// when t is nil or route is in skip_paths.
func (t *Telemetry) Endpoint(method, route string, h EndpointHandler) EndpointHandler {
	if t == nil || t.skip[route] {
		return h
	}
	e := &endpointInst{
		t:        t,
		h:        h,
		method:   method,
		route:    route,
		spanName: method + " " + route,
		spanOpts: []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String(AttrMethod, method), attribute.String(AttrRoute, route)),
		},
	}
	e.inFlight = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String(AttrMethod, method), attribute.String(AttrRoute, route)))}
	return e.serve
}

type endpointInst struct {
	t        *Telemetry
	h        EndpointHandler
	method   string
	route    string
	spanName string
	spanOpts []trace.SpanStartOption
	inFlight []metric.AddOption
	// byStatus holds the measurement options of each status seen, built
	// on first use: the request path never builds an attribute set twice.
	byStatus [600]atomic.Pointer[statusOpts]
}

type statusOpts struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func (e *endpointInst) statusOpts(status int) *statusOpts {
	if status >= 0 && status < len(e.byStatus) {
		if o := e.byStatus[status].Load(); o != nil {
			return o
		}
	}
	set := metric.WithAttributeSet(attribute.NewSet(
		attribute.String(AttrMethod, e.method),
		attribute.String(AttrRoute, e.route),
		attribute.Int(AttrStatus, status)))
	o := &statusOpts{add: []metric.AddOption{set}, rec: []metric.RecordOption{set}}
	if status >= 0 && status < len(e.byStatus) {
		e.byStatus[status].Store(o)
	}
	return o
}

func (e *endpointInst) serve(w http.ResponseWriter, r *http.Request, params []string) {
	t := e.t
	start := time.Now()
	ctx := r.Context()
	t.inst.inFlight.Add(ctx, 1, e.inFlight...)
	if t.prop != nil && hasTraceContext(r.Header) {
		ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	var span trace.Span
	if t.tracer != nil {
		ctx, span = t.tracer.Start(ctx, e.spanName, e.spanOpts...)
		if span.IsRecording() {
			span.SetAttributes(attribute.String(AttrURLPath, r.URL.Path))
		}
	}
	if ctx != r.Context() {
		r = r.WithContext(ctx)
	}
	sw := writerPool.Get().(*statusWriter)
	sw.ResponseWriter, sw.status = w, 0
	done := false
	defer func() {
		// Also on a panic: the request is counted as the 500 the
		// gateway's recovery answers.
		status := sw.status
		if !done {
			status = http.StatusInternalServerError
		} else if status == 0 {
			status = http.StatusOK
		}
		sw.ResponseWriter = nil
		writerPool.Put(sw)
		o := e.statusOpts(status)
		t.inst.requests.Add(ctx, 1, o.add...)
		t.inst.requestDuration.Record(ctx, time.Since(start).Seconds(), o.rec...)
		t.inst.inFlight.Add(ctx, -1, e.inFlight...)
		if span != nil {
			if span.IsRecording() {
				span.SetAttributes(attribute.Int(AttrStatus, status))
				if status >= 500 {
					span.SetStatus(codes.Error, strconv.Itoa(status))
				}
			}
			span.End()
		}
	}()
	e.h(sw, r, params)
	done = true
}

// hasTraceContext reports whether a request carries W3C trace context or
// baggage. Looking the canonical keys up first spares the propagator's
// own lookups, which canonicalize (and allocate) on every request.
func hasTraceContext(h http.Header) bool {
	return len(h["Traceparent"]) > 0 || len(h["Baggage"]) > 0
}

var writerPool = sync.Pool{New: func() any { return new(statusWriter) }}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first final status.
func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes a flush on, when the underlying writer can.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
