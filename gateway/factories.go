package gateway

import (
	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/backend/lambda"
)

// extraFactories lists the kinds of backend claimed by a namespace, tried
// before HTTP.
func extraFactories() []backend.Factory {
	return []backend.Factory{lambda.Factory}
}
