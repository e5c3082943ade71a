package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/internal/redislease"
	"github.com/lambdagate/lambdagate/proxy"
)

// The fleet's cap (max_concurrency with max_concurrency_redis).
const (
	// ConcurrencyRedisTimeout bounds taking a lease, and giving it back:
	// dialing, waiting for a connection, the round trip and the pool's
	// retries together. Past it, the failure policy decides.
	ConcurrencyRedisTimeout = 250 * time.Millisecond
	// LeaseMargin is what a lease lives beyond the endpoint's timeout,
	// which bounds the invocation: the lease is given back as soon as the
	// invocation ends, and expires on its own (a replica that died
	// holding it) the endpoint's timeout plus LeaseMargin after it was
	// granted, on Redis's clock.
	LeaseMargin = 2 * time.Second
	// concurrencyKeyPrefix starts the Redis keys of the leases; the rest
	// is the endpoint's method and path and the backend's place in it.
	concurrencyKeyPrefix = "lambdagate:concurrency:"
)

// MetricConcurrencyRedisErrors counts the backend calls whose lease
// Redis did not grant or refuse in time, by AttrFunction, the pool
// ("connection") and the policy applied ("on_failure": refuse or local).
const MetricConcurrencyRedisErrors = "lambdagate.lambda.concurrency.redis.errors"

// errConcurrencyUnchecked is the cause of a call refused with 503 because
// Redis did not answer for its lease: no invocation was made.
var errConcurrencyUnchecked = errors.New("max_concurrency_redis: Redis did not answer")

// fleetInvoker lets at most max invocations of a backend run at once over
// every gateway sharing its Redis key: each invocation holds a lease of
// sem, given back when it ends. Over the cap, 429 with Retry-After: 1 at
// once. Redis failing: 503 without Retry-After, or with local the same
// cap counted in this gateway alone.
type fleetInvoker struct {
	next       lambdainvoke.Invoker
	sem        *redislease.Semaphore
	max        int64
	local      bool
	inFlight   atomic.Int64 // this gateway's invocations, counted with local
	timeout    time.Duration
	connection string
	backend    string // the backend's JSON path, for the log
	logger     *slog.Logger
	failing    atomic.Bool
	errs       metric.Int64Counter
	errAttrs   metric.MeasurementOption
}

// newFleetInvoker builds the fleet's cap of a backend at base (its
// options' JSON path) from the service's pools. function is its function
// label (the name, or the {placeholder}); timeout is the endpoint's.
func newFleetInvoker(t traffic, pools backend.RedisPools, base string, spec backend.Spec, function string, meter metric.Meter, logger *slog.Logger) (*fleetInvoker, error) {
	name := t.fleet.ConnectionName
	var names []string
	if pools != nil {
		if c, ok := pools.Get(name); ok {
			timeout := config.DefaultTimeout
			key := concurrencyKeyPrefix
			if e := spec.Endpoint; e != nil {
				if e.Timeout > 0 {
					timeout = e.Timeout
				}
				key += e.Method + " " + e.Path + ":"
			}
			key += "backend[" + strconv.Itoa(spec.Backend.Index) + "]"
			f := &fleetInvoker{
				sem: redislease.New(c, key, t.maxConcurrency, timeout+LeaseMargin),
				max: int64(t.maxConcurrency), local: t.fleet.OnFailureLocal, timeout: ConcurrencyRedisTimeout,
				connection: name, backend: spec.Backend.JSONPath, logger: logger,
			}
			if meter == nil {
				meter = metricnoop.NewMeterProvider().Meter("lambdagate")
			}
			var err error
			f.errs, err = meter.Int64Counter(MetricConcurrencyRedisErrors, metric.WithUnit("{call}"),
				metric.WithDescription("Backend calls whose max_concurrency_redis lease Redis did not grant or refuse in time, by function, pool and the policy applied (on_failure: refuse, 503; local, this gateway's cap)."))
			if err != nil {
				return nil, err
			}
			policy := "refuse"
			if f.local {
				policy = "local"
			}
			f.errAttrs = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrFunction, function),
				attribute.String("connection", name), attribute.String("on_failure", policy)))
			return f, nil
		}
		names = pools.Names()
	}
	return nil, &config.Error{Path: config.Join(config.Join(base, "max_concurrency_redis"), "connection_name"),
		Msg: fmt.Sprintf("%q is not one of the service's redis.connection_pools %q", name, names)}
}

func (f *fleetInvoker) Invoke(ctx context.Context, in *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	actx, cancel := context.WithTimeout(ctx, f.timeout)
	lease, ok, err := f.sem.Acquire(actx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// The client left or the endpoint's time is up: not Redis's
			// failure.
			return nil, ctx.Err()
		}
		f.failed(ctx, err)
		if !f.local {
			return nil, &proxy.StatusError{Status: http.StatusServiceUnavailable, Err: fmt.Errorf("lambda function %q: no max_concurrency lease from the Redis pool %q (%w): %v", in.FunctionName, f.connection, errConcurrencyUnchecked, err)}
		}
		if f.inFlight.Add(1) > f.max {
			f.inFlight.Add(-1)
			return nil, f.refusal(in)
		}
		defer f.inFlight.Add(-1)
		return f.next.Invoke(ctx, in)
	}
	if f.failing.CompareAndSwap(true, false) {
		f.logger.Info("lambda max_concurrency_redis: Redis answers again", "backend", f.backend, "connection", f.connection)
	}
	if !ok {
		return nil, f.refusal(in)
	}
	if f.local {
		f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
	}
	defer f.release(ctx, lease)
	return f.next.Invoke(ctx, in)
}

func (f *fleetInvoker) refusal(in *lambdainvoke.Invocation) error {
	return &proxy.StatusError{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}, Err: fmt.Errorf("lambda function %q: %d invocations in flight already over the fleet (%w)", in.FunctionName, f.max, errMaxConcurrency)}
}

// release gives the lease back, even when the request's context has
// ended; a release Redis does not get leaves the lease to expire.
func (f *fleetInvoker) release(ctx context.Context, l redislease.Lease) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout)
	defer cancel()
	if err := f.sem.Release(ctx, l); err != nil {
		f.failed(ctx, err)
	}
}

// failed counts a failed Redis call and logs the first of a run.
func (f *fleetInvoker) failed(ctx context.Context, err error) {
	f.errs.Add(ctx, 1, f.errAttrs)
	if f.failing.CompareAndSwap(false, true) {
		f.logger.Warn("lambda max_concurrency_redis: Redis does not answer", "backend", f.backend, "connection", f.connection, "on_failure_local", f.local, "error", err.Error())
	}
}
