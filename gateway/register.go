package gateway

import "github.com/lambdagate/lambdagate/config"

// init records the options this package decodes, for the file's schema
// (lambdagate schema).
func init() {
	config.RegisterOptions(RouterNamespace, config.OnService, RouterOptions{}, nil)
	config.RegisterOptions(ServerNamespace, config.OnService, ServerOptions{}, nil)
	config.RegisterOptions(ProxyNamespace, config.OnEndpoints, ProxyOptions{}, nil)
}
