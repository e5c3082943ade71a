package gateway

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

// KrakenD's examples repository, 6.traffic-throttling: GET / is not
// limited, GET /rate-limit has a max_rate of 1, so that two calls in a row
// answer 200 and then 503 with an empty body. (Its README documents the
// endpoints and the answers; this is the configuration it describes.)
func TestTrafficThrottlingExample(t *testing.T) {
	t.Parallel()
	h := builtGateway(t, `{"version": 3, "host": ["http://fake_api:80"], "endpoints": [
		{"endpoint": "/", "backend": [{"url_pattern": "/"}]},
		{"endpoint": "/rate-limit", "extra_config": {"qos/ratelimit/router": {"max_rate": 1}}, "backend": [{"url_pattern": "/"}]}]}`, hello)
	first := from(h, "192.0.2.1:1", "/rate-limit", nil)
	if first.Code != 200 || first.Body.String() != `{"message":"Hello world"}` || first.Header().Get("X-Krakend-Completed") != "true" {
		t.Fatalf("first call: %d %q %v", first.Code, first.Body, first.Header())
	}
	second := from(h, "192.0.2.1:1", "/rate-limit", nil)
	if second.Code != 503 || second.Body.Len() != 0 || second.Header().Get("Retry-After") != "1" {
		t.Fatalf("second call: %d %q %v; want 503, no body, Retry-After 1", second.Code, second.Body, second.Header())
	}
	for range 3 {
		if w := from(h, "192.0.2.1:1", "/", nil); w.Code != 200 {
			t.Fatalf("GET /, not limited: %d", w.Code)
		}
	}
}

func TestEndpointAndClientLimitsThroughTheGateway(t *testing.T) {
	t.Parallel()
	h := builtGateway(t, `{"version": 3, "host": ["h"], "endpoints": [
		{"endpoint": "/a", "extra_config": {"qos/ratelimit/router": {"max_rate": 3, "capacity": 3, "client_max_rate": 2, "client_capacity": 2, "every": "1h", "strategy": "ip"}},
		 "backend": [{"url_pattern": "/"}]}]}`, hello)
	for i, c := range []struct {
		peer   string
		status int
		retry  string
	}{
		{"192.0.2.1:1", 200, ""}, {"192.0.2.1:2", 200, ""},
		{"192.0.2.1:3", 429, "1800"}, // the client's 2 an hour: one back in 30 minutes
		{"192.0.2.2:1", 200, ""},
		{"192.0.2.3:1", 503, "1200"}, // the endpoint's 3 an hour: one back in 20 minutes
	} {
		w := from(h, c.peer, "/a", nil)
		if w.Code != c.status || w.Header().Get("Retry-After") != c.retry {
			t.Errorf("request %d from %s: %d, Retry-After %q; want %d, %q", i+1, c.peer, w.Code, w.Header().Get("Retry-After"), c.status, c.retry)
		}
	}
}

// A backend over its qos/ratelimit/proxy limit fails without being called,
// as any failed backend: alone, the endpoint answers 500 (KrakenD's status;
// with return_error_msg, the error's text); merged, the response is
// partial.
func TestBackendLimitFailsTheBackend(t *testing.T) {
	t.Parallel()
	url, calls := counted(t)
	h := builtGateway(t, `{"version": 3, "host": ["`+url+`"], "extra_config": {"router": {"return_error_msg": true}}, "endpoints": [
		{"endpoint": "/single", "backend": [{"url_pattern": "/", "extra_config": {"qos/ratelimit/proxy": {"max_rate": 1, "capacity": 1, "every": "1h"}}}]},
		{"endpoint": "/merged", "backend": [
			{"url_pattern": "/", "group": "free"},
			{"url_pattern": "/", "group": "limited", "extra_config": {"github.com/devopsfaith/krakend-ratelimit/juju/proxy": {"max_rate": 1, "every": "1h"}}}]}]}`, nil)
	if w := from(h, "192.0.2.1:1", "/single", nil); w.Code != 200 {
		t.Fatalf("first call: %d %q", w.Code, w.Body)
	}
	w := from(h, "192.0.2.1:1", "/single", nil)
	if w.Code != 500 || !strings.Contains(w.Body.String(), "rate limit of the backend exceeded") || w.Header().Get("X-Krakend-Completed") != "false" {
		t.Errorf("second call: %d %q %v; want 500 with the error's text", w.Code, w.Body, w.Header())
	}
	if calls.Load() != 1 {
		t.Errorf("the backend was called %d times, want 1: a refused call is never sent", calls.Load())
	}
	if w := from(h, "192.0.2.1:1", "/merged", nil); w.Code != 200 || w.Header().Get("X-Krakend-Completed") != "true" {
		t.Fatalf("merged, first call: %d %q", w.Code, w.Body)
	}
	w = from(h, "192.0.2.9:1", "/merged", nil) // another client: the limit is the backend's
	if w.Code != 200 || w.Header().Get("X-Krakend-Completed") != "false" || w.Body.String() != `{"free":{"xff":"192.0.2.9"}}` {
		t.Errorf("merged, second call: %d %q %v; want a partial 200 without the limited backend", w.Code, w.Body, w.Header())
	}
}

// The backend's rate limit runs before its circuit breaker, as in KrakenD:
// calls it refuses are never sent and are no failures of the backend's, so
// they never open its circuit.
func TestBackendLimitDoesNotTripTheCircuitBreaker(t *testing.T) {
	t.Parallel()
	url, calls := counted(t)
	h := builtGateway(t, `{"version": 3, "host": ["`+url+`"], "extra_config": {"router": {"return_error_msg": true}}, "endpoints": [
		{"endpoint": "/a", "backend": [{"url_pattern": "/", "extra_config": {
			"qos/ratelimit/proxy": {"max_rate": 1, "every": "1h"},
			"qos/circuit-breaker": {"interval": 60, "timeout": 60, "max_errors": 1}}}]}]}`, nil)
	if w := from(h, "192.0.2.1:1", "/a", nil); w.Code != 200 {
		t.Fatalf("first call: %d %q", w.Code, w.Body)
	}
	for i := range 5 {
		w := from(h, "192.0.2.1:1", "/a", nil)
		if w.Code != 500 || !strings.Contains(w.Body.String(), "rate limit of the backend exceeded") {
			t.Fatalf("refused call %d: %d %q; want the rate limit's error, not an open circuit", i+1, w.Code, w.Body)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("the backend was called %d times, want 1", calls.Load())
	}
}

// A client limit's cleanup goroutines end with its gateway.
func TestRateLimitStopsWithTheGateway(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := parse(t, `{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a",
		"extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "ip", "num_shards": 4, "cleanup_threads": 2}},
		"backend": [{"url_pattern": "/"}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet, Kinds: []backend.NewKind{kindtest.Canned([]byte(`{}`))}})
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	// A gateway refused after building a limit closes it too.
	cfg = parse(t, `{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a",
		"extra_config": {"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "ip"}, "auth/validator": {}},
		"backend": [{"url_pattern": "/"}]}]}`)
	if _, _, err := New(cfg, Options{Logger: quiet}); err == nil {
		t.Fatal("auth/validator was not refused")
	}
}
