package lua

import "github.com/lambdagate/lambdagate/config"

func init() {
	config.RegisterOptions(ProxyNamespace, config.OnEndpoints, Options{}, nil)
	config.RegisterOptions(LegacyProxyNamespace, config.OnEndpoints, Options{}, nil)
	config.RegisterOptions(BackendNamespace, config.OnBackends, Options{}, nil)
	config.RegisterOptions(LegacyBackendNamespace, config.OnBackends, Options{}, nil)
	config.RegisterOptions(RouterNamespace, config.OnService|config.OnEndpoints, Options{}, nil)
	config.RegisterOptions(LegacyRouterNamespace, config.OnService|config.OnEndpoints, Options{}, nil)
}
