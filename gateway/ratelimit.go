package gateway

import (
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/ratelimit"
	"github.com/lambdagate/lambdagate/internal/router"
)

// rateLimit returns h behind e's qos/ratelimit/router layer, or h itself
// when e has none. The layer runs last of the route layers, just before
// the endpoint handler (inside the endpoint's telemetry, which counts its
// refusals by status); its cleanup goroutines stop when the gateway closes.
func (g *Gateway) rateLimit(e *config.Endpoint, h router.Handler, clientIP *clientip.Resolver, warns *[]string) (router.Handler, error) {
	l, w, err := ratelimit.NewEndpoint(e, ratelimit.Deps{ClientIP: clientIP})
	*warns = append(*warns, w...)
	if l == nil {
		return h, err
	}
	g.closers = append(g.closers, l.Close)
	return l.Wrap(h), nil
}
