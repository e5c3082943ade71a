package lambda

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

// BenchmarkLambdaCache is one GET through a Lambda backend's whole
// pipeline: an invocation of the fake Invoke API on loopback (no cache),
// or a hit of cache_ttl's cache, the invocation it saves.
func BenchmarkLambdaCache(b *testing.B) {
	fake := invoketest.Start(b, invoketest.JSON(`{"id":42,"name":"ada"}`))
	for _, bc := range []struct{ name, opts string }{
		{"invocation", ``},
		{"cache_hit", `, "cache_ttl": "1h"`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := mustBuild(b, gatewayConfig{endpoint: "/users/{id}", lambda: `{"function_name": "users", "endpoint": "` + fake.URL + `"` + bc.opts + `}`})
			req := getReq(map[string]string{"id": "42"})
			ctx := context.Background()
			if _, err := p(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLambdaConcurrencyCap is one GET through a Lambda backend's
// whole pipeline, an invocation of the fake Invoke API on loopback: with
// no cap, with max_concurrency (this gateway's counter), and with
// max_concurrency_redis (a lease taken and given back on a real
// redis-server on loopback: two round trips).
func BenchmarkLambdaConcurrencyCap(b *testing.B) {
	fake := invoketest.Start(b, invoketest.JSON(`{"id":42,"name":"ada"}`))
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true, ContextTimeoutEnabled: true})
	b.Cleanup(func() { c.Close() })
	pools := testPools{"fleet": c}
	for _, bc := range []struct{ name, opts string }{
		{"no_cap", ``},
		{"max_concurrency", `, "max_concurrency": 100`},
		{"max_concurrency_redis", `, "max_concurrency": 100, "max_concurrency_redis": {"connection_name": "fleet"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := gatewayConfig{endpoint: "/users/{id}", lambda: `{"function_name": "users", "endpoint": "` + fake.URL + `"` + bc.opts + `}`}
			svc, _, err := config.Parse([]byte(g.json()))
			if err != nil {
				b.Fatal(err)
			}
			spec := specOf(svc, nil, "")
			spec.Redis = pools
			p, _, err := builder(&factoryHooks{backoff: invoketest.FastBackoff})(spec)
			if err != nil {
				b.Fatal(err)
			}
			req := getReq(map[string]string{"id": "42"})
			ctx := context.Background()
			if _, err := p(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
