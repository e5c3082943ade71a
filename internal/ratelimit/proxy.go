package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// ProxyOptions is the "qos/ratelimit/proxy" namespace, KrakenD's names: the
// calls the gateway makes to one backend, from all endpoints' requests
// together.
type ProxyOptions struct {
	// MaxRate is the calls made every Every (0: no limit).
	MaxRate float64 `json:"max_rate"`
	// Capacity is the bucket's size: the calls made at once (0: MaxRate a
	// second, rounded down, at least 1).
	Capacity int `json:"capacity"`
	// Every is the time MaxRate is counted over (default 1s).
	Every string `json:"every"`

	// V1MaxRate is KrakenD 1's name of max_rate, refused with the current
	// one.
	V1MaxRate json.RawMessage `json:"maxRate" schema:"refused"`
}

// ErrLimited is the error of a backend call that the backend's rate limit
// refused. As KrakenD's, it carries no status of its own: a failed
// backend like any other, it makes the endpoint answer 500 when nothing
// else answered, or a partial response (200, X-Krakend-Completed: false)
// when other backends did.
var ErrLimited = errors.New("rate limit of the backend exceeded (qos/ratelimit/proxy)")

// NewBackend returns the rate-limit layer of b from its
// "qos/ratelimit/proxy" namespace (or the legacy name), nil when b has
// none or its max_rate is 0. Problems are config errors at their JSON
// paths.
func NewBackend(b *config.Backend) (proxy.Middleware, error) {
	return newBackend(b, monotonic)
}

func newBackend(b *config.Backend, now Clock) (proxy.Middleware, error) {
	var o ProxyOptions
	name, err := b.ExtraConfig.DecodeWithLegacy(ProxyNamespace, ProxyLegacyNamespace, &o)
	if name == "" || err != nil {
		return nil, err
	}
	var errs config.Errors
	opts := limitOptions{path: config.Join(b.ExtraConfig.Path, name), errs: &errs}
	opts.renamed("maxRate", o.V1MaxRate, "max_rate")
	every := opts.duration("every", o.Every, time.Second)
	r, ok := opts.rate("max_rate", "capacity", o.MaxRate, o.Capacity, every)
	if len(errs) > 0 || !ok {
		return nil, errs.Err()
	}
	limit := &bucket{rate: r, now: now}
	return func(next proxy.Proxy) proxy.Proxy {
		return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
			if _, ok := limit.take(); !ok {
				return nil, ErrLimited
			}
			return next(ctx, req)
		}
	}, nil
}
