package cel

import "github.com/lambdagate/lambdagate/config"

// checkOptions is one element of the namespace's array, as Decode reads it.
type checkOptions struct {
	CheckExpr string `json:"check_expr"`
}

func init() {
	config.RegisterOptions(Namespace, config.OnEndpoints|config.OnBackends, []checkOptions{}, nil)
	config.RegisterOptions(LegacyNamespace, config.OnEndpoints|config.OnBackends, []checkOptions{}, nil)
}
