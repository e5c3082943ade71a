package lambdalocal

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The local runtime's metrics, by function: processes started (cold
// starts), idle processes ready for work (warm), Event invocations that
// had to wait for a busy function, and invocations refused with
// TooManyRequestsException. Nothing is recorded, at no cost, until
// Instrument is given a meter.

// Instrument names of the local runtime. docs/observability.md lists each
// with its attribute; dashboards depend on them.
const (
	// MetricColdStarts counts function processes the local runtime
	// started, by AttrFunction.
	MetricColdStarts = "lambdagate.local.cold_starts"
	// MetricWarmProcesses is the number of idle function processes of the
	// local runtime, by AttrFunction.
	MetricWarmProcesses = "lambdagate.local.warm_processes"
	// MetricQueued counts invocations the local runtime had to queue, by
	// AttrFunction.
	MetricQueued = "lambdagate.local.queued"
	// MetricRefused counts invocations the local runtime refused (too many
	// concurrent), by AttrFunction.
	MetricRefused = "lambdagate.local.refused"
)

// AttrFunction is the attribute key of the function's name (its folder's)
// on every local runtime metric: the key the gateway's Lambda metrics use,
// so that a dashboard joins the two.
const AttrFunction = "aws.lambda.function"

// localInstruments are the local runtime's instruments.
type localInstruments struct {
	coldStarts metric.Int64Counter
	queued     metric.Int64Counter
	refused    metric.Int64Counter
	warm       metric.Int64ObservableGauge
}

// poolMetrics are one function's instruments and attribute set, built
// once by Instrument.
type poolMetrics struct {
	inst *localInstruments
	add  []metric.AddOption
	obs  []metric.ObserveOption
}

// Instrument records the runtime's metrics with m (OpenTelemetry): cold
// starts, warm processes, queued and refused invocations, each by function
// (attribute AttrFunction). Options.Meter does the same at Start;
// Instrument serves a caller whose meter exists only after Start, as the
// gateway's does. It may be called once; a nil m does nothing.
func (s *Server) Instrument(m metric.Meter) error {
	if m == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.metricsReg != nil {
		return errors.New("lambdalocal: Instrument was already called")
	}
	var (
		in     localInstruments
		err, e error
	)
	in.coldStarts, e = m.Int64Counter(MetricColdStarts, metric.WithUnit("{process}"),
		metric.WithDescription("Function processes the local Lambda runtime started, by function."))
	err = errors.Join(err, e)
	in.queued, e = m.Int64Counter(MetricQueued, metric.WithUnit("{invocation}"),
		metric.WithDescription("Event invocations of the local Lambda runtime that waited for a busy function, by function."))
	err = errors.Join(err, e)
	in.refused, e = m.Int64Counter(MetricRefused, metric.WithUnit("{invocation}"),
		metric.WithDescription("Invocations the local Lambda runtime refused (every process busy, or the Event queue full), by function."))
	err = errors.Join(err, e)
	in.warm, e = m.Int64ObservableGauge(MetricWarmProcesses, metric.WithUnit("{process}"),
		metric.WithDescription("Idle function processes of the local Lambda runtime, ready for an invocation without a cold start, by function."))
	err = errors.Join(err, e)
	if err != nil {
		return err
	}
	cat := s.cat.Load()
	for _, name := range cat.names {
		cat.pools[name].metrics.Store(newPoolMetrics(&in, name))
	}
	s.instruments = &in
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		cat := s.cat.Load()
		for _, name := range cat.names {
			p := cat.pools[name]
			if pm := p.metrics.Load(); pm != nil {
				o.ObserveInt64(in.warm, int64(p.idleProcesses()), pm.obs...)
			}
		}
		return nil
	}, in.warm)
	if err != nil {
		return err
	}
	s.metricsReg = reg
	return nil
}

// newPoolMetrics returns the instruments of one function's pool.
func newPoolMetrics(in *localInstruments, name string) *poolMetrics {
	set := attribute.NewSet(attribute.String(AttrFunction, name))
	return &poolMetrics{
		inst: in,
		add:  []metric.AddOption{metric.WithAttributeSet(set)},
		obs:  []metric.ObserveOption{metric.WithAttributeSet(set)},
	}
}

// unregisterMetrics stops the warm processes' callback, at Close.
func (s *Server) unregisterMetrics() {
	s.mu.Lock()
	reg := s.metricsReg
	s.mu.Unlock()
	if reg != nil {
		_ = reg.Unregister()
	}
}

// coldStart records a process started for p's function.
func (p *pool) coldStart() {
	if m := p.metrics.Load(); m != nil {
		m.inst.coldStarts.Add(context.Background(), 1, m.add...)
	}
}

// queuedEvent records an Event invocation that waits for a busy function.
func (p *pool) queuedEvent() {
	if m := p.metrics.Load(); m != nil {
		m.inst.queued.Add(context.Background(), 1, m.add...)
	}
}

// refusedInvocation records an invocation refused with
// TooManyRequestsException.
func (p *pool) refusedInvocation() {
	if m := p.metrics.Load(); m != nil {
		m.inst.refused.Add(context.Background(), 1, m.add...)
	}
}

// idleProcesses counts the processes waiting for work.
func (p *pool) idleProcesses() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}
