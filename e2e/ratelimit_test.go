package e2e

import (
	"strings"
	"testing"
)

// KrakenD's examples repository, 6.traffic-throttling, through the binary:
// GET /rate-limit (max_rate 1) answers 200 and then 503 with an empty body;
// GET / is not limited. Its README documents these endpoints and answers.
func TestTrafficThrottlingExampleEndToEnd(t *testing.T) {
	t.Parallel()
	be := testBackend(t, "fake_api")
	g := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"], "endpoints": [
		{"endpoint": "/", "backend": [{"url_pattern": "/whoami"}]},
		{"endpoint": "/rate-limit", "extra_config": {"qos/ratelimit/router": {"max_rate": 1}}, "backend": [{"url_pattern": "/whoami"}]}]}`)
	if r := do(t, "GET", g.URL+"/rate-limit", "", nil); r.Status != 200 || r.Body != `{"server":"fake_api"}` {
		t.Fatalf("first call: %d %q", r.Status, r.Body)
	}
	if r := do(t, "GET", g.URL+"/rate-limit", "", nil); r.Status != 503 || r.Body != "" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("second call: %d %q %v; want 503, an empty body and Retry-After 1", r.Status, r.Body, r.Header)
	}
	for range 3 {
		if r := do(t, "GET", g.URL+"/", "", nil); r.Status != 200 {
			t.Fatalf("GET /: %d", r.Status)
		}
	}
}

// Behind a trusted proxy (here the test itself, on 127.0.0.1), the client
// limit counts the address the proxy forwarded; when the peer is not
// trusted, X-Forwarded-For changes nothing. KrakenD's legacy namespace
// names work as the current ones.
func TestClientLimitBehindAProxyEndToEnd(t *testing.T) {
	t.Parallel()
	be := testBackend(t, "api")
	endpoints := `"endpoints": [{"endpoint": "/a",
		"extra_config": {"github.com/devopsfaith/krakend-ratelimit/juju/router": {"client_max_rate": 1, "every": "1h", "strategy": "ip"}},
		"backend": [{"url_pattern": "/echo", "extra_config": {"github.com/devopsfaith/krakend-ratelimit/juju/proxy": {"max_rate": 100}}}]}]`
	trusted := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"], `+endpoints+`,
		"extra_config": {"router": {"forwarded_by_client_ip": true, "trusted_proxies": ["127.0.0.1", "::1"]}}}`)
	untrusted := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"], `+endpoints+`,
		"extra_config": {"router": {"forwarded_by_client_ip": true, "trusted_proxies": ["10.0.0.0/8"]}}}`)
	for _, c := range []struct {
		name string
		g    *gatewayProc
		xff  string
		want int
	}{
		{"trusted: a client", trusted, "203.0.113.1", 200},
		{"trusted: the same client again", trusted, "203.0.113.1", 429},
		{"trusted: another client", trusted, "6.6.6.6, 203.0.113.2", 200},
		{"untrusted: the peer", untrusted, "203.0.113.1", 200},
		{"untrusted: a spoofed address is still the peer", untrusted, "203.0.113.2", 429},
	} {
		r := do(t, "GET", c.g.URL+"/a", "", map[string]string{"X-Forwarded-For": c.xff})
		if r.Status != c.want {
			t.Errorf("%s: %d, want %d", c.name, r.Status, c.want)
		}
		if c.want == 429 && r.Header.Get("Retry-After") != "3600" {
			t.Errorf("%s: Retry-After %q, want 3600", c.name, r.Header.Get("Retry-After"))
		}
		if c.want == 200 && c.g == trusted && !strings.Contains(r.Body, `"X-Forwarded-For":["`+c.xff[strings.LastIndex(c.xff, " ")+1:]+`"]`) {
			t.Errorf("%s: the backend did not get the client's address: %s", c.name, r.Body)
		}
	}
}
