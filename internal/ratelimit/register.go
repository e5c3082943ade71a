package ratelimit

import "github.com/lambdagate/lambdagate/config"

// init records the options this package decodes, for the file's schema
// (lambdagate schema).
func init() {
	config.RegisterOptions(RouterNamespace, config.OnEndpoints, RouterOptions{}, nil)
	config.RegisterOptions(RouterLegacyNamespace, config.OnEndpoints, RouterOptions{}, nil)
	config.RegisterOptions(ServiceNamespace, config.OnService, RouterOptions{}, nil)
	config.RegisterOptions(ProxyNamespace, config.OnBackends, ProxyOptions{}, nil)
	config.RegisterOptions(ProxyLegacyNamespace, config.OnBackends, ProxyOptions{}, nil)
	config.RegisterOptions(RouterRedisNamespace, config.OnEndpoints, RedisOptions{}, nil)
	config.RegisterOptions(ServiceRedisNamespace, config.OnService, RedisOptions{}, nil)
}
