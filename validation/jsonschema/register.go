package jsonschema

import "github.com/lambdagate/lambdagate/config"

func init() {
	// The namespace's value is a JSON Schema: any object.
	config.RegisterOptions(Namespace, config.OnEndpoints, map[string]any{}, nil)
	config.RegisterOptions(LegacyNamespace, config.OnEndpoints, map[string]any{}, nil)
}
