package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// cannedFactory serves every backend with a fixed body, so that the
// benchmarks measure the gateway's own work: router, endpoint, decoding,
// shaping, merging and rendering, without a network hop.
func cannedFactory(body []byte) backend.Factory {
	return func(spec backend.Spec) (proxy.Proxy, bool, error) {
		return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
			return &proxy.Response{IsComplete: true, Body: io.NopCloser(bytes.NewReader(body)), Metadata: proxy.Metadata{StatusCode: 200}}, nil
		}, true, nil
	}
}

func benchGateway(b *testing.B, cfgJSON string, body []byte) http.Handler {
	b.Helper()
	cfg, _, err := config.Parse([]byte(cfgJSON))
	if err != nil {
		b.Fatal(err)
	}
	gw, _, err := New(cfg, Options{
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Factories: []backend.Factory{cannedFactory(body)},
	})
	if err != nil {
		b.Fatal(err)
	}
	return gw.Handler()
}

// BenchmarkPipeline measures one request through the gateway's stages,
// in process, with canned backend replies.
func BenchmarkPipeline(b *testing.B) {
	small := []byte(`{"message":"Hello from Lambda!","id":12345,"ok":true,"tags":["a","b"],"nested":{"x":1.50}}`)
	cases := []struct {
		name, cfg string
	}{
		{"single", `{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a"}]}]}`},
		{"single-allow", `{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a","allow":["message","nested.x"]}]}]}`},
		{"merge-2", `{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a","group":"one"},{"url_pattern":"/b","allow":["id"]}]}]}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := benchGateway(b, c.cfg, small)
			req := httptest.NewRequest("GET", "/a/42", nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
