package ratelimit

import (
	"net/http"

	"github.com/lambdagate/lambdagate/config"
)

// ServiceNamespace is KrakenD Enterprise's stateless service rate limit:
// the options of RouterNamespace (its schema is the router's), counted
// over every request the gateway routes rather than one endpoint's.
// max_rate limits all clients together (503), client_max_rate each client
// across every endpoint (429), both with Retry-After. A client is named by
// the ip or header strategy; the service has no path params.
const ServiceNamespace = "qos/ratelimit/service"

// Service is the service's rate-limit layer: the buckets of an endpoint's
// layer, in front of every route.
type Service struct{ l *Endpoint }

// NewService builds the service's "qos/ratelimit/service" layer from its
// extra_config, nil when it has none or both its rates are 0. It returns
// start-up warnings, and every problem as config errors at their JSON
// paths.
func NewService(x *config.ExtraConfig, deps Deps) (*Service, []string, error) {
	var o RouterOptions
	ok, err := x.Decode(ServiceNamespace, &o)
	if !ok || err != nil {
		return nil, nil, err
	}
	l, warns, err := newLimit(nil, o, config.Join(x.Path, ServiceNamespace), deps)
	if l == nil || err != nil {
		return nil, warns, err
	}
	return &Service{l: l}, warns, nil
}

// Wrap returns next behind the layer: each client's limit first, then the
// service's, as for an endpoint.
func (s *Service) Wrap(next http.Handler) http.Handler {
	h := s.l.Wrap(func(w http.ResponseWriter, r *http.Request, _ []string) { next.ServeHTTP(w, r) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, nil) })
}

// Close stops the layer's cleanup goroutines.
func (s *Service) Close() {
	if s != nil {
		s.l.Close()
	}
}
