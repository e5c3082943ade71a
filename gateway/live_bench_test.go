package gateway

import (
	"net/http"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

// BenchmarkLiveServe measures what serving through a Live (the hot-reload
// seam: an atomic load of the current generation and the count of its
// requests) adds to a request: "direct" serves the gateway's handler,
// "live" the same gateway through Live.ServeHTTP, as Serve does; "seam"
// the acquire and release alone, and "seam-parallel" from every core at
// once, where the count's cache line is shared.
func BenchmarkLiveServe(b *testing.B) {
	cfg, _, err := config.Parse([]byte(`{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},
		"endpoints":[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a/{id}"}]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	gw, _, err := New(cfg, Options{Logger: quiet, Kinds: []backend.NewKind{kindtest.Canned([]byte(`{"ok":true}`))}})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.close()
	live := NewLive(gw, nil)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"direct", gw.Handler()}, {"live", live}} {
		b.Run(c.name, func(b *testing.B) { serveGET(b, c.h, "/a/42") })
	}
	b.Run("seam", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			live.acquire().release()
		}
	})
	b.Run("seam-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				live.acquire().release()
			}
		})
	})
}
