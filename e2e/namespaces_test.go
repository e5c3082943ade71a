package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A KrakenD file whose endpoint carries API-key authentication (or CORS
// per endpoint, or a circuit breaker on HTTP statuses) that lambdagate
// does not implement must not start: served, GET /api/private would answer
// anyone. check and run both fail and name the JSON path of every such
// namespace.
func TestUnimplementedProtectionRefused(t *testing.T) {
	t.Parallel()
	be := testBackend(t, "private")
	cfg := `{"version": 3, "listen_ip": "127.0.0.1", "host": ["` + be.URL + `"],
	  "extra_config": {"telemetry/metrics": {}},
	  "endpoints": [
	    {"endpoint": "/api/private",
	     "extra_config": {"auth/api-keys": {"roles": ["admin"]},
	       "security/cors": {"allow_origins": ["https://example.com"]}},
	     "backend": [{"url_pattern": "/users/1", "extra_config": {"qos/circuit-breaker/http": {"interval": 60, "timeout": 10, "max_errors": 1}}}]}]}`
	file := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`endpoints[0].extra_config["security/cors"]: lambdagate reads "security/cors" on the service only (here: CORS per endpoint, a KrakenD Enterprise feature): ignored, the gateway would serve the endpoint unprotected`,
		`endpoints[0].extra_config["auth/api-keys"]: not implemented by lambdagate (API-key authentication and roles): ignored, the gateway would serve the endpoint unprotected; remove it, or wait until lambdagate implements it`,
		`endpoints[0].backend[0].extra_config["qos/circuit-breaker/http"]: not implemented by lambdagate`,
	}
	for _, args := range [][]string{{"check", "-c", file}, {"run", "-c", file, "--port", "0"}} {
		cmd := args[0]
		code, stdout, stderr := runCLI(t, args...)
		if code == 0 {
			t.Errorf("%s: exit code 0, want an error; stdout %q stderr %q", cmd, stdout, stderr)
		}
		if !strings.Contains(stderr, "3 problem(s)") {
			t.Errorf("%s: output does not count 3 problems:\n%s", cmd, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: output lacks %q; got:\n%s", cmd, w, stderr)
			}
		}
		// A namespace that changes nothing stays a warning.
		if !strings.Contains(stderr, `namespace \"telemetry/metrics\" is not implemented by lambdagate`) &&
			!strings.Contains(stderr, `warning: extra_config: namespace "telemetry/metrics" is not implemented by lambdagate`) {
			t.Errorf("%s: output lacks the telemetry/metrics warning:\n%s", cmd, stderr)
		}
		if strings.Contains(stderr, "listening") {
			t.Errorf("%s: the gateway listened:\n%s", cmd, stderr)
		}
	}
}

// A file whose only unimplemented namespaces change no response and no
// access (telemetry exporters, documentation) still starts, with warnings.
func TestWarnOnlyNamespacesStart(t *testing.T) {
	t.Parallel()
	be := testBackend(t, "public")
	cfg := `{"version": 3, "host": ["` + be.URL + `"],
	  "extra_config": {"telemetry/metrics": {"listen_address": ":8090"}, "telemetry/newrelic": {}, "documentation/openapi": {"title": "x"}},
	  "endpoints": [{"endpoint": "/api/public", "extra_config": {"documentation/openapi": {"summary": "y"}},
	    "backend": [{"url_pattern": "/users/1", "extra_config": {"telemetry/opentelemetry": {}}}]}]}`
	file := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "check", "-c", file)
	if code != 0 || !strings.Contains(stdout, "configuration OK (1 endpoints)") {
		t.Fatalf("check: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	for _, w := range []string{
		`warning: extra_config: namespace "telemetry/metrics" is not implemented by lambdagate and is ignored`,
		`warning: extra_config: namespace "telemetry/newrelic" is not implemented by lambdagate and is ignored`,
		`warning: endpoints[0].extra_config: namespace "documentation/openapi" is not implemented by lambdagate and is ignored`,
		`warning: endpoints[0].backend[0].extra_config: namespace "telemetry/opentelemetry" is not implemented here and is ignored`,
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("check output lacks %q; got:\n%s", w, stderr)
		}
	}
	gw := startGateway(t, cfg)
	if r := do(t, "GET", gw.URL+"/api/public", "", nil); r.Status != 200 {
		t.Errorf("GET /api/public: status %d body %q", r.Status, r.Body)
	}
	if logs := gw.Logs(); !strings.Contains(logs, `telemetry/metrics`) || !strings.Contains(logs, "is not implemented by lambdagate and is ignored") {
		t.Errorf("run did not log the warning:\n%s", gw.Logs())
	}
}
