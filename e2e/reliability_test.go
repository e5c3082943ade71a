package e2e

// Reliability through the built binary: faults from Lambda and HTTP
// backends (internal/fakelambda), bad input from clients, and a SIGTERM under
// load. docs/RELIABILITY.md lists what each test proves.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// faultStatus is docs/lambda.md's error table for each fault (Lambda), and
// what an HTTP backend's fault gives (500 unless it answered JSON).
var faultStatus = map[string][2]int{ // fault → {lambda, http}
	fakelambda.Throttle: {429, 500}, fakelambda.ThrottleBare: {429, 500},
	fakelambda.Error500: {502, 500}, fakelambda.Error502: {502, 500}, fakelambda.Error503: {502, 500},
	fakelambda.ResetBefore: {502, 500}, fakelambda.ResetDuring: {502, 500},
	fakelambda.Slow: {504, 500}, fakelambda.Hang: {504, 500},
	fakelambda.Truncate: {502, 500}, fakelambda.InvalidJSON: {502, 500}, fakelambda.Huge: {200, 200},
	fakelambda.Handled: {502, 500}, fakelambda.Unhandled: {502, 500},
}

// faultRetried: the faults max_retries retries (the SDK's standard rules).
var faultRetried = map[string]bool{
	fakelambda.Throttle: true, fakelambda.ThrottleBare: true, fakelambda.Error500: true, fakelambda.Error502: true,
	fakelambda.Error503: true, fakelambda.ResetBefore: true, fakelambda.ResetDuring: true,
}

// TestFaultsThroughBinary drives every fault through the binary's Lambda
// (max_retries 0 and 2) and HTTP backends: the status the client gets, an
// empty error body (no return_error_msg), Retry-After passed on, attempts
// counted at the server, and no panic in the logs.
func TestFaultsThroughBinary(t *testing.T) {
	t.Parallel()
	fs := fakelambda.Start()
	fs.SlowDelay = 12 * time.Second // above every endpoint timeout
	t.Cleanup(fs.Close)
	g := startGateway(t, `{"version": 3, "timeout": "1s", "endpoints": [
		{"endpoint": "/l/{function}", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "function", "allowed_functions": ["*"], "endpoint": "`+fs.URL+`"}}}]},
		{"endpoint": "/r/{function}", "timeout": "8s", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "function", "allowed_functions": ["*"], "endpoint": "`+fs.URL+`", "max_retries": 2}}}]},
		{"endpoint": "/h/{name}", "backend": [{"host": ["`+fs.URL+`"], "url_pattern": "/fault/{name}"}]}
	]}`)

	run := func(prefix string) map[string]reply {
		fs.Reset()
		out := map[string]reply{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, f := range fakelambda.All {
			wg.Go(func() {
				r := do(t, "GET", g.URL+prefix+f, "", nil)
				mu.Lock()
				out[f] = r
				mu.Unlock()
			})
		}
		wg.Wait()
		return out
	}
	for _, route := range []struct {
		prefix   string
		kind     int // 0 lambda, 1 http
		attempts func(f string) int
	}{
		{"/l/", 0, func(string) int { return 1 }},
		{"/r/", 0, func(f string) int {
			if faultRetried[f] {
				return 3
			}
			return 1
		}},
		{"/h/", 1, func(string) int { return 1 }},
	} {
		replies := run(route.prefix)
		for _, f := range fakelambda.All {
			r := replies[f]
			want := faultStatus[f][route.kind]
			if r.Status != want {
				t.Errorf("%s%s: status %d, want %d", route.prefix, f, r.Status, want)
			}
			if want != 200 && r.Body != "" {
				t.Errorf("%s%s: error body %.200q without return_error_msg", route.prefix, f, r.Body)
			}
			// net/http replays a GET whose reused connection failed before
			// any reply (see internal/fakelambda): more than one is allowed there.
			if n := fs.Attempts(f); n != route.attempts(f) && !(route.kind == 1 && f == fakelambda.ResetBefore && n > 1) {
				t.Errorf("%s%s: %d attempts at the server, want %d", route.prefix, f, n, route.attempts(f))
			}
		}
		if route.kind == 0 {
			if ra := replies[fakelambda.Throttle].Header.Get("Retry-After"); ra != fakelambda.RetryAfter {
				t.Errorf("%sthrottle: Retry-After %q, want %q", route.prefix, ra, fakelambda.RetryAfter)
			}
			if ra := replies[fakelambda.ThrottleBare].Header.Values("Retry-After"); ra != nil {
				t.Errorf("%sthrottle-bare: Retry-After %q", route.prefix, ra)
			}
		}
	}
	if r := do(t, "GET", g.URL+"/__health", "", nil); r.Status != 200 {
		t.Errorf("health after the faults: %d", r.Status)
	}
	if logs := g.Logs(); strings.Contains(logs, "panic") {
		t.Errorf("a panic in the logs:\n%s", logs)
	}
	if code := g.Stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// rawRequest writes req on a new connection and returns the status line
// of the answer (or "" when the connection was closed without one) and
// how long it took.
func rawRequest(t *testing.T, base, req string, wait time.Duration) (string, time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetDeadline(start.Add(wait))
	if _, err := io.WriteString(c, req); err != nil {
		return "", time.Since(start)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", time.Since(start)
	}
	return strings.TrimSpace(line), time.Since(start)
}

const badInputConfig = `{"version": 3, "timeout": "3s",
	"read_header_timeout": "300ms", "read_timeout": "1s", "max_header_bytes": 4096,
	"endpoints": [
	{"endpoint": "/l/{function}", "method": "POST", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
		"extra_config": {"backend/lambda": {"function_param_name": "function", "endpoint": "FAULTS"}}}]},
	{"endpoint": "/fixed", "method": "POST", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
		"extra_config": {"backend/lambda": {"function_name": "ok", "endpoint": "FAULTS"}}}]},
	{"endpoint": "/h/{id}", "backend": [{"host": ["FAULTS"], "url_pattern": "/fault/{id}"}]},
	{"endpoint": "/small", "method": "POST", "extra_config": {"proxy": {"max_payload": 1024}},
		"backend": [{"host": ["FAULTS"], "url_pattern": "/fault/small"}]}
]}`

// TestBadInput sends what a client should not: oversized bodies (announced
// and streamed), oversized headers, slow headers and bodies, path params
// that hide /, ?, #, NUL, invalid UTF-8 or dot segments, and a non-JSON
// body to a krakend-format Lambda. Each gets its status quickly, and none
// reaches a backend or a function.
//
// Both engines that serve plain HTTP/1.1 (lambdagate/server.engine) run it.
func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"fasthttp", "net/http"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			badInput(t, engine)
		})
	}
}

// urllibPost posts 7 MB to argv[1] with Python's urllib and prints the
// status it reads, or the error that kept it from reading one.
const urllibPost = `import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=b"x" * (7 << 20), method="POST",
                             headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        print("status", r.status)
except urllib.error.HTTPError as e:
    print("status", e.code)
except Exception as e:
    print("error", repr(e))
`

func badInput(t *testing.T, engine string) {
	fs := fakelambda.Start()
	t.Cleanup(fs.Close)
	cfg := strings.Replace(badInputConfig, `{"version": 3,`, `{"version": 3, "extra_config": {"lambdagate/server": {"engine": "`+engine+`"}},`, 1)
	g := startGateway(t, strings.ReplaceAll(cfg, "FAULTS", fs.URL))
	if want := "engine=" + engine; !strings.Contains(g.Logs(), want) {
		t.Fatalf("the listening line does not say %s:\n%s", want, g.Logs())
	}

	t.Run("announced body above the limit", func(t *testing.T) {
		for _, tc := range []struct{ path, length string }{
			{"/small", "1025"},
			{"/fixed", "6291457"}, // the Lambda default: 6 MiB
			{"/fixed", "100000000000"},
		} {
			// Only the headers are sent: the 413 must come without the body.
			line, took := rawRequest(t, g.URL, "POST "+tc.path+" HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: "+tc.length+"\r\n\r\n{", 5*time.Second)
			if !strings.HasPrefix(line, "HTTP/1.1 413") || took > 500*time.Millisecond {
				t.Errorf("%s with Content-Length %s: %q after %v, want 413 at once", tc.path, tc.length, line, took)
			}
		}
	})

	t.Run("streamed body above the limit", func(t *testing.T) {
		for _, tc := range []struct {
			path  string
			limit int64
		}{{"/small", 1024}, {"/fixed", 6 << 20}} {
			var sent atomic.Int64
			pr, pw := io.Pipe()
			go func() {
				chunk := []byte(strings.Repeat("x", 32<<10))
				pw.Write([]byte(`{"a":"`))
				for sent.Load() < 64<<20 {
					n, err := pw.Write(chunk)
					sent.Add(int64(n))
					if err != nil {
						return
					}
				}
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", g.URL+tc.path, pr)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			pr.CloseWithError(errors.New("done"))
			if err != nil {
				t.Errorf("%s: %v", tc.path, err)
				continue
			}
			resp.Body.Close()
			// Read no further than the limit, plus what socket buffers hold.
			if resp.StatusCode != 413 || sent.Load() > tc.limit+16<<20 {
				t.Errorf("%s streamed: %d after %d bytes sent, want 413 well before 64 MiB", tc.path, resp.StatusCode, sent.Load())
			}
		}
	})

	t.Run("a 7 MB POST from a client that does not wait for 100 Continue", func(t *testing.T) {
		// Python's urllib sends the whole body before reading: it reads
		// its 413 only if the gateway drains the body instead of
		// resetting the connection (the lingering close).
		py, err := exec.LookPath("python3")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("python3 is needed")
			}
			t.Skip("no python3")
		}
		for _, path := range []string{"/fixed", "/small"} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			out, err := exec.CommandContext(ctx, py, "-c", urllibPost, g.URL+path).CombinedOutput()
			cancel()
			if got := strings.TrimSpace(string(out)); err != nil || got != "status 413" {
				t.Errorf("%s: python urllib got %q (%v), want status 413", path, got, err)
			}
		}
	})

	t.Run("headers above max_header_bytes", func(t *testing.T) {
		big := strings.Repeat("a", 16<<10)
		r := do(t, "GET", g.URL+"/h/1", "", map[string]string{"X-Big": big})
		if r.Status != 431 {
			t.Errorf("16 KiB header: %d, want 431", r.Status)
		}
	})

	t.Run("slow headers cut by read_header_timeout", func(t *testing.T) {
		line, took := rawRequest(t, g.URL, "GET /h/1 HTTP/1.1\r\nHost: gw\r\n", 5*time.Second)
		if took > 2*time.Second || (line != "" && !strings.HasPrefix(line, "HTTP/1.1 408")) {
			t.Errorf("a client that stalls in its headers: %q after %v, want the connection cut after ~300ms", line, took)
		}
	})

	t.Run("slow body cut by read_timeout", func(t *testing.T) {
		line, took := rawRequest(t, g.URL, "POST /small HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":", 5*time.Second)
		// net/http answers 400; the HTTP/1.1 server (fastserver) 408.
		if took > 3*time.Second || (line != "" && !strings.HasPrefix(line, "HTTP/1.1 400") && !strings.HasPrefix(line, "HTTP/1.1 408")) {
			t.Errorf("a client that stalls in its body: %q after %v, want 400 or 408, or a cut, after ~1s", line, took)
		}
	})

	t.Run("path params", func(t *testing.T) {
		for _, p := range []string{
			"..%2F..%2Fetc", "%2e%2e", "..", ".", "a%2fb", "a%2Fb", "a%3Fb", "a%23b", "a%00b", "%ff", "a%20b",
			"a\x00b", "a\xffb", "a\x7fb", "\xc3\xa9",
		} {
			for _, route := range []string{"GET /h/", "POST /l/"} {
				line, _ := rawRequest(t, g.URL, route+p+" HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\n{}", 5*time.Second)
				if !strings.HasPrefix(line, "HTTP/1.1 400") {
					t.Errorf("%s%q: %q, want 400", route, p, line)
				}
			}
		}
	})

	t.Run("non-JSON body to a krakend-format Lambda", func(t *testing.T) {
		for _, body := range []string{"name=ann", `{"a":`, "\xff\xfe"} {
			if r := do(t, "POST", g.URL+"/fixed", body, map[string]string{"Content-Type": "text/plain"}); r.Status != 400 {
				t.Errorf("POST /fixed %q: %d %q, want 400", body, r.Status, r.Body)
			}
		}
	})

	if calls := fs.Calls(); len(calls) != 0 {
		for _, c := range calls {
			t.Errorf("the backend was reached: %s (lambda %t)", c.Path, c.Lambda)
		}
	}
	// A good request still works on the same gateway.
	if r := do(t, "POST", g.URL+"/l/ok", `{"a":1}`, map[string]string{"Content-Type": "application/json"}); r.Status != 200 || r.Body != fakelambda.OKBody {
		t.Errorf("a good request after the bad ones: %d %q", r.Status, r.Body)
	}
}

// TestShutdownUnderLoad sends SIGTERM while 300 requests (half through a
// Lambda backend, half through an HTTP backend) are in flight behind a slow
// backend: every one of them completes with 200, new connections are
// refused, and the process exits 0 within max_shutdown_wait_time.
func TestShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	const inFlight = 300
	const delay = 1500 * time.Millisecond
	fs := fakelambda.Start()
	fs.SlowDelay = delay
	t.Cleanup(fs.Close)
	g := startGateway(t, `{"version": 3, "timeout": "10s", "max_shutdown_wait_time": "8s", "endpoints": [
		{"endpoint": "/l", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_name": "slow", "endpoint": "`+fs.URL+`"}}}]},
		{"endpoint": "/h", "backend": [{"host": ["`+fs.URL+`"], "url_pattern": "/fault/slow"}]}
	]}`)
	tr := &http.Transport{MaxIdleConnsPerHost: inFlight, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range inFlight {
		path := "/l"
		if i%2 == 1 {
			path = "/h"
		}
		wg.Go(func() {
			resp, err := c.Get(g.URL + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && string(b) == fakelambda.OKBody {
					ok.Add(1)
					return
				}
				err = fmt.Errorf("%s: %d %q", path, resp.StatusCode, b)
			}
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		})
	}
	for deadline := time.Now().Add(10 * time.Second); fs.InFlight() < inFlight; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests reached the backend", fs.InFlight(), inFlight)
		}
	}
	signalled := time.Now()
	g.cmd.Process.Signal(syscall.SIGTERM)

	// New connections are refused once the listener is closed: dial until
	// a dial is refused, for as long as the drain lasts (the requests in
	// flight end delay after they reached the backend).
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	var refused bool
	var last string
	for dials := 1; ; dials++ {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.URL, "http://"), time.Second)
		if err == nil {
			conn.Close()
			last = fmt.Sprintf("dial %d after SIGTERM was accepted", dials)
		} else if refused = errors.Is(err, syscall.ECONNREFUSED); refused {
			break
		} else {
			last = fmt.Sprintf("dial %d after SIGTERM: %v", dials, err)
		}
		select {
		case <-drained:
		case <-time.After(20 * time.Millisecond):
			continue
		}
		break
	}
	if !refused {
		t.Errorf("new connections were still accepted while draining (last: %s)", last)
	}
	wg.Wait()
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not exit")
	}
	took := time.Since(signalled)
	t.Logf("SIGTERM with %d requests in flight: %d completed, %d lost, exit %d after %v",
		inFlight, ok.Load(), failed.Load(), g.cmd.ProcessState.ExitCode(), took.Round(time.Millisecond))
	if ok.Load() != inFlight {
		t.Errorf("%d of %d requests lost (first: %v)", failed.Load(), inFlight, firstErr.Load())
	}
	if code := g.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if took > 8*time.Second {
		t.Errorf("exit %v after SIGTERM, above max_shutdown_wait_time 8s", took)
	}
}
