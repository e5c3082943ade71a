package signer

import "github.com/lambdagate/lambdagate/config"

// init records the options this package decodes, for the file's schema
// (lambdagate schema).
func init() {
	config.RegisterOptions(Namespace, config.OnEndpoints, Options{}, nil)
	config.RegisterOptions(LegacyNamespace, config.OnEndpoints, Options{}, nil)
}
