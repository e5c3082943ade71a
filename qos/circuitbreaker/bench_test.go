package circuitbreaker_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/qos/circuitbreaker"
)

// The cost of the breaker on a backend call: docs/BENCHMARKS.md ("Traffic
// layers' cost per request") holds the figures and the command.

// switchable is a kind whose transport answers a small JSON object, or
// fails while fail is set.
type switchable struct{ fail bool }

var errDown = errors.New("backend down")

func (k *switchable) Name() string                { return "bench" }
func (k *switchable) Claims(*config.Backend) bool { return true }
func (k *switchable) Close()                      {}
func (k *switchable) Build(backend.Spec) (backend.Transport, error) {
	body := []byte(`{"id":1,"name":"ann"}`)
	return backend.Transport{Call: func(context.Context, *proxy.Request) (*proxy.Response, error) {
		if k.fail {
			return nil, errDown
		}
		return &proxy.Response{IsComplete: true, Raw: body, Metadata: proxy.Metadata{StatusCode: 200}}, nil
	}}, nil
}

// benchBackend builds the whole pipeline of one backend with extra as its
// extra_config, over a switchable transport.
func benchBackend(b *testing.B, extra string) (proxy.Proxy, *switchable) {
	b.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a",
		"backend": [{"url_pattern": "/x", "extra_config": ` + extra + `}]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	k := &switchable{}
	e := s.Endpoints[0]
	p, err := backend.Build(backend.Spec{Endpoint: e, Backend: e.Backend[0], Logger: quiet}, []backend.Kind{k}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return p, k
}

// BenchmarkOpenBreaker measures a call an open circuit refuses: the
// breaker alone, and the backend's whole pipeline (which also names the
// failed backend for the access log).
func BenchmarkOpenBreaker(b *testing.B) {
	ctx, req := context.Background(), &proxy.Request{}
	b.Run("breaker", func(b *testing.B) {
		s, _, _ := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a",
			"backend": [{"url_pattern": "/x", "extra_config": {` + breaker + `}}]}]}`))
		mw, err := circuitbreaker.New(s.Endpoints[0].Backend[0], quiet, nil)
		if err != nil {
			b.Fatal(err)
		}
		p := mw(func(context.Context, *proxy.Request) (*proxy.Response, error) { return nil, errDown })
		p(ctx, req)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p(ctx, req); !errors.Is(err, circuitbreaker.ErrOpen) {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend pipeline", func(b *testing.B) {
		p, k := benchBackend(b, `{`+breaker+`}`)
		k.fail = true
		p(ctx, req)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p(ctx, req); !errors.Is(err, circuitbreaker.ErrOpen) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkClosedBreaker measures a successful backend call through its
// whole pipeline without a breaker, then with a closed one: the difference
// is the breaker's cost on every call.
func BenchmarkClosedBreaker(b *testing.B) {
	ctx, req := context.Background(), &proxy.Request{}
	for _, bc := range []struct{ name, extra string }{
		{"no breaker", `{}`},
		{"closed breaker", `{` + breaker + `}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, _ := benchBackend(b, bc.extra)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
