package lambda

import (
	"context"
	"testing"

	"github.com/lambdagate/lambdagate/internal/invoketest"
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
