package gateway

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// BenchmarkLambdaPipeline measures one request through the whole gateway
// with a real Lambda backend: router, endpoint, payload, SigV4 signing, the
// Invoke call over loopback to a fake Invoke server, result handling and
// rendering. ns/op includes the fake server's work (same process);
// allocs/op is the gateway's per-request allocation count plus the
// server's, and is what docs/BENCHMARKS.md tracks.
func BenchmarkLambdaPipeline(b *testing.B) {
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	fake := fakelambda.New(100)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	defer srv.Close()
	endpoint := "http://" + ln.Addr().String()
	lambda := func(fn string) string {
		return `{"backend/lambda":{"function_name":"` + fn + `","region":"us-east-1","endpoint":"` + endpoint + `"}}`
	}
	cases := []struct {
		name, method, path, body, cfg string
	}{
		{"get-100B", "GET", "/small", "", `{"endpoint":"/small","backend":[{"host":["x"],"url_pattern":"/","extra_config":` + lambda("size-100") + `}]}`},
		{"get-params", "GET", "/users/42/ann", "", `{"endpoint":"/users/{id}/{name}","backend":[{"host":["x"],"url_pattern":"/","extra_config":` + lambda("size-100") + `}]}`},
		{"get-10KB", "GET", "/large", "", `{"endpoint":"/large","backend":[{"host":["x"],"url_pattern":"/","extra_config":` + lambda("size-10240") + `}]}`},
		{"post-1KB-echo", "POST", "/echo", `{"items":[` + strings.Repeat(`{"id":12345,"name":"abcdefghij"},`, 30) + `{"id":1}]}`,
			`{"endpoint":"/echo","method":"POST","backend":[{"host":["x"],"url_pattern":"/","extra_config":` + lambda("echo") + `}]}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg, _, err := config.Parse([]byte(`{"version":3,"extra_config":{"router":{"disable_access_log":true}},"endpoints":[` + c.cfg + `]}`))
			if err != nil {
				b.Fatal(err)
			}
			gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			h := gw.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var body io.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				req := httptest.NewRequest(c.method, c.path, body)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
