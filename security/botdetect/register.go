package botdetect

import "github.com/lambdagate/lambdagate/config"

func init() {
	config.RegisterOptions(Namespace, config.OnService|config.OnEndpoints, Options{}, nil)
}
