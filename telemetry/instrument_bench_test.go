package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdagate/lambdagate/proxy"
)

// BenchmarkInstrumentation measures the instrumentation alone, around a
// handler and a backend that do nothing, with metrics only.
func BenchmarkInstrumentation(b *testing.B) {
	tel, err := New(&OTelOptions{ServiceName: "bench", Prometheus: []PrometheusExporter{{Name: "p"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	b.Run("endpoint", func(b *testing.B) {
		h := tel.Endpoint("GET", "/a/{id}", func(w http.ResponseWriter, _ *http.Request, _ []string) { w.WriteHeader(200) })
		w, r := httptest.NewRecorder(), httptest.NewRequest("GET", "/a/1", nil)
		b.ReportAllocs()
		for b.Loop() {
			h(w, r, nil)
		}
	})
	b.Run("backend", func(b *testing.B) {
		resp := &proxy.Response{IsComplete: true}
		p := tel.Backend(Backend{Kind: "http", Target: "h"})(func(context.Context, *proxy.Request) (*proxy.Response, error) { return resp, nil })
		ctx, req := context.Background(), &proxy.Request{}
		b.ReportAllocs()
		for b.Loop() {
			p(ctx, req)
		}
	})
}
