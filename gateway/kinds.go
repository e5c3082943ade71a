package gateway

import (
	"github.com/lambdagate/lambdagate/backend"
	httpbackend "github.com/lambdagate/lambdagate/backend/http"
	"github.com/lambdagate/lambdagate/backend/lambda"
	"github.com/lambdagate/lambdagate/config"
)

// ownKinds lists lambdagate's kinds of backend in the order they claim
// backends: those claimed by an extra_config namespace first, HTTP (which
// claims every backend) last.
func ownKinds(o Options) []backend.NewKind {
	return []backend.NewKind{lambda.NewKind(o.LocalLambdaURL), httpbackend.NewKind}
}

// buildKinds builds every kind with deps, in order. On error, the kinds
// built so far are closed.
func buildKinds(news []backend.NewKind, deps backend.Deps) ([]backend.Kind, error) {
	kinds := make([]backend.Kind, 0, len(news))
	for _, n := range news {
		k, err := n(deps)
		if err != nil {
			closeKinds(kinds)
			return nil, &config.Error{Path: deps.Service.ExtraConfig.Path, Msg: err.Error()}
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

func closeKinds(kinds []backend.Kind) {
	for _, k := range kinds {
		k.Close()
	}
}
