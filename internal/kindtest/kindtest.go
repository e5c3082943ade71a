// Package kindtest provides kinds of backend for tests and benchmarks of
// whole gateways: one whose transport panics, one that answers a fixed
// body without a network hop. Real programs never use them.
package kindtest

import (
	"context"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// PanicNamespace marks, in a backend's extra_config, a backend that the
// Panicking kind claims.
const PanicNamespace = "test/panic"

// Panicking is a kind that claims the backends marked with PanicNamespace
// and whose transport panics with msg.
func Panicking(msg string) backend.NewKind {
	return func(backend.Deps) (backend.Kind, error) {
		return &kind{
			name:   "panicking",
			claims: func(b *config.Backend) bool { return b.ExtraConfig.Has(PanicNamespace) },
			call: func(context.Context, *proxy.Request) (*proxy.Response, error) {
				panic(msg)
			},
		}, nil
	}
}

// Canned is a kind that claims every backend and answers body, status
// 200, so that a benchmark measures the gateway's own work (router,
// endpoint, decoding, shaping, merging, rendering).
func Canned(body []byte) backend.NewKind {
	return func(backend.Deps) (backend.Kind, error) {
		return &kind{
			name:   "canned",
			claims: func(*config.Backend) bool { return true },
			call: func(context.Context, *proxy.Request) (*proxy.Response, error) {
				return &proxy.Response{IsComplete: true, Raw: body, Metadata: proxy.Metadata{StatusCode: 200}}, nil
			},
		}, nil
	}
}

type kind struct {
	name   string
	claims func(*config.Backend) bool
	call   proxy.Proxy
}

func (k *kind) Name() string { return k.name }

func (k *kind) Claims(b *config.Backend) bool { return k.claims(b) }

func (k *kind) Build(spec backend.Spec) (backend.Transport, error) {
	// The marker is this kind's namespace: decoded, not reported unused.
	spec.Backend.ExtraConfig.Raw(PanicNamespace)
	return backend.Transport{Call: k.call}, nil
}

func (k *kind) Close() {}
