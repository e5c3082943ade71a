package backend

import "github.com/lambdagate/lambdagate/config"

// init records the options this package decodes, for the file's schema
// (lambdagate schema).
func init() {
	config.RegisterOptions(Namespace, config.OnBackends, ErrorOptions{}, nil)
	config.RegisterOptions(ProxyNamespace, config.OnBackends, proxyOptions{}, nil)
}
