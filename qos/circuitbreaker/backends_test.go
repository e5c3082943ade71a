package circuitbreaker_test

// These tests run whole gateways (gateway.New, no listener) over real HTTP
// backends and the fake Lambda Invoke API, and count the calls those
// receive: an open circuit must not reach them at all.

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/gateway"
	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// fakeAWSCredentials gives the Lambda backends credentials to sign with
// (the fake Invoke API checks no signature) and no instance metadata.
func fakeAWSCredentials(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCIRCUITBREAKER")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "circuit-breaker-dummy-secret")
}

var quiet = slog.New(slog.DiscardHandler)

// breaker is the namespace of every test here: the first failure opens the
// circuit, for longer than any test.
const breaker = `"qos/circuit-breaker": {"interval": 60, "timeout": 60, "max_errors": 0, "name": "cb"}`

// openMsg is the body of a request refused by the open circuit, with
// router.return_error_msg.
const openMsg = `circuit breaker "cb" is open: the backend is not called`

// serveGateway builds a gateway from cfg and returns its handler.
func serveGateway(t *testing.T, cfg string) http.Handler {
	t.Helper()
	s, _, err := config.Parse([]byte(cfg))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, cfg)
	}
	g, _, err := gateway.New(s, gateway.Options{Logger: quiet})
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	t.Cleanup(g.Close)
	return g.Handler()
}

func get(h http.Handler, path string) (int, string, http.Header) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w.Code, w.Body.String(), w.Header()
}

// countingBackend is an HTTP backend that counts the requests of each
// path: /status/N[/anything] answers N, /invalid-json a body that is not
// JSON, /hang only when the caller gives up.
type countingBackend struct {
	URL   string
	mu    sync.Mutex
	calls map[string]int
}

func newCountingBackend(t *testing.T) *countingBackend {
	cb := &countingBackend{calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb.mu.Lock()
		cb.calls[r.URL.Path]++
		cb.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/status/"):
			code, _ := strconv.Atoi(strings.Split(p, "/")[2])
			w.WriteHeader(code)
			io.WriteString(w, `{"ok":true}`)
		case p == "/invalid-json":
			io.WriteString(w, `{"ok": tru`)
		case p == "/hang":
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	cb.URL = srv.URL
	return cb
}

func (cb *countingBackend) count(path string) int {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.calls[path]
}

// What counts as a failure of an HTTP backend: every error of its
// pipeline, as in KrakenD, where the breaker wraps the whole backend
// proxy. After one failure (max_errors 0) the backend is not called again.
func TestHTTPBackendFailuresOpenTheCircuit(t *testing.T) {
	t.Parallel()
	be := newCountingBackend(t)
	tests := []struct {
		name     string
		path     string
		encoding string
		extra    string // more backend namespaces
		timeout  string
		failure  bool
		firstHas int // the first answer's status
	}{
		{"200", "/status/200", "json", ``, "1s", false, 200},
		{"201", "/status/201", "json", ``, "1s", false, 201},
		{"404", "/status/404", "json", ``, "1s", true, 500},
		{"500", "/status/500", "json", ``, "1s", true, 500},
		{"relayed 503 (return_error_code)", "/status/503", "json", `"backend/http": {"return_error_code": true}, `, "1s", true, 503},
		{"a reply its encoding cannot decode", "/invalid-json", "json", ``, "1s", true, 500},
		{"the endpoint's timeout", "/hang", "json", ``, "300ms", true, 500},
		// no-op passes every status through: KrakenD counts none as an
		// error.
		{"500 with no-op encoding", "/status/500/no-op", "no-op", ``, "1s", false, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			output := tt.encoding
			h := serveGateway(t, `{"version": 3, "host": ["`+be.URL+`"], "timeout": "`+tt.timeout+`",
				"extra_config": {"router": {"return_error_msg": true}},
				"endpoints": [{"endpoint": "/e", "output_encoding": "`+output+`", "backend": [{
					"url_pattern": "`+tt.path+`", "encoding": "`+tt.encoding+`", "extra_config": {`+tt.extra+breaker+`}}]}]}`)
			path := tt.path
			before := be.count(path)
			if code, body, _ := get(h, "/e"); code != tt.firstHas {
				t.Fatalf("first call: %d %q, want %d", code, body, tt.firstHas)
			}
			if n := be.count(path) - before; n != 1 {
				t.Fatalf("first call: %d calls reached the backend, want 1", n)
			}
			code, body, _ := get(h, "/e")
			calls := be.count(path) - before
			if !tt.failure {
				if calls != 2 {
					t.Errorf("after a success: %d calls reached the backend, want 2", calls)
				}
				return
			}
			if calls != 1 {
				t.Errorf("open circuit: %d calls reached the backend, want 1 (the first)", calls)
			}
			if code != http.StatusInternalServerError || body != openMsg {
				t.Errorf("open circuit answered %d %q, want 500 %q", code, body, openMsg)
			}
		})
	}
}

func TestUnreachableHostOpensTheCircuit(t *testing.T) {
	t.Parallel()
	h := serveGateway(t, `{"version": 3, "host": ["http://127.0.0.1:1"],
		"extra_config": {"router": {"return_error_msg": true}},
		"endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/x", "extra_config": {`+breaker+`}}]}]}`)
	if _, body, _ := get(h, "/e"); !strings.Contains(body, "refused") {
		t.Fatalf("first call: %q, want the connection refused", body)
	}
	if code, body, _ := get(h, "/e"); code != 500 || body != openMsg {
		t.Errorf("second call: %d %q, want 500 %q", code, body, openMsg)
	}
}

// In a merge, the open backend fails as any failed backend does: the
// others answer, and the response is partial.
func TestOpenCircuitInAMergeGivesAPartialResponse(t *testing.T) {
	t.Parallel()
	be := newCountingBackend(t)
	h := serveGateway(t, `{"version": 3, "host": ["`+be.URL+`"],
		"endpoints": [{"endpoint": "/e", "backend": [
			{"url_pattern": "/status/200", "group": "up"},
			{"url_pattern": "/status/502", "group": "down", "extra_config": {`+breaker+`}}]}]}`)
	for i := range 3 {
		code, body, hdr := get(h, "/e")
		if code != 200 || body != `{"up":{"ok":true}}` || hdr.Get("X-Krakend-Completed") != "false" {
			t.Errorf("call %d: %d %q completed=%q, want 200 with the other backend's data, partial", i, code, body, hdr.Get("X-Krakend-Completed"))
		}
	}
	if n := be.count("/status/502"); n != 1 {
		t.Errorf("the failed backend was called %d times, want 1", n)
	}
	if n := be.count("/status/200"); n != 3 {
		t.Errorf("the healthy backend was called %d times, want 3", n)
	}
}

// What counts as a failure of a Lambda backend: every failed invocation
// (throttles, Lambda's service errors, the function's own errors, results
// that are not JSON, the endpoint's timeout, an unreachable endpoint).
// After one failure the function is not invoked again.
func TestLambdaFailuresOpenTheCircuit(t *testing.T) {
	fakeAWSCredentials(t)
	fake := fakelambda.Start()
	t.Cleanup(fake.Close)
	tests := []struct {
		function string
		timeout  string
		failure  bool
		status   int // the first answer's
	}{
		{fakelambda.OK, "1s", false, 200},
		{fakelambda.Throttle, "1s", true, 429},
		{fakelambda.Error500, "1s", true, 502},
		{fakelambda.Error503, "1s", true, 502},
		{fakelambda.Handled, "1s", true, 502},
		{fakelambda.Unhandled, "1s", true, 502},
		{fakelambda.InvalidJSON, "1s", true, 502},
		{fakelambda.ResetBefore, "1s", true, 502},
		{fakelambda.Hang, "300ms", true, 504},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			h := serveGateway(t, `{"version": 3, "timeout": "`+tt.timeout+`",
				"extra_config": {"router": {"return_error_msg": true}},
				"endpoints": [{"endpoint": "/e", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
					"extra_config": {"backend/lambda": {"function_name": "`+tt.function+`", "endpoint": "`+fake.URL+`"}, `+breaker+`}}]}]}`)
			if code, body, _ := get(h, "/e"); code != tt.status {
				t.Fatalf("first call: %d %q, want %d", code, body, tt.status)
			}
			if n := fake.Attempts(tt.function); n != 1 {
				t.Fatalf("first call: %d invocations, want 1", n)
			}
			code, body, _ := get(h, "/e")
			want := 1
			if !tt.failure {
				want = 2
			}
			if n := fake.Attempts(tt.function); n != want {
				t.Errorf("%d invocations, want %d", n, want)
			}
			if tt.failure && (code != 500 || body != openMsg) {
				t.Errorf("open circuit answered %d %q, want 500 %q", code, body, openMsg)
			}
		})
	}
}

// A function name the gateway refuses before invoking (not in
// allowed_functions) fails the backend like any other error, so it counts:
// one breaker guards every function the backend may invoke.
func TestRefusalBeforeInvokingCounts(t *testing.T) {
	fakeAWSCredentials(t)
	fake := fakelambda.Start()
	t.Cleanup(fake.Close)
	h := serveGateway(t, `{"version": 3,
		"endpoints": [{"endpoint": "/fn/{fn}", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "fn", "allowed_functions": ["ok"], "endpoint": "`+fake.URL+`"}, `+breaker+`}}]}]}`)
	if code, _, _ := get(h, "/fn/other"); code != 404 {
		t.Fatalf("disallowed function: %d, want 404", code)
	}
	if code, _, _ := get(h, "/fn/ok"); code != 500 {
		t.Errorf("allowed function after the refusal: %d, want 500 (the circuit is open)", code)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("%d invocations, want none", n)
	}
}
