package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

// hello is a kind whose backends all answer the same object.
var hello = []backend.NewKind{kindtest.Canned([]byte(`{"message":"Hello world"}`))}

// builtGateway builds the gateway of cfgJSON with kinds before its own
// (hello, or nil for the backends the file says), closed when the test
// ends.
func builtGateway(t testing.TB, cfgJSON string, kinds []backend.NewKind) http.Handler {
	t.Helper()
	cfg, _, err := config.Parse([]byte(cfgJSON))
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := New(cfg, Options{Logger: quiet, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g.Handler()
}

// from serves a GET of target from the peer address with header lines.
func from(h http.Handler, peer, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = peer
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// counted is an HTTP backend that counts its calls and answers each with
// the X-Forwarded-For it got.
func counted(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	return backendServer(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"xff":"`+r.Header.Get("X-Forwarded-For")+`"}`)
	}}), &calls
}

// The backends' X-Forwarded-For is the client's address as the router
// options resolve it, as in KrakenD: behind a trusted proxy, the address
// it forwarded; from any other peer, the peer's, whatever it sent.
func TestXForwardedForIsTheClientsAddress(t *testing.T) {
	t.Parallel()
	url, _ := counted(t)
	endpoints := `"endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}]`
	trusting := builtGateway(t, `{"version": 3, "host": ["`+url+`"], `+endpoints+`,
		"extra_config": {"router": {"forwarded_by_client_ip": true, "trusted_proxies": ["10.0.0.0/8"]}}}`, nil)
	plain := builtGateway(t, `{"version": 3, "host": ["`+url+`"], `+endpoints+`}`, nil)
	spoofed := http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7"}}
	for _, c := range []struct {
		name string
		h    http.Handler
		peer string
		want string
	}{
		{"behind a trusted proxy", trusting, "10.0.0.1:1", "203.0.113.7"},
		{"an untrusted peer", trusting, "198.51.100.9:1", "198.51.100.9"},
		{"no forwarding configured", plain, "10.0.0.1:1", "10.0.0.1"},
	} {
		if w := from(c.h, c.peer, "/a", spoofed); w.Body.String() != `{"xff":"`+c.want+`"}` {
			t.Errorf("%s: backend saw %s, want X-Forwarded-For %s", c.name, w.Body, c.want)
		}
	}
}

func TestRouterClientIPOptions(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}],
		"extra_config": {"router": {"forwarded_by_client_ip": true, "remote_ip_headers": ["CF-Connecting-IP"], "trusted_proxies": ["10.0.0.0/8", "10.1"]}}}`)
	if _, _, err := New(cfg, Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), `extra_config.router.trusted_proxies[1]: "10.1" is not an IP address or a CIDR range`) {
		t.Errorf("error = %v", err)
	}
	cfg = parse(t, `{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}],
		"extra_config": {"router": {"forwarded_by_client_ip": true}}}`)
	g, warns, err := New(cfg, Options{Logger: quiet})
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "no trusted_proxies are set") {
		t.Errorf("warnings = %q, error %v", warns, err)
	}
	g.Close()
}
