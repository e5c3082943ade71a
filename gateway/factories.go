package gateway

import (
	"github.com/lambdagate/lambdagate/backend"
)

// extraFactories lists the kinds of backend claimed by a namespace, tried
// before HTTP.
func extraFactories() []backend.Factory {
	return nil
}
