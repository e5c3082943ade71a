package martian

import "github.com/lambdagate/lambdagate/config"

func init() {
	// Modifiers nest freely; FromJSON checks their names at start-up.
	config.RegisterOptions(Namespace, config.OnBackends, map[string]any{}, nil)
}
