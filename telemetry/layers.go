package telemetry

// What a transport or the local runtime asks before recording anything of
// its own: each answer is false on a nil *Telemetry, so that a caller
// decides once, at start-up, to build nothing at all.

// Metrics reports whether metrics are recorded at all: a Prometheus
// exporter is configured and layers.global.disable_metrics is not set. The
// local Lambda runtime records its metrics then.
func (t *Telemetry) Metrics() bool { return t != nil && t.mp != nil }

// BackendMetrics reports whether backend metrics are recorded: metrics are
// on (a Prometheus exporter, no layers.global.disable_metrics) and
// layers.backend.metrics.disable_stage is not set. The Lambda transport's
// own metrics follow it.
func (t *Telemetry) BackendMetrics() bool {
	return t != nil && t.mp != nil && !t.opts.DisableBackendMetrics
}

// BackendTraces reports whether backend calls get spans: traces are on (an
// OTLP exporter, no layers.global.disable_traces) and
// layers.backend.traces.disable_stage is not set.
func (t *Telemetry) BackendTraces() bool {
	return t != nil && t.tracer != nil && !t.opts.DisableBackendTraces
}

// Propagates reports whether the trace is passed on to backends (it is
// unless layers.global.disable_propagation): HTTP backends get traceparent,
// Lambda invocations X-Amzn-Trace-Id.
func (t *Telemetry) Propagates() bool {
	return t != nil && t.prop != nil
}
