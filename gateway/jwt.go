package gateway

import (
	"log/slog"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/jwtauth"
)

// jwtLayers builds the endpoints' auth/validator layers. The key sets
// they share belong to the gateway: made when the first endpoint needs
// them, closed with the gateway.
type jwtLayers struct {
	logger    *slog.Logger
	userAgent string
	warn      func(string)
	keys      *jwtauth.KeySets
}

// newJWTLayers reads the service's auth/validator (KrakenD's shared JWK
// cache).
func newJWTLayers(cfg *config.Service, logger *slog.Logger, userAgent string, warn func(string)) (*jwtLayers, error) {
	warns, err := jwtauth.DecodeService(&cfg.ExtraConfig)
	for _, w := range warns {
		warn(w)
	}
	return &jwtLayers{logger: logger, userAgent: userAgent, warn: warn}, err
}

// wrap returns h behind the endpoint's JWT validator, h itself when the
// endpoint has none.
func (l *jwtLayers) wrap(e *config.Endpoint, accessLog bool, h router.Handler) (router.Handler, error) {
	o, path, ok, err := jwtauth.Decode(&e.ExtraConfig)
	if err != nil || !ok {
		return h, err
	}
	if l.keys == nil {
		l.keys = jwtauth.NewKeySets(l.logger, l.userAgent)
	}
	v, err := jwtauth.New(o, path, jwtauth.Deps{
		Keys: l.keys, Logger: l.logger, Route: e.Method + " " + e.Path,
		Wait: e.Timeout, AccessLog: accessLog, Warn: l.warn,
	})
	if err != nil {
		return h, err
	}
	return v.Wrap(h), nil
}

// close stops the key sets' fetches.
func (l *jwtLayers) close() {
	if l.keys != nil {
		l.keys.Close()
	}
}
