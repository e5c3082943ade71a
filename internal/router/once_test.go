package router

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fastserver"
)

// countingRouter is newTestRouter counting its tree walks; POST
// /users/{id} has a body limit of its own.
func countingRouter(walks *atomic.Int64) *Router {
	rt := newTestRouter(Options{})
	rt.Add(Route{Method: "POST", Pattern: "/users/{id}", Handler: echo("post-user"), MaxBodyBytes: 64})
	rt.onWalk = func() { walks.Add(1) }
	return rt
}

// TestMatchedOnce: a request is matched once, whether the server routes it
// from its header (fastserver with Config.Route: Preroute) or the router
// does (net/http's server, fastserver without the hook), and it reaches
// the same route with the same params.
func TestMatchedOnce(t *testing.T) {
	t.Parallel()
	var walks atomic.Int64
	rt := countingRouter(&walks)
	servers := map[string]string{
		"fastserver, routed from the header": serveFast(t, rt, fastserver.Config{Route: rt.Preroute, MaxBodyBytes: 1 << 20}),
		"fastserver":                         serveFast(t, rt, fastserver.Config{MaxBodyBytes: 1 << 20}),
		"net/http":                           serveStd(t, rt),
	}
	for name, base := range servers {
		for _, tc := range []struct{ method, target, body, want string }{
			{"GET", "/users/42", "", "user 42"},
			{"GET", "/users/me?x=1", "", "me "},
			{"GET", "/users/42/posts/7", "", "post 42,7"},
			{"POST", "/users/42", "{}", "post-user 42"},
			{"GET", "/a/b/d", "", "axd b"},
			{"GET", "/", "", "root "},
		} {
			before := walks.Load()
			status, body := do(t, tc.method, base+tc.target, tc.body)
			if status != http.StatusOK || body != tc.want {
				t.Errorf("%s: %s %s: %d %q, want 200 %q", name, tc.method, tc.target, status, body, tc.want)
			}
			if n := walks.Load() - before; n != 1 {
				t.Errorf("%s: %s %s was matched %d times, want once", name, tc.method, tc.target, n)
			}
		}
	}
}

// TestPrerouteBodyLimit: the route's body limit, found from the header,
// refuses a larger body before the handler runs.
func TestPrerouteBodyLimit(t *testing.T) {
	t.Parallel()
	var walks atomic.Int64
	rt := countingRouter(&walks)
	base := serveFast(t, rt, fastserver.Config{Route: rt.Preroute, MaxBodyBytes: 1 << 20})
	for _, tc := range []struct {
		target string
		size   int
		status int
	}{
		{"/users/42", 64, http.StatusOK},
		{"/users/42", 65, http.StatusRequestEntityTooLarge},
		{"/users", 65, http.StatusMethodNotAllowed}, // no route: the server's limit
	} {
		if status, _ := do(t, "POST", base+tc.target, strings.Repeat("x", tc.size)); status != tc.status {
			t.Errorf("POST %s with %d bytes: %d, want %d", tc.target, tc.size, status, tc.status)
		}
	}
}

// TestPatternNamesRoute: a request whose Pattern names a route is served
// by it as it is, and one whose Pattern is not the router's is matched.
func TestPatternNamesRoute(t *testing.T) {
	t.Parallel()
	rt := newTestRouter(Options{})
	for _, tc := range []struct {
		pattern, method, target string
		want                    want
	}{
		// GET /users/me has a static route: the pattern is trusted.
		{"GET /users/{id}", "GET", "/users/me", want{status: 200, body: "user me"}},
		{"GET /users/{id}/posts/{post}", "GET", "/users/1/posts/2", want{status: 200, body: "post 1,2"}},
		{"POST /users/{id}", "GET", "/users/me", want{status: 200, body: "me "}},            // another method
		{"GET /users/{id}", "GET", "/users/1/posts/2", want{status: 200, body: "post 1,2"}}, // another shape
		{"GET /users/{id}", "GET", "/users/", want{status: 301, location: "/users"}},        // an empty placeholder
		{"GET /users/{id}", "GET", "/users/..", want{status: 400}},
		{"GET /", "GET", "/users/me", want{status: 200, body: "me "}},
		{"/users/{id}", "GET", "/users/me", want{status: 200, body: "me "}}, // a ServeMux pattern
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		r.Pattern = tc.pattern
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		t.Run(tc.pattern+" "+tc.target, func(t *testing.T) { check(t, w, tc.want) })
	}
}

func serveFast(t *testing.T, h http.Handler, c fastserver.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := fastserver.New(h, c)
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ln) }()
	t.Cleanup(func() { s.Close(); ln.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func serveStd(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
