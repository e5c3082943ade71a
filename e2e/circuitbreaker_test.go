package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A backend failing behind qos/circuit-breaker: after more than max_errors
// consecutive failures the gateway stops calling it, logs the change
// (log_status_change) and shows the breaker open in its Prometheus metrics,
// under the names docs/observability.md gives.
func TestCircuitBreakerOpens(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, `{"down":true}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(be.Close)
	g := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"],
	  "extra_config": {
	    "router": {"return_error_msg": true},
	    "telemetry/opentelemetry": {"exporters": {"prometheus": [{"name": "local", "listen_ip": "127.0.0.1", "port": 0}]}}
	  },
	  "endpoints": [{"endpoint": "/down", "backend": [{"url_pattern": "/down",
	    "extra_config": {"qos/circuit-breaker": {"interval": 60, "timeout": 60, "max_errors": 1, "name": "cb-down", "log_status_change": true}}}]}]}`)
	murl := metricsURL(t, g)
	for i, want := range []string{"", "", `circuit breaker "cb-down" is open: the backend is not called`, `circuit breaker "cb-down" is open: the backend is not called`} {
		r := do(t, "GET", g.URL+"/down", "", nil)
		if r.Status != 500 || (want != "" && r.Body != want) {
			t.Errorf("call %d: %d %q, want 500 %q", i+1, r.Status, r.Body, want)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the backend was called %d times, want 2 (max_errors 1: the second failure opens)", n)
	}
	s := scrapeMetrics(t, murl)
	id := map[string]string{"backend_name": "endpoints[0].backend[0]", "circuit_breaker_name": "cb-down"}
	if v := s.value("lambdagate_backend_circuit_state", id); v != 2 {
		t.Errorf("lambdagate_backend_circuit_state = %v, want 2 (open)", v)
	}
	id["circuit_breaker_state"] = "open"
	if v := s.value("lambdagate_backend_circuit_state_changes_total", id); v != 1 {
		t.Errorf("lambdagate_backend_circuit_state_changes_total{open} = %v, want 1", v)
	}
	if logs := g.Logs(); !strings.Contains(logs, `level=WARN msg="circuit breaker state changed" circuit_breaker=cb-down backend=endpoints[0].backend[0] from=closed to=open`) {
		t.Errorf("no state change in the logs:\n%s", logs)
	}
}
