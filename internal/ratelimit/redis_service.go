package ratelimit

import (
	"net/http"

	"github.com/lambdagate/lambdagate/config"
)

// serviceRedisPrefix starts the keys of the service's Redis-backed limit;
// an endpoint's start with its method (see NewRedisEndpoint), so the two
// never share a key.
const serviceRedisPrefix = "lambdagate:ratelimit:service:"

// RedisService is the service's "qos/ratelimit/service/redis" layer: the
// Redis-backed buckets of an endpoint's layer, in front of every route.
type RedisService struct{ l *RedisEndpoint }

// NewRedisService builds the service's "qos/ratelimit/service/redis" layer
// from its extra_config, nil when it has none or both its rates are 0. It
// returns start-up warnings, and every problem as config errors at their
// JSON paths.
func NewRedisService(x *config.ExtraConfig, deps RedisDeps) (*RedisService, []string, error) {
	var o RedisOptions
	ok, err := x.Decode(ServiceRedisNamespace, &o)
	if !ok || err != nil {
		return nil, nil, err
	}
	l, warns, err := newRedisLimit(nil, o, ServiceRedisNamespace, config.Join(x.Path, ServiceRedisNamespace), serviceRedisPrefix, deps)
	if l == nil || err != nil {
		return nil, warns, err
	}
	return &RedisService{l: l}, warns, nil
}

// Wrap returns next behind the layer: each client's limit first, then the
// service's, in one round trip to Redis.
func (s *RedisService) Wrap(next http.Handler) http.Handler {
	h := s.l.Wrap(func(w http.ResponseWriter, r *http.Request, _ []string) { next.ServeHTTP(w, r) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, nil) })
}

// Close stops the node-local fallback's cleanup goroutines.
func (s *RedisService) Close() {
	if s != nil {
		s.l.Close()
	}
}
