package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// qos/ratelimit/service limits every request the gateway routes, to any
// endpoint, before routing: refused requests reach no backend. Rates
// every hour keep the wall clock out of the answers.
func TestServiceRateLimit(t *testing.T) {
	t.Parallel()
	type call struct {
		peer, path, key string
		status          int
		retry           string
	}
	for _, c := range []struct {
		name  string
		limit string
		calls []call
		hits  int64
	}{
		{"service limit across endpoints", `{"max_rate": 2, "capacity": 2, "every": "1h"}`, []call{
			{"192.0.2.1:1", "/a", "", 200, ""}, {"192.0.2.2:1", "/b", "", 200, ""},
			{"192.0.2.3:1", "/a", "", 503, "1800"}, {"192.0.2.3:1", "/nowhere", "", 503, "1800"},
		}, 2},
		{"client limit by ip across endpoints", `{"client_max_rate": 1, "every": "1h", "strategy": "ip"}`, []call{
			{"192.0.2.1:1", "/a", "", 200, ""}, {"192.0.2.1:2", "/b", "", 429, "3600"},
			{"192.0.2.2:1", "/b", "", 200, ""},
		}, 2},
		{"client first, then service", `{"max_rate": 2, "capacity": 2, "client_max_rate": 1, "every": "1h", "strategy": "header", "key": "X-Key"}`, []call{
			{"192.0.2.1:1", "/a", "k1", 200, ""}, {"192.0.2.1:1", "/a", "k1", 429, "3600"},
			{"192.0.2.1:1", "/b", "", 429, ""}, {"192.0.2.1:1", "/b", "k2", 200, ""},
			{"192.0.2.1:1", "/b", "k3", 503, "1800"},
		}, 2},
		{"both rates 0: no limit", `{"max_rate": 0}`, []call{
			{"192.0.2.1:1", "/a", "", 200, ""}, {"192.0.2.1:1", "/a", "", 200, ""}, {"192.0.2.1:1", "/a", "", 200, ""},
		}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"ok":true}`))
			}))
			defer srv.Close()
			h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"], "extra_config": {"qos/ratelimit/service": `+c.limit+`},
				"endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}, {"endpoint": "/b", "backend": [{"url_pattern": "/"}]}]}`, nil)
			for i, k := range c.calls {
				var hdr http.Header
				if k.key != "" {
					hdr = http.Header{"X-Key": {k.key}}
				}
				w := from(h, k.peer, k.path, hdr)
				want := k.status
				if want == 200 && k.path == "/nowhere" {
					want = 404
				}
				if w.Code != want || w.Header().Get("Retry-After") != k.retry || (want != 200 && w.Body.Len() != 0) {
					t.Errorf("call %d (%s %s key %q): %d, Retry-After %q, body %q; want %d, %q", i+1, k.peer, k.path, k.key, w.Code, w.Header().Get("Retry-After"), w.Body, want, k.retry)
				}
			}
			if n := hits.Load(); n != c.hits {
				t.Errorf("backend hits = %d, want %d", n, c.hits)
			}
		})
	}
}

func TestServiceRateLimitErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ limit, want string }{
		{`{"client_max_rate": 1, "strategy": "param", "key": "id"}`, `extra_config["qos/ratelimit/service"].strategy: the param strategy`},
		{`{"client_max_rate": 1}`, `extra_config["qos/ratelimit/service"].strategy: client_max_rate needs a strategy`},
		{`{"max_rate": -1}`, `extra_config["qos/ratelimit/service"].max_rate: must be`},
	} {
		cfg, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "extra_config": {"qos/ratelimit/service": ` + c.limit + `}, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = New(cfg, Options{Logger: quiet, Kinds: hello})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.limit, err, c.want)
		}
	}
	// On an endpoint, refused: KrakenD reads it on the service only.
	cfg, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "extra_config": {"qos/ratelimit/service": {"max_rate": 1}}, "backend": [{"url_pattern": "/"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = New(cfg, Options{Logger: quiet, Kinds: hello}); err == nil || !strings.Contains(err.Error(), "qos/ratelimit/service") {
		t.Errorf("on an endpoint: error %v", err)
	}
}
