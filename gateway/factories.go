package gateway

import (
	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/backend/lambda"
)

// extraKinds lists the kinds of backend claimed by a namespace, tried
// before HTTP.
func extraKinds() []backend.Kind {
	return []backend.Kind{{Name: "lambda", Factory: lambda.Factory, Target: lambda.Target}}
}
