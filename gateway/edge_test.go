package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/internal/kindtest"
	"github.com/lambdagate/lambdagate/internal/layertest"
	"github.com/lambdagate/lambdagate/internal/router"
)

const site = "https://app.example.com"

// countingBackend is an HTTP backend that counts its calls and answers
// {"ok": true}, with the extra headers given.
func countingBackend(t *testing.T, headers map[string]string) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

// engines serves the gateway cfg builds on each engine: net/http (through
// httptest.Server) and fasthttp (Listen and Serve on 127.0.0.1, as
// lambdagate run does). It returns each engine's base URL.
func engines(t *testing.T, cfg string) map[string]string {
	t.Helper()
	urls := map[string]string{}
	for _, engine := range []string{EngineNetHTTP, EngineFast} {
		c := parse(t, cfg)
		c.ListenIP, c.Port = "127.0.0.1", 0
		g, _, err := New(c, Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if engine == EngineNetHTTP {
			srv := httptest.NewServer(g.Handler())
			t.Cleanup(srv.Close)
			urls[engine] = srv.URL
			continue
		}
		ln, err := g.Listen()
		if err != nil {
			t.Fatal(err)
		}
		urls[engine] = "http://" + ln.Addr().String()
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- g.Serve(ctx, ln) }()
		t.Cleanup(func() {
			stop()
			select {
			case <-served:
			case <-time.After(5 * time.Second):
				t.Error("Serve did not return")
			}
		})
	}
	return urls
}

// call sends one request and returns the response with its body read.
func call(t *testing.T, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// noRedirects is a client that shows redirects rather than following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// edgeCase is one request to a gateway with route layers, and its answer.
type edgeCase struct {
	name, method, path string
	header             map[string]string
	status             int
	want               map[string]string // headers; "" means absent
	backend            bool              // whether the backend is called
}

// runEdgeCases sends every case to each engine's gateway, counting the
// backend's calls in hits.
func runEdgeCases(t *testing.T, urls map[string]string, hits *atomic.Int64, cases []edgeCase) {
	t.Helper()
	for engine, url := range urls {
		for _, tt := range cases {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				before := hits.Load()
				resp, body := call(t, tt.method, url+tt.path, tt.header)
				if resp.StatusCode != tt.status {
					t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
				}
				layertest.Headers(t, resp.Header, tt.want)
				if called := hits.Load() > before; called != tt.backend {
					t.Errorf("backend called = %v, want %v", called, tt.backend)
				}
			})
		}
	}
}

func preflightTo(method string) map[string]string {
	return map[string]string{"Origin": site, "Access-Control-Request-Method": method}
}

// With security/cors on the service, a preflight is answered by the CORS
// layer for every path: a POST-only route, a GET-only one (the router
// alone answers 405), a path no route serves (404 without the layer, as
// KrakenD answers it too), without calling any backend. Actual requests
// get the CORS headers; an origin not listed gets none.
func TestCORSThroughGateway(t *testing.T) {
	t.Parallel()
	host, hits := countingBackend(t, nil)
	urls := engines(t, `{"version": 3, "host": ["`+host+`"],
		"extra_config": {"security/cors": {"allow_origins": ["`+site+`"], "allow_methods": ["GET", "POST"],
			"allow_headers": ["Content-Type", "Authorization"], "expose_headers": ["X-Krakend-Completed"],
			"allow_credentials": true, "max_age": "1h"}},
		"endpoints": [
			{"endpoint": "/orders", "method": "POST", "backend": [{"url_pattern": "/orders"}]},
			{"endpoint": "/users/{id}", "backend": [{"url_pattern": "/users/{id}"}]}]}`)
	allowed := map[string]string{
		"Access-Control-Allow-Origin":      site,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Max-Age":           "3600",
	}
	runEdgeCases(t, urls, hits, []edgeCase{
		{"preflight on a POST-only route", "OPTIONS", "/orders", preflightTo("POST"), 204,
			merge(allowed, map[string]string{"Access-Control-Allow-Methods": "POST"}), false},
		{"preflight with request headers", "OPTIONS", "/orders",
			merge(preflightTo("POST"), map[string]string{"Access-Control-Request-Headers": "authorization,content-type"}), 204,
			map[string]string{"Access-Control-Allow-Headers": "authorization,content-type"}, false},
		{"preflight on a GET-only route (the router alone answers 405)", "OPTIONS", "/users/1", preflightTo("GET"), 204,
			merge(allowed, map[string]string{"Access-Control-Allow-Methods": "GET"}), false},
		{"preflight on a path no route serves (404 without the layer)", "OPTIONS", "/nowhere", preflightTo("GET"), 204,
			allowed, false},
		{"preflight from an origin not listed", "OPTIONS", "/orders",
			map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"}, 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false},
		{"preflight for a method not allowed", "OPTIONS", "/orders", preflightTo("DELETE"), 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false},
		{"actual request", "GET", "/users/1", map[string]string{"Origin": site}, 200,
			merge(allowed, map[string]string{"Access-Control-Expose-Headers": "X-Krakend-Completed", "Access-Control-Max-Age": "", "Vary": "Origin"}), true},
		{"actual request from an origin not listed", "GET", "/users/1", map[string]string{"Origin": "https://evil.example.com"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": "", "Access-Control-Expose-Headers": ""}, true},
		{"an OPTIONS that is not a preflight reaches the router", "OPTIONS", "/users/1", map[string]string{"Origin": site}, 405,
			map[string]string{"Allow": "GET"}, false},
	})
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// A backend (a no-op endpoint's HTTP backend, an unwrapped Lambda result)
// that sets CORS headers itself does not add a second
// Access-Control-Allow-Origin, nor replace the policy's: the client gets
// the CORS layer's headers only.
func TestCORSHeadersNotDuplicated(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCORS")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "cors-secret")
	corsHeaders := map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "DELETE"}
	host, _ := countingBackend(t, corsHeaders)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*", "access-control-allow-methods": "DELETE",
			"Content-Type": "application/json"}, "multiValueHeaders": {"Access-Control-Allow-Origin": ["https://a.example.com", "https://b.example.com"]},
			"body": "{\"ok\": true}"}`)
	}))
	defer fn.Close()
	urls := engines(t, `{"version": 3, "host": ["`+host+`"],
		"extra_config": {"security/cors": {"allow_origins": ["`+site+`"]}},
		"endpoints": [
			{"endpoint": "/noop", "output_encoding": "no-op", "backend": [{"url_pattern": "/x", "encoding": "no-op"}]},
			{"endpoint": "/lambda", "backend": [{"host": ["x"], "url_pattern": "/", "extra_config": {"backend/lambda": {
				"function_name": "fn", "region": "us-east-1", "endpoint": "`+fn.URL+`", "response_format": "apigateway"}}}]}]}`)
	for engine, url := range urls {
		for _, path := range []string{"/noop", "/lambda"} {
			for _, tc := range []struct {
				origin string
				want   []string
			}{
				{site, []string{site}},
				{"https://evil.example.com", nil},
			} {
				t.Run(engine+path+" from "+tc.origin, func(t *testing.T) {
					resp, body := call(t, "GET", url+path, map[string]string{"Origin": tc.origin})
					if resp.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
						t.Fatalf("status %d body %q", resp.StatusCode, body)
					}
					if got := resp.Header.Values("Access-Control-Allow-Origin"); strings.Join(got, "|") != strings.Join(tc.want, "|") {
						t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.want)
					}
					if got := resp.Header.Values("Access-Control-Allow-Methods"); len(got) != 0 {
						t.Errorf("the backend's Access-Control-Allow-Methods reached the client: %q", got)
					}
				})
			}
		}
	}
}

// With security/http on the service, a request for a host allowed_hosts
// does not list gets 400 before routing: no backend is called, even for a
// path no route serves or for a preflight (the HTTP security layer is
// outside the CORS layer). ssl_redirect redirects plain HTTP unless the
// SSL proxy header says the client used HTTPS, and the headers reach every
// answer, preflights included.
func TestHTTPSecurityThroughGateway(t *testing.T) {
	t.Parallel()
	host, hits := countingBackend(t, nil)
	urls := engines(t, `{"version": 3, "host": ["`+host+`"],
		"extra_config": {
			"security/http": {"allowed_hosts": ["api.example.com"], "ssl_redirect": true,
				"ssl_proxy_headers": {"X-Forwarded-Proto": "https"}, "sts_seconds": 300, "frame_deny": true,
				"content_type_nosniff": true},
			"security/cors": {"allow_origins": ["`+site+`"]}},
		"endpoints": [{"endpoint": "/users/{id}", "backend": [{"url_pattern": "/users/{id}"}]}]}`)
	https := map[string]string{"Host": "api.example.com", "X-Forwarded-Proto": "https"}
	runEdgeCases(t, urls, hits, []edgeCase{
		{"allowed host over HTTPS", "GET", "/users/1", https, 200,
			map[string]string{"Strict-Transport-Security": "max-age=300", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}, true},
		{"host not allowed", "GET", "/users/1", map[string]string{"Host": "evil.example.com", "X-Forwarded-Proto": "https"}, 400,
			map[string]string{"X-Frame-Options": ""}, false},
		{"host not allowed, on a path no route serves", "GET", "/nowhere", map[string]string{"Host": "evil.example.com"}, 400, nil, false},
		{"host not allowed, on a preflight", "OPTIONS", "/users/1",
			merge(preflightTo("GET"), map[string]string{"Host": "evil.example.com", "X-Forwarded-Proto": "https"}), 400,
			map[string]string{"Access-Control-Allow-Origin": ""}, false},
		{"plain HTTP is redirected", "GET", "/users/1?x=1", map[string]string{"Host": "api.example.com"}, 301,
			map[string]string{"Location": "https://api.example.com/users/1?x=1"}, false},
		{"preflight over HTTPS gets both layers' headers", "OPTIONS", "/users/1", merge(preflightTo("GET"), https), 204,
			map[string]string{"Access-Control-Allow-Origin": site, "X-Frame-Options": "DENY", "Strict-Transport-Security": "max-age=300"}, false},
	})
}

// The layers sit inside the panic recovery: a panic behind them is still a
// 500, and the server goes on serving.
func TestPanicRecoveredBehindEdgeLayers(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"],
		"extra_config": {"security/cors": {}, "security/http": {"frame_deny": true}},
		"endpoints": [{"endpoint": "/panic", "backend": [{"url_pattern": "/x", "extra_config": {"test/panic": {}}}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet, Kinds: []backend.NewKind{kindtest.Panicking("boom")}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/panic", nil)
		r.Header.Set("Origin", site)
		g.Handler().ServeHTTP(w, r)
		if w.Code != 500 {
			t.Errorf("status %d, want 500", w.Code)
		}
	}
}

// A layer the file does not use is absent: with neither namespace the
// router is served as it is, not through a pass-through wrapper.
func TestAbsentLayersCostNothing(t *testing.T) {
	t.Parallel()
	rt := router.New(router.Options{})
	if h := wrap(rt, nil, nil); h != http.Handler(rt) {
		t.Errorf("wrap with absent layers = %T, want the router itself", h)
	}
	var order []string
	layer := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	wrap(rt, layer("cors"), nil, layer("security/http")).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if strings.Join(order, " → ") != "security/http → cors" {
		t.Errorf("layers ran %q, want the last outermost", order)
	}
}
