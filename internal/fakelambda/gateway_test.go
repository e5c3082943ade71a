package fakelambda_test

// These tests run the gateway in-process (gateway.New, Serve on a
// 127.0.0.1 listener) against the fault server, so that the leak detector
// sees every goroutine: after each test, once the gateway has stopped and
// the servers are closed, no goroutine may be left. They do not run in
// parallel, for the same reason.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/syncbuf"

	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/gateway"
	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

func TestMain(m *testing.M) {
	// No test may reach the instance-metadata address or real AWS.
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID":         "AKIDFAULTSDUMMY",
		"AWS_SECRET_ACCESS_KEY":     "faults-dummy-secret",
		"AWS_REGION":                "us-east-1",
	} {
		os.Setenv(k, v)
	}
	m.Run()
}

// leakOptions are the leak detector's options for a test starting now: the
// goroutines already running are not the test's, nor are the connection
// pool's housekeepers (fasthttp's idle-connection and DNS-cache cleaners:
// one per client, host or dialer, not per request; they end once their
// pool is empty, or live as long as the process for the dialer's).
func leakOptions() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"),
		// fastserver's: fasthttp's worker-pool cleaner sleeps up to 10 s
		// (MaxIdleWorkerDuration) before it sees the server stopped, and
		// its Date-header clock runs once per process.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	}
}

// served is a gateway serving on 127.0.0.1.
type served struct {
	URL  string
	logs *syncbuf.Buffer
	stop func(t *testing.T)
}

// serve builds a gateway from cfgJSON and serves it until stop.
func serve(t *testing.T, cfgJSON string, kinds ...backend.NewKind) *served {
	t.Helper()
	cfg, _, err := config.Parse([]byte(cfgJSON))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncbuf.Buffer{}
	opts := gateway.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}
	opts.Kinds = kinds
	g, _, err := gateway.New(cfg, opts)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln) }()
	s := &served{URL: "http://" + ln.Addr().String(), logs: logs}
	s.stop = func(t *testing.T) {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the gateway did not stop")
		}
	}
	return s
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func fetch(t *testing.T, c *http.Client, method, url string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// fetchAll sends GET base+prefix+fault for every fault at once.
func fetchAll(t *testing.T, c *http.Client, base string) map[string]answer {
	t.Helper()
	var mu sync.Mutex
	out := map[string]answer{}
	var wg sync.WaitGroup
	for _, f := range fakelambda.All {
		wg.Go(func() {
			a := fetch(t, c, "GET", base+f, nil)
			mu.Lock()
			out[f] = a
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func newClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// faultsConfig is a gateway whose endpoints reach the fault server:
// /l/{function} (Lambda, max_retries 0), /r/{function} (Lambda,
// max_retries 1) and /h/{name} (HTTP).
func faultsConfig(fs *fakelambda.Server, returnErrorMsg bool) string {
	return fmt.Sprintf(`{"version": 3, "timeout": "1s",
		"extra_config": {"router": {"return_error_msg": %t}},
		"endpoints": [
		{"endpoint": "/l/{function}", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "function", "allowed_functions": ["*"], "endpoint": %q}}}]},
		{"endpoint": "/r/{function}", "timeout": "3s", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "function", "allowed_functions": ["*"], "endpoint": %q, "max_retries": 1}}}]},
		{"endpoint": "/h/{name}", "backend": [{"host": [%q], "url_pattern": "/fault/{name}"}]}
	]}`, returnErrorMsg, fs.URL, fs.URL, fs.URL)
}

// lambdaStatus is docs/lambda.md's error table for each fault.
var lambdaStatus = map[string]int{
	fakelambda.Throttle: 429, fakelambda.ThrottleBare: 429,
	fakelambda.Error500: 502, fakelambda.Error502: 502, fakelambda.Error503: 502,
	fakelambda.ResetBefore: 502, fakelambda.ResetDuring: 502,
	fakelambda.Slow: 504, fakelambda.Hang: 504,
	fakelambda.Truncate: 502, fakelambda.InvalidJSON: 502, fakelambda.Huge: 200,
	fakelambda.Handled: 502, fakelambda.Unhandled: 502,
}

// lambdaAttempts is how many invocations max_retries 1 makes: what the
// SDK's standard rules call retryable (throttling, 5xx service errors, a
// connection reset, before or during the reply, as the SDK retries it) is
// tried twice; a function that ran and failed, a reply that ends early
// (truncated), a result that is not JSON and the endpoint timeout are not.
var lambdaAttempts = map[string]int{
	fakelambda.Throttle: 2, fakelambda.ThrottleBare: 2,
	fakelambda.Error500: 2, fakelambda.Error502: 2, fakelambda.Error503: 2,
	fakelambda.ResetBefore: 2, fakelambda.ResetDuring: 2,
	fakelambda.Slow: 1, fakelambda.Hang: 1,
	fakelambda.Truncate: 1, fakelambda.InvalidJSON: 1, fakelambda.Huge: 1,
	fakelambda.Handled: 1, fakelambda.Unhandled: 1,
}

// lambdaMsg is what return_error_msg shows of each fault.
var lambdaMsg = map[string]string{
	fakelambda.Throttle:     "TooManyRequestsException",
	fakelambda.ThrottleBare: "TooManyRequestsException",
	fakelambda.Error500:     "ServiceException (HTTP 500)",
	fakelambda.Error502:     "EC2UnexpectedException (HTTP 502)",
	fakelambda.Error503:     "ServiceUnavailableException (HTTP 503)",
	fakelambda.Slow:         "endpoint timeout reached",
	fakelambda.Hang:         "endpoint timeout reached",
	fakelambda.InvalidJSON:  "is not valid JSON",
	fakelambda.Handled:      `lambda function "handled" failed (Handled): ValidationError: order 7 is not valid`,
	fakelambda.Unhandled:    `lambda function "unhandled" failed (Unhandled): TypeError: Cannot read properties of undefined`,
}

// httpMsg is what return_error_msg shows of each fault of an HTTP backend.
var httpMsg = map[string]string{
	fakelambda.Throttle: "answered status 429", fakelambda.ThrottleBare: "answered status 429",
	fakelambda.Error500: "answered status 500", fakelambda.Error502: "answered status 502", fakelambda.Error503: "answered status 503",
	fakelambda.Handled: "answered status 500", fakelambda.Unhandled: "answered status 500",
	fakelambda.InvalidJSON: "not valid JSON",
}

// HTTP backends are not retried, with one exception that is net/http's:
// a GET (HEAD, OPTIONS) sent on a reused keep-alive connection that fails
// before any byte of the reply (ResetBefore) is sent again on another
// connection, as the server may have closed an idle connection; each
// replay uses up a pooled connection, so it is bounded by the idle pool.

// httpStatus: an HTTP backend that fails leaves the endpoint with no data:
// 500, as KrakenD (the endpoint timeout included).
func httpStatus(f string) int {
	if f == fakelambda.Huge {
		return 200
	}
	return 500
}

// stackOrSecret matches what no error body may hold: a stack trace (Go's
// or the function's) or the function's error payload itself.
var stackOrSecret = regexp.MustCompile(`goroutine \d|stackTrace|/var/task|\.go:\d`)

// TestFaults drives every fault through Lambda and HTTP backends of an
// in-process gateway, with and without return_error_msg, and checks the
// status, body and Retry-After each client gets, how many attempts reached
// the server, that the gateway gave up on calls it stopped waiting for,
// and that no goroutine is left once the gateway stops.
func TestFaults(t *testing.T) {
	defer goleak.VerifyNone(t, leakOptions()...)
	fs := fakelambda.Start()
	defer fs.Close()
	c := newClient()
	defer c.CloseIdleConnections()

	for _, withMsg := range []bool{false, true} {
		g := serve(t, faultsConfig(fs, withMsg))
		name := map[bool]string{false: "plain", true: "return_error_msg"}[withMsg]

		t.Run(name+"/lambda", func(t *testing.T) {
			fs.Reset()
			got := fetchAll(t, c, g.URL+"/l/")
			for _, f := range fakelambda.All {
				a := got[f]
				checkAnswer(t, "lambda "+f, a, lambdaStatus[f], withMsg, lambdaMsg[f])
				if withMsg && testing.Verbose() {
					t.Logf("lambda %s: %d %.200q", f, a.status, a.body)
				}
				if n := fs.Attempts(f); n != 1 {
					t.Errorf("lambda %s, max_retries 0: %d attempts, want 1", f, n)
				}
			}
			if ra := got[fakelambda.Throttle].header.Get("Retry-After"); ra != fakelambda.RetryAfter {
				t.Errorf("throttle: Retry-After %q, want %q", ra, fakelambda.RetryAfter)
			}
			if ra, ok := got[fakelambda.ThrottleBare].header["Retry-After"]; ok {
				t.Errorf("throttle without Retry-After: the client got Retry-After %q", ra)
			}
			if len(got[fakelambda.Huge].body) < fakelambda.HugeBytes {
				t.Errorf("huge: %d bytes, want the whole %d", len(got[fakelambda.Huge].body), fakelambda.HugeBytes)
			}
		})
		if !withMsg {
			t.Run("retries", func(t *testing.T) {
				fs.Reset()
				got := fetchAll(t, c, g.URL+"/r/")
				for _, f := range fakelambda.All {
					if got[f].status != lambdaStatus[f] {
						t.Errorf("lambda %s, max_retries 1: status %d, want %d", f, got[f].status, lambdaStatus[f])
					}
					if n := fs.Attempts(f); n != lambdaAttempts[f] {
						t.Errorf("lambda %s, max_retries 1: %d attempts, want %d", f, n, lambdaAttempts[f])
					}
				}
			})
		}
		t.Run(name+"/http", func(t *testing.T) {
			fs.Reset()
			got := fetchAll(t, c, g.URL+"/h/")
			for _, f := range fakelambda.All {
				checkAnswer(t, "http "+f, got[f], httpStatus(f), withMsg, httpMsg[f])
				if withMsg && testing.Verbose() {
					t.Logf("http %s: %d %.200q", f, got[f].status, got[f].body)
				}
				if n := fs.Attempts(f); n != 1 && !(f == fakelambda.ResetBefore && n > 1) {
					t.Errorf("http %s: %d attempts, want 1 (HTTP backends are not retried)", f, n)
				}
			}
		})
		g.stop(t)
	}
	// The gateway stopped waiting for each Slow and Hang call and closed
	// it: the server saw every caller go away. Slow and Hang on /l and /h
	// for both gateways, and on /r once: 10.
	const abandoned = 10
	deadline := time.Now().Add(5 * time.Second)
	for fs.Abandoned() < abandoned && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := fs.Abandoned(); n != abandoned {
		t.Errorf("%d slow or hanging calls abandoned by the gateway, want %d", n, abandoned)
	}
}

// checkAnswer checks a failed (or successful) answer's status and body:
// without return_error_msg an error body is empty; with it, it names the
// cause (msg) and never holds a stack trace.
func checkAnswer(t *testing.T, what string, a answer, status int, withMsg bool, msg string) {
	t.Helper()
	if a.status != status {
		t.Errorf("%s: status %d, want %d (body %.200q)", what, a.status, status, a.body)
	}
	if status == 200 {
		return
	}
	if a.header.Get("X-Krakend-Completed") != "false" {
		t.Errorf("%s: X-Krakend-Completed %q", what, a.header.Get("X-Krakend-Completed"))
	}
	if !withMsg {
		if len(a.body) != 0 {
			t.Errorf("%s: body %.200q without return_error_msg, want none", what, a.body)
		}
		return
	}
	if len(a.body) == 0 || !strings.Contains(string(a.body), msg) {
		t.Errorf("%s: body %.300q, want it to name %q", what, a.body, msg)
	}
	if stackOrSecret.Match(a.body) {
		t.Errorf("%s: body holds a stack trace or error payload: %.300q", what, a.body)
	}
}

// TestPanicKeepsServing: a panic in a request's path is a 500 for that
// request only, logged with its request id (the client's or a new one);
// requests around it, before and after, are served; nothing leaks.
func TestPanicKeepsServing(t *testing.T) {
	defer goleak.VerifyNone(t, leakOptions()...)
	fs := fakelambda.Start()
	defer fs.Close()
	g := serve(t, `{"version": 3, "endpoints": [
		{"endpoint": "/panic", "backend": [{"url_pattern": "/x", "host": ["ignored"], "extra_config": {"test/panic": {}}}]},
		{"endpoint": "/ok", "backend": [{"url_pattern": "/ok", "host": ["`+fs.URL+`"]}]}]}`, kindtest.Panicking("boom in a backend"))
	c := newClient()
	defer c.CloseIdleConnections()

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				if a := fetch(t, c, "GET", g.URL+"/ok", nil); a.status != 200 || string(a.body) != fakelambda.OKBody {
					t.Errorf("/ok beside panics: %d %q", a.status, a.body)
				}
				return
			}
			req, _ := http.NewRequest("GET", g.URL+"/panic", nil)
			req.Header.Set("X-Request-Id", fmt.Sprintf("panic-%d", i))
			resp, err := c.Do(req)
			if err != nil {
				t.Errorf("/panic: %v", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 500 || resp.Header.Get("X-Request-Id") != fmt.Sprintf("panic-%d", i) {
				t.Errorf("/panic: %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
			}
		})
	}
	wg.Wait()
	a := fetch(t, c, "GET", g.URL+"/panic", nil)
	id := a.header.Get("X-Request-Id")
	if a.status != 500 || id == "" {
		t.Errorf("/panic without an id: %d, X-Request-Id %q", a.status, id)
	}
	g.stop(t)
	logs := g.logs.String()
	for _, want := range []string{"request_id=panic-1 ", "request_id=panic-19 ", "request_id=" + id + " "} {
		if !regexp.MustCompile(`msg="panic serving a request" method=GET path=/panic ` + regexp.QuoteMeta(want) + `panic="boom in a backend" stack=`).MatchString(logs) {
			t.Errorf("no panic line with %s in the logs:\n%.2000s", want, logs)
		}
	}
}

// TestBodyLimitInProcess: router.max_payload and proxy.max_payload bound
// request bodies; a body above the limit gets 413 and never reaches the
// backend, announced (Content-Length) or streamed (chunked).
func TestBodyLimitInProcess(t *testing.T) {
	defer goleak.VerifyNone(t, leakOptions()...)
	fs := fakelambda.Start()
	defer fs.Close()
	g := serve(t, `{"version": 3, "extra_config": {"router": {"max_payload": 1000}}, "endpoints": [
		{"endpoint": "/small", "method": "POST", "backend": [{"url_pattern": "/small", "host": ["`+fs.URL+`"]}]},
		{"endpoint": "/big", "method": "POST", "extra_config": {"proxy": {"max_payload": 100000}},
			"backend": [{"url_pattern": "/big", "host": ["`+fs.URL+`"]}]}]}`)
	defer g.stop(t)
	c := newClient()
	defer c.CloseIdleConnections()
	body := func(n int) string { return `{"a":"` + strings.Repeat("x", n-8) + `"}` }

	cases := []struct {
		path    string
		size    int
		chunked bool
		want    int
	}{
		{"/small", 1000, false, 200},
		{"/small", 1001, false, 413},
		{"/small", 1001, true, 413},
		{"/big", 100000, true, 200},
		{"/big", 100001, false, 413},
	}
	for _, tc := range cases {
		fs.Reset()
		var rd io.Reader = strings.NewReader(body(tc.size))
		if tc.chunked {
			rd = io.MultiReader(rd) // hides the length: sent chunked
		}
		a := fetch(t, c, "POST", g.URL+tc.path, rd)
		if a.status != tc.want {
			t.Errorf("%s, %d bytes (chunked %t): %d, want %d", tc.path, tc.size, tc.chunked, a.status, tc.want)
		}
		if reached := fs.Attempts(strings.TrimPrefix(tc.path, "/")); (reached == 1) != (tc.want == 200) {
			t.Errorf("%s, %d bytes: the backend was called %d times", tc.path, tc.size, reached)
		}
	}

	// A body announced above the limit, not sent: 413 at once, the
	// connection closed (no read_timeout is set here: before the fix, the
	// server waited for the unread body before answering).
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(conn, "POST /small HTTP/1.1\r\nHost: gw\r\nContent-Length: 1001\r\n\r\n{")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a body announced above the limit: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || !resp.Close {
		t.Errorf("announced above the limit: %d, close %t; want 413 and the connection closed", resp.StatusCode, resp.Close)
	}
	if n := fs.Attempts("small"); n != 0 {
		t.Errorf("the backend was called %d times", n)
	}
}

// TestMaxPayloadValidated: a limit that is not above zero is refused at
// start-up with its path.
func TestMaxPayloadValidated(t *testing.T) {
	cfg, _, err := config.Parse([]byte(`{"version": 3, "extra_config": {"router": {"max_payload": 0}}, "endpoints": [
		{"endpoint": "/a", "extra_config": {"proxy": {"max_payload": -1}}, "backend": [{"url_pattern": "/", "host": ["h"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = gateway.New(cfg, gateway.Options{Logger: slog.New(slog.DiscardHandler)})
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err %v, want config.Errors", err)
	}
	want := "extra_config.router.max_payload: must be a number of bytes above zero, got 0\n" +
		"endpoints[0].extra_config.proxy.max_payload: must be a number of bytes above zero, got -1"
	if err.Error() != want {
		t.Errorf("errors:\n%s\nwant\n%s", err, want)
	}
}
