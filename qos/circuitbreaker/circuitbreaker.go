// Package circuitbreaker is the backend layer of KrakenD's
// "qos/circuit-breaker" namespace: one circuit breaker per backend, which
// stops calling the backend after more than max_errors consecutive
// failures and, once its timeout has passed, lets one probe request
// through to decide whether to close again.
//
// The breaker is sony/gobreaker's, set up as KrakenD sets it up (interval
// and timeout in whole seconds, the circuit opening when the consecutive
// failures exceed max_errors, one probe when half-open). Every error of the
// pipeline it wraps is a failure: the backend's transport, the decoding of
// its reply and its shaping, as KrakenD's breaker wraps its whole backend
// proxy. A call the client abandoned (its context canceled) counts neither
// way. While the circuit is open, a call fails at once with an error that
// errors.Is reports as ErrOpen: the backend is not called, and the merge
// decides what the client gets, as for any failed backend.
//
// This package must not know any kind of backend.
package circuitbreaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/metric"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// Namespace is the backend extra_config key of the circuit breaker.
const Namespace = "qos/circuit-breaker"

// ErrOpen is what the errors of the calls a breaker refuses are (see
// errors.Is): its circuit is open, or half-open with its probe in flight.
var ErrOpen = errors.New("circuit breaker is open")

// options is the namespace, with the types of KrakenD's schema: interval,
// timeout and max_errors are required whole numbers, interval and timeout
// in seconds.
type options struct {
	Interval        *int   `json:"interval"`
	Timeout         *int   `json:"timeout"`
	MaxErrors       *int   `json:"max_errors"`
	Name            string `json:"name"`
	LogStatusChange bool   `json:"log_status_change"`
}

// settings is one breaker, decided.
type settings struct {
	// name labels the breaker's logs, metrics and errors: the name
	// option, else the backend's JSON path.
	name string
	// backend is the backend's JSON path.
	backend string
	// interval is how often the counts restart while the circuit is
	// closed; 0 never.
	interval time.Duration
	// timeout is how long the circuit stays open; 0 is gobreaker's (and
	// so KrakenD's) 60 seconds.
	timeout time.Duration
	// maxErrors is the number of consecutive failures tolerated: one
	// more opens the circuit.
	maxErrors uint32
	// logChanges logs every change of state (log_status_change).
	logChanges bool
}

// maxSeconds bounds interval and timeout, so that they fit a
// time.Duration.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// decode reads the namespace of b: nil settings when it is absent.
func decode(b *config.Backend) (*settings, error) {
	var o options
	found, err := b.ExtraConfig.Decode(Namespace, &o)
	if !found || err != nil {
		return nil, err
	}
	path := config.Join(b.ExtraConfig.Path, Namespace)
	var errs config.Errors
	seconds := func(key string, v *int, what string) time.Duration {
		switch {
		case v == nil:
			errs.Add(config.Join(path, key), "missing: %s, in seconds (KrakenD's schema requires interval, timeout and max_errors)", what)
		case *v < 0:
			errs.Add(config.Join(path, key), "must be 0 or more, got %d", *v)
		case int64(*v) > maxSeconds:
			errs.Add(config.Join(path, key), "must be at most %d seconds, got %d", maxSeconds, *v)
		default:
			return time.Duration(*v) * time.Second
		}
		return 0
	}
	s := &settings{
		name:       o.Name,
		backend:    b.JSONPath,
		interval:   seconds("interval", o.Interval, "the window in which consecutive failures count"),
		timeout:    seconds("timeout", o.Timeout, "how long the circuit stays open before a probe request"),
		logChanges: o.LogStatusChange,
	}
	switch m := o.MaxErrors; {
	case m == nil:
		errs.Add(config.Join(path, "max_errors"), "missing: the consecutive failures tolerated, one more opens the circuit (KrakenD's schema requires interval, timeout and max_errors)")
	case *m < 0:
		errs.Add(config.Join(path, "max_errors"), "must be 0 or more, got %d", *m)
	case *m > math.MaxInt32:
		errs.Add(config.Join(path, "max_errors"), "must be at most %d, got %d", math.MaxInt32, *m)
	default:
		s.maxErrors = uint32(*m)
	}
	if s.name == "" {
		s.name = b.JSONPath
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// New decodes the circuit breaker of backend b and returns the middleware
// that guards its calls, or nil when b has none (nothing is wrapped).
// State changes are logged to logger (slog.Default() when nil) with
// log_status_change, and measured through tel when it records backend
// metrics.
func New(b *config.Backend, logger *slog.Logger, tel *telemetry.Telemetry) (proxy.Middleware, error) {
	s, err := decode(b)
	if s == nil || err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	var m metric.Meter
	if tel.BackendMetrics() {
		m = tel.Meter()
	}
	br, err := newBreaker(*s, logger, m)
	if err != nil {
		return nil, err
	}
	return br.wrap, nil
}

// breaker is one backend's circuit breaker.
type breaker struct {
	s      settings
	cb     *gobreaker.CircuitBreaker[struct{}]
	logger *slog.Logger
	// open and halfOpen are the errors of refused calls, built once.
	open, halfOpen error
	// inst is nil without metrics.
	inst *instruments
}

// newBreaker builds the breaker s describes, measured with m (nil: not
// measured).
func newBreaker(s settings, logger *slog.Logger, m metric.Meter) (*breaker, error) {
	br := &breaker{
		s:        s,
		logger:   logger,
		open:     &refusal{fmt.Sprintf("circuit breaker %q is open: the backend is not called", s.name)},
		halfOpen: &refusal{fmt.Sprintf("circuit breaker %q is half-open: the backend is not called while its probe request is in flight", s.name)},
	}
	st := gobreaker.Settings{
		Name:     s.name,
		Interval: s.interval,
		Timeout:  s.timeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures > s.maxErrors
		},
		IsExcluded: func(err error) bool { return err == errAbandoned },
	}
	if s.logChanges || m != nil {
		st.OnStateChange = br.changed
	}
	br.cb = gobreaker.NewCircuitBreaker[struct{}](st)
	if m != nil {
		var err error
		if br.inst, err = newInstruments(m, br); err != nil {
			return nil, err
		}
	}
	return br, nil
}

// errAbandoned is the verdict on a call whose client went away: excluded
// from the counts, as it says nothing of the backend.
var errAbandoned = errors.New("abandoned by the client")

// wrap guards next. Execute counts a panic of next as a failure, and
// panics again.
func (br *breaker) wrap(next proxy.Proxy) proxy.Proxy {
	return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
		var (
			resp *proxy.Response
			err  error
			ran  bool
		)
		_, refused := br.cb.Execute(func() (struct{}, error) {
			ran = true
			resp, err = next(ctx, req)
			return struct{}{}, verdict(ctx, err)
		})
		if !ran {
			if errors.Is(refused, gobreaker.ErrTooManyRequests) {
				return nil, br.halfOpen
			}
			return nil, br.open
		}
		return resp, err
	}
}

// verdict is what the breaker counts of a call that ended with err: a
// success (nil), errAbandoned when the client canceled it, else a failure.
// The endpoint's timeout is a failure: the backend was too slow.
func verdict(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return errAbandoned
	}
	return err
}

// changed logs (log_status_change) and counts a change of state. gobreaker
// calls it with the breaker locked, so it does no more than that.
func (br *breaker) changed(_ string, from, to gobreaker.State) {
	if br.inst != nil {
		br.inst.changed(to)
	}
	if br.s.logChanges {
		br.logger.LogAttrs(context.Background(), slog.LevelWarn, "circuit breaker state changed",
			slog.String("circuit_breaker", br.s.name),
			slog.String("backend", br.s.backend),
			slog.String("from", from.String()),
			slog.String("to", to.String()))
	}
}

// refusal is the error of a call a breaker refused.
type refusal struct{ msg string }

// Error names the breaker and its state.
func (r *refusal) Error() string { return r.msg }

// Is reports ErrOpen.
func (r *refusal) Is(target error) bool { return target == ErrOpen }
