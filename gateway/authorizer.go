package gateway

import (
	"log/slog"

	"github.com/lambdagate/lambdagate/auth/authorizer"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/internal/router"
)

// authorizerLayers builds the endpoints' lambdagate/authorizer layers.
// Their invocation clients (one per region, endpoint and credentials)
// belong to the gateway: built when the first endpoint needs them, their
// connections closed with the gateway.
type authorizerLayers struct {
	deps    authorizer.Deps
	clients lambdainvoke.Clients
	// wireNames is set once an authorizer's events (payload 1.0) show the
	// client's spelling of header names.
	wireNames bool
}

// newAuthorizerLayers returns the gateway's authorizer layers: invoked
// through the local runtime at localURL (--functions) when set.
func newAuthorizerLayers(localURL string, logger *slog.Logger, ropts RouterOptions, clientIP *clientip.Resolver, warn func(string)) *authorizerLayers {
	l := &authorizerLayers{}
	l.deps = authorizer.Deps{
		Clients:        &l.clients,
		LocalURL:       localURL,
		Logger:         logger,
		AccessLog:      !ropts.DisableAccessLog,
		ReturnErrorMsg: ropts.ReturnErrorMsg,
		Warn:           warn,
		ClientIP:       clientIP,
	}
	return l
}

// layer returns the route layer of the endpoint's Lambda authorizer, nil
// when the endpoint has none.
func (l *authorizerLayers) layer(e *config.Endpoint) (func(router.Handler) router.Handler, error) {
	o, path, ok, err := authorizer.Decode(&e.ExtraConfig)
	if err != nil || !ok {
		return nil, err
	}
	if o.PayloadFormatVersion != authorizer.Version2 {
		l.wireNames = true
	}
	a, err := authorizer.New(o, path, e, l.deps)
	if err != nil {
		return nil, err
	}
	return a.Wrap, nil
}

// close closes the idle connections of the authorizers' clients.
func (l *authorizerLayers) close() { l.clients.CloseIdle() }
