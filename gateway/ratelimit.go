package gateway

import (
	"net/http"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/ratelimit"
	"github.com/lambdagate/lambdagate/internal/redispool"
	"github.com/lambdagate/lambdagate/internal/router"
)

// rateLimit returns h behind e's qos/ratelimit/router layer and its
// qos/ratelimit/router/redis layer (node-local first), or h itself when e
// has neither. The layers run last of the route layers, just before the
// endpoint handler (inside the endpoint's telemetry, which counts their
// refusals by status); the node-local layer's cleanup goroutines stop when
// the gateway closes.
func (g *Gateway) rateLimit(e *config.Endpoint, h router.Handler, clientIP *clientip.Resolver, warns *[]string) (router.Handler, error) {
	rl, w, err := ratelimit.NewRedisEndpoint(e, ratelimit.RedisDeps{
		Deps:   ratelimit.Deps{ClientIP: clientIP},
		Pools:  g.redis,
		Meter:  g.tel.Meter(),
		Logger: g.logger,
	})
	*warns = append(*warns, w...)
	if err != nil {
		return h, err
	}
	if rl != nil {
		g.closers = append(g.closers, rl.Close)
		h = rl.Wrap(h)
	}
	l, w, err := ratelimit.NewEndpoint(e, ratelimit.Deps{ClientIP: clientIP})
	*warns = append(*warns, w...)
	if l == nil {
		return h, err
	}
	g.closers = append(g.closers, l.Close)
	return l.Wrap(h), nil
}

// redisPools builds the service's redis connection pools, closed with the
// gateway.
func (g *Gateway) redisPools(cfg *config.Service, errs *config.Errors, warns *[]string) {
	pools, w, err := redispool.New(&cfg.ExtraConfig)
	*warns = append(*warns, w...)
	errs.Append(cfg.ExtraConfig.Path, err)
	if pools != nil {
		g.redis = pools
		g.closers = append(g.closers, pools.Close)
	}
}

// serviceRateLimit returns the service's qos/ratelimit/service and
// qos/ratelimit/service/redis layers (node-local first), nil when the file
// sets neither. They run in front of routing, inside security/http and
// CORS (a preflight CORS answers takes no token): every request the
// gateway routes, to any endpoint or to none, takes a token from the
// service's buckets and its client's. Their cleanup goroutines stop when
// the gateway closes.
func (g *Gateway) serviceRateLimit(cfg *config.Service, clientIP *clientip.Resolver, errs *config.Errors, warns *[]string) func(http.Handler) http.Handler {
	l, w, err := ratelimit.NewService(&cfg.ExtraConfig, ratelimit.Deps{ClientIP: clientIP})
	*warns = append(*warns, w...)
	errs.Append(cfg.ExtraConfig.Path, err)
	rl, w, err := ratelimit.NewRedisService(&cfg.ExtraConfig, ratelimit.RedisDeps{
		Deps:   ratelimit.Deps{ClientIP: clientIP},
		Pools:  g.redis,
		Meter:  g.tel.Meter(),
		Logger: g.logger,
	})
	*warns = append(*warns, w...)
	errs.Append(cfg.ExtraConfig.Path, err)
	if l != nil {
		g.closers = append(g.closers, l.Close)
	}
	if rl != nil {
		g.closers = append(g.closers, rl.Close)
	}
	switch {
	case l != nil && rl != nil:
		return func(h http.Handler) http.Handler { return l.Wrap(rl.Wrap(h)) }
	case l != nil:
		return l.Wrap
	case rl != nil:
		return rl.Wrap
	}
	return nil
}
