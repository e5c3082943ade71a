package circuitbreaker

import (
	"context"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/lambdagate/lambdagate/telemetry"
)

// Instrument names of the circuit breakers, recorded through the gateway's
// meter when it records backend metrics. docs/observability.md lists each
// with its attributes.
const (
	// MetricState is a gauge of each breaker's state, by AttrName and
	// telemetry.AttrBackendName: 0 closed, 1 half-open, 2 open. It is read
	// when metrics are collected, so it shows an open circuit whose
	// timeout has passed as half-open.
	MetricState = "lambdagate.backend.circuit.state"
	// MetricStateChanges counts each breaker's changes of state, by
	// AttrName, telemetry.AttrBackendName and AttrState (the new state).
	MetricStateChanges = "lambdagate.backend.circuit.state_changes"
)

// Attribute keys of the circuit breaker metrics.
const (
	// AttrName is the breaker's name option, else its backend's JSON path.
	AttrName = "circuit_breaker.name"
	// AttrState is the state a breaker went to: closed, half-open, open.
	AttrState = "circuit_breaker.state"
)

// states are gobreaker's states, by their value.
var states = [...]gobreaker.State{gobreaker.StateClosed, gobreaker.StateHalfOpen, gobreaker.StateOpen}

// instruments are one breaker's metrics, every attribute set built here.
type instruments struct {
	changes metric.Int64Counter
	// to holds the options of a change to each state, by its value.
	to [len(states)][]metric.AddOption
}

// newInstruments creates br's instruments with m: the gauge, read from br
// when metrics are collected, and the counter of changes.
func newInstruments(m metric.Meter, br *breaker) (*instruments, error) {
	base := []attribute.KeyValue{
		attribute.String(AttrName, br.s.name),
		attribute.String(telemetry.AttrBackendName, br.s.backend),
	}
	gauge, err := m.Int64ObservableGauge(MetricState, metric.WithUnit("{state}"),
		metric.WithDescription("State of a backend's circuit breaker: 0 closed, 1 half-open, 2 open."))
	if err != nil {
		return nil, err
	}
	set := metric.WithAttributeSet(attribute.NewSet(base...))
	if _, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, int64(br.cb.State()), set)
		return nil
	}, gauge); err != nil {
		return nil, err
	}
	in := &instruments{}
	if in.changes, err = m.Int64Counter(MetricStateChanges, metric.WithUnit("{change}"),
		metric.WithDescription("Changes of state of a backend's circuit breaker, by the state it went to.")); err != nil {
		return nil, err
	}
	for _, st := range states {
		kv := append(append([]attribute.KeyValue(nil), base...), attribute.String(AttrState, st.String()))
		in.to[st] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
	}
	return in, nil
}

// changed counts a change to state to.
func (in *instruments) changed(to gobreaker.State) {
	if int(to) < len(in.to) {
		in.changes.Add(context.Background(), 1, in.to[to]...)
	}
}
