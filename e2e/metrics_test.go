package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// metricsBackend answers /ok, fails /fail with 500 and answers /slow only
// after the endpoints' timeout.
func metricsBackend(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"down":true}`, http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
		io.WriteString(w, `{"late":true}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const metricsConfig = `{
  "version": 3,
  "host": ["BACKEND"],
  "timeout": "2s",
  "extra_config": {
    "telemetry/opentelemetry": {
      "service_name": "e2e-metrics",
      "exporters": {"prometheus": [{"name": "local", "listen_ip": "127.0.0.1", "port": 0}]}
    }
  },
  "endpoints": [
    {"endpoint": "/ok/{id}", "backend": [{"url_pattern": "/ok"}]},
    {"endpoint": "/fail", "backend": [{"url_pattern": "/fail"}]},
    {"endpoint": "/slow", "timeout": "200ms", "backend": [{"url_pattern": "/slow"}]},
    {"endpoint": "/merge", "backend": [{"url_pattern": "/ok", "group": "a"}, {"url_pattern": "/fail", "group": "b"}]},
    {"endpoint": "/details", "backend": [{"url_pattern": "/fail", "extra_config": {"backend/http": {"return_error_details": "f"}}}]}
  ]
}`

// TestPrometheusMetrics drives requests through HTTP backends (successes,
// errors, timeouts, a partial merge, a backend answering with details of
// its error) and checks the exact growth of every counter and histogram
// count the Prometheus endpoint shows.
func TestPrometheusMetrics(t *testing.T) {
	t.Parallel()
	be := metricsBackend(t)
	target := strings.TrimPrefix(be.URL, "http://")
	g := startGateway(t, strings.ReplaceAll(metricsConfig, "BACKEND", be.URL))
	murl := metricsURL(t, g)
	before := scrapeMetrics(t, murl)

	// route → how many requests, and the status each got.
	type drive struct {
		path  string
		route string
		n     int
	}
	drives := []drive{
		{"/ok/1", "/ok/{id}", 2}, {"/ok/2", "/ok/{id}", 1},
		{"/fail", "/fail", 2},
		{"/slow", "/slow", 2},
		{"/merge", "/merge", 2},
		{"/details", "/details", 1},
	}
	statuses := map[string]map[string]float64{} // route → status → count
	for _, d := range drives {
		for i := 0; i < d.n; i++ {
			r := do(t, "GET", g.URL+d.path, "", nil)
			if statuses[d.route] == nil {
				statuses[d.route] = map[string]float64{}
			}
			statuses[d.route][itoa(r.Status)]++
		}
	}
	// The statuses clients got are the gateway's ordinary ones.
	wantStatus := map[string]string{"/ok/{id}": "200", "/fail": "500", "/merge": "200", "/details": "200"}
	for route, st := range wantStatus {
		if statuses[route][st] == 0 {
			t.Errorf("%s: statuses %v, want %s", route, statuses[route], st)
		}
	}

	after := scrapeMetrics(t, murl)
	for route, byStatus := range statuses {
		for status, n := range byStatus {
			l := map[string]string{"http_request_method": "GET", "http_route": route, "http_response_status_code": status}
			if got := delta(before, after, "lambdagate_requests_total", l); got != n {
				t.Errorf("lambdagate_requests_total%v grew by %v, want %v", l, got, n)
			}
			if got := delta(before, after, "lambdagate_request_duration_seconds", l); got != n {
				t.Errorf("lambdagate_request_duration_seconds_count%v grew by %v, want %v", l, got, n)
			}
		}
	}
	// Only route templates, never raw paths, label the requests.
	if got := after.labelValues("lambdagate_requests_total", "http_route"); strings.Join(got, " ") != "/details /fail /merge /ok/{id} /slow" {
		t.Errorf("routes = %q", got)
	}
	if got := after.value("lambdagate_requests_in_flight", map[string]string{"http_route": "/ok/{id}"}); got != 0 {
		t.Errorf("in flight after the requests = %v", got)
	}

	wantBackend := map[string]float64{"success": 3 + 2, "error": 2 + 2, "timeout": 2, "partial": 1}
	for outcome, n := range wantBackend {
		l := map[string]string{"backend_kind": "http", "backend_target": target, "backend_outcome": outcome}
		if got := delta(before, after, "lambdagate_backend_calls_total", l); got != n {
			t.Errorf("lambdagate_backend_calls_total%v grew by %v, want %v", l, got, n)
		}
		if got := delta(before, after, "lambdagate_backend_duration_seconds", l); got != n {
			t.Errorf("lambdagate_backend_duration_seconds_count%v grew by %v, want %v", l, got, n)
		}
	}
	if got := after.value("target_info", map[string]string{"service_name": "e2e-metrics"}); got != 1 {
		t.Errorf("target_info{service_name=e2e-metrics} = %v", got)
	}
	if g.Stop(t) != 0 {
		t.Errorf("gateway did not stop cleanly:\n%s", g.Logs())
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
