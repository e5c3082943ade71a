package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

func benchGateway(b *testing.B, cfgJSON string, body []byte) http.Handler {
	b.Helper()
	cfg, _, err := config.Parse([]byte(cfgJSON))
	if err != nil {
		b.Fatal(err)
	}
	gw, _, err := New(cfg, Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Kinds:  []backend.NewKind{kindtest.Canned(body)},
	})
	if err != nil {
		b.Fatal(err)
	}
	return gw.Handler()
}

// serveGET runs b.N GET requests for path through h, each expecting 200,
// reporting allocations.
func serveGET(b *testing.B, h http.Handler, path string) {
	b.Helper()
	serve(b, h, httptest.NewRequest("GET", path, nil))
}

// serve runs b.N times req through h, each expecting 200, reporting
// allocations.
func serve(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
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
			serveGET(b, h, "/a/42")
		})
	}
}

// BenchmarkPipelineTelemetry is BenchmarkPipeline's single and merge-2
// cases with telemetry: off (no namespace), metrics only (a Prometheus
// exporter), and metrics with traces sampled at 1.0 and 0.0 (spans sent
// by OTLP/HTTP to an in-process receiver that accepts everything). The
// difference to "off" is the instrumentation's cost per request.
func BenchmarkPipelineTelemetry(b *testing.B) {
	small := []byte(`{"message":"Hello from Lambda!","id":12345,"ok":true,"tags":["a","b"],"nested":{"x":1.50}}`)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	hostPort := strings.TrimPrefix(collector.URL, "http://")
	host, port, _ := strings.Cut(hostPort, ":")
	prom := `"prometheus":[{"name":"p","listen_ip":"127.0.0.1","port":0}]`
	otlp := `"otlp":[{"name":"o","host":"` + host + `","port":` + port + `,"use_http":true,"disable_metrics":true}]`
	modes := []struct{ name, ns string }{
		{"off", ``},
		{"metrics", `,"telemetry/opentelemetry":{"exporters":{` + prom + `}}`},
		{"traces-1.0", `,"telemetry/opentelemetry":{"trace_sample_rate":1,"exporters":{` + prom + `,` + otlp + `}}`},
		{"traces-0.0", `,"telemetry/opentelemetry":{"trace_sample_rate":0,"exporters":{` + prom + `,` + otlp + `}}`},
	}
	endpoints := []struct{ name, eps string }{
		{"single", `[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a"}]}]`},
		{"merge-2", `[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a","group":"one"},{"url_pattern":"/b","allow":["id"]}]}]`},
	}
	for _, e := range endpoints {
		for _, m := range modes {
			b.Run(e.name+"/"+m.name, func(b *testing.B) {
				cfg, _, err := config.Parse([]byte(`{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}` + m.ns + `},"endpoints":` + e.eps + `}`))
				if err != nil {
					b.Fatal(err)
				}
				gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), Kinds: []backend.NewKind{kindtest.Canned(small)}})
				if err != nil {
					b.Fatal(err)
				}
				if err := gw.startTelemetry(); err != nil {
					b.Fatal(err)
				}
				defer gw.close()
				h := gw.Handler()
				serveGET(b, h, "/a/42")
			})
		}
	}
}
