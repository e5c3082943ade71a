package e2e

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A KrakenD file with CORS and HTTP security on the service, under their
// legacy names: the binary refuses a host it does not serve with 400,
// answers a preflight on a POST-only endpoint itself (no backend call),
// and gives actual requests the CORS and security headers.
func TestEdgeLayers(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(be.Close)
	gw := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"],
	  "extra_config": {
	    "github_com/devopsfaith/krakend-httpsecure": {"allowed_hosts": ["api.example.com"], "host_proxy_headers": ["X-Forwarded-Host"],
	      "frame_deny": true},
	    "github_com/devopsfaith/krakend-cors": {"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST"], "max_age": "10m"}},
	  "endpoints": [
	    {"endpoint": "/orders", "method": "POST", "backend": [{"url_pattern": "/orders"}]},
	    {"endpoint": "/orders/{id}", "backend": [{"url_pattern": "/orders/{id}"}]}]}`)
	api := map[string]string{"X-Forwarded-Host": "api.example.com", "Origin": "https://app.example.com"}

	r := do(t, "OPTIONS", gw.URL+"/orders", "", map[string]string{
		"X-Forwarded-Host": "api.example.com", "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.Header.Get("Access-Control-Allow-Methods") != "POST" || r.Header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %d %v", r.Status, r.Header)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the preflight called the backend %d times", n)
	}

	r = do(t, "GET", gw.URL+"/orders/1", "", api)
	if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET: %d %v %q", r.Status, r.Header, r.Body)
	}

	r = do(t, "GET", gw.URL+"/orders/1", "", map[string]string{"X-Forwarded-Host": "evil.example.com"})
	if r.Status != 400 {
		t.Errorf("GET for another host: %d %q, want 400", r.Status, r.Body)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("backend called %d times, want once (the allowed GET)", n)
	}
}
