package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

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

// serve runs b.N copies of req through h, each expecting 200, reporting
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
				stopTelemetry, err := gw.startTelemetry()
				if err != nil {
					b.Fatal(err)
				}
				defer stopTelemetry()
				defer gw.close()
				h := gw.Handler()
				serveGET(b, h, "/a/42")
			})
		}
	}
}

// BenchmarkEdgeLayers is BenchmarkPipeline's single case, a GET from a
// browser origin behind a TLS-terminating proxy, with the service's edge
// layers off (neither namespace: the router is served as it is), CORS
// only, security/http only, and both. The difference to "off" is the
// layers' cost per request. Each runs with an httptest.ResponseRecorder
// (a new header map per request, cloned when written, as net/http's server
// does) and with a writer whose header map is kept across requests, as
// fastserver's is: the layers' headers grow the map past 8 entries, which
// costs allocations only in the first case.
func BenchmarkEdgeLayers(b *testing.B) {
	small := []byte(`{"message":"Hello from Lambda!","id":12345,"ok":true,"tags":["a","b"],"nested":{"x":1.50}}`)
	const (
		cors   = `,"security/cors":{"allow_origins":["https://app.example.com"],"expose_headers":["X-Krakend-Completed"],"allow_credentials":true,"max_age":"12h"}`
		secure = `,"security/http":{"allowed_hosts":["example.com"],"ssl_proxy_headers":{"X-Forwarded-Proto":"https"},"sts_seconds":31536000,` +
			`"frame_deny":true,"content_type_nosniff":true,"browser_xss_filter":true,"referrer_policy":"same-origin"}`
	)
	for _, m := range []struct{ name, ns string }{{"off", ""}, {"cors", cors}, {"security-http", secure}, {"both", cors + secure}} {
		h := benchGateway(b, `{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}`+m.ns+`},
			"endpoints":[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a"}]}]}`, small)
		req := httptest.NewRequest("GET", "/a/42", nil)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("X-Forwarded-Proto", "https")
		b.Run(m.name+"/recorder", func(b *testing.B) {
			defer reportCPU(b)()
			serve(b, h, req)
		})
		b.Run(m.name+"/kept-header", func(b *testing.B) {
			defer reportCPU(b)()
			w := &keptHeaderWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				w.status = 0
				h.ServeHTTP(w, req)
				if w.status != 200 {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// reportCPU starts counting the process's CPU time (user and system, all
// threads, the garbage collector's included); the function it returns
// reports it per operation as cpu-ns/op. On a shared machine it varies far
// less than ns/op, which counts the time other processes hold the cores.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// keptHeaderWriter is a ResponseWriter that discards the body and keeps
// its header map from one request to the next, as fastserver's writer does.
type keptHeaderWriter struct {
	header http.Header
	status int
}

func (w *keptHeaderWriter) Header() http.Header { return w.header }

func (w *keptHeaderWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *keptHeaderWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}
