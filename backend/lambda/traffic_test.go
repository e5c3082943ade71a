package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/lambdalocal"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestTrafficConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		g        gatewayConfig
		path     string
		fragment string
	}{
		{"cache_ttl not a duration", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "5"}`}, ".cache_ttl", "not a duration"},
		{"cache_ttl zero", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "0s"}`}, ".cache_ttl", "above zero"},
		{"cache_ttl on POST", gatewayConfig{method: "POST", lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "1m"}`}, ".cache_ttl", "cache_all_methods"},
		{"cache_ttl on Event", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "1m", "invocation_type": "Event"}`}, ".cache_ttl", "RequestResponse"},
		{"cache_ttl with API Gateway events", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "1m", "payload_format": "apigateway_v2"}`}, ".cache_ttl", "payload_format krakend"},
		{"cache_max_items without cache_ttl", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_max_items": 5}`}, ".cache_max_items", "only applies with cache_ttl"},
		{"cache_max_size without cache_ttl", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_max_size": 5}`}, ".cache_max_size", "only applies with cache_ttl"},
		{"cache_all_methods without cache_ttl", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_all_methods": true}`}, ".cache_all_methods", "only applies with cache_ttl"},
		{"cache_max_items negative", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "1m", "cache_max_items": -1}`}, ".cache_max_items", "above zero"},
		{"cache_max_size negative", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "cache_ttl": "1m", "cache_max_size": -1}`}, ".cache_max_size", "above zero"},
		{"max_concurrency negative", gatewayConfig{lambda: `{"function_name": "a", "region": "us-east-1", "max_concurrency": -1}`}, ".max_concurrency", "got -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := build(t, tc.g, nil)
			wantConfigError(t, err, nsPath+tc.path, tc.fragment)
		})
	}
}

// countingInvoker counts its invocations and answers payload, or a
// function error.
type countingInvoker struct {
	calls   atomic.Int64
	payload string
	fnError string
}

func (c *countingInvoker) Invoke(_ context.Context, in *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	c.calls.Add(1)
	return &lambdainvoke.Result{StatusCode: 200, Payload: []byte(c.payload), FunctionError: c.fnError, RequestID: "r"}, nil
}

// testClock is a clock that moves only when told.
type testClock struct{ now atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *testClock) advance(d time.Duration) { c.now.Add(int64(d)) }

// Each cache option changes how many invocations a sequence of requests
// makes: the requests name a query string value ("" a clock step of 61 s).
func TestCacheOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		method  string
		lambda  string
		fnError string
		steps   []string
		want    int64
	}{
		{"no cache", "GET", `{}`, "", []string{"1", "1", "1"}, 3},
		{"cache_ttl: hits", "GET", `{"cache_ttl": "1m"}`, "", []string{"1", "1", "1"}, 1},
		{"cache_ttl: the payload is the key", "GET", `{"cache_ttl": "1m"}`, "", []string{"1", "2", "1", "2"}, 2},
		{"cache_ttl: expired", "GET", `{"cache_ttl": "1m"}`, "", []string{"1", "", "1"}, 2},
		{"function errors are not cached", "GET", `{"cache_ttl": "1m"}`, "Handled", []string{"1", "1"}, 2},
		{"cache_max_items evicts", "GET", `{"cache_ttl": "1m", "cache_max_items": 1}`, "", []string{"1", "2", "1"}, 3},
		{"cache_max_size evicts", "GET", `{"cache_ttl": "1m", "cache_max_size": 300}`, "", []string{"1", "2", "1"}, 3},
		{"cache_all_methods caches a POST", "POST", `{"cache_ttl": "1m", "cache_all_methods": true}`, "", []string{"1", "1"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts map[string]any
			if err := json.Unmarshal([]byte(tc.lambda), &opts); err != nil {
				t.Fatal(err)
			}
			opts["function_name"], opts["region"] = "a", "us-east-1"
			ns, _ := json.Marshal(opts)
			inv := &countingInvoker{payload: `{"ok":true}`, fnError: tc.fnError}
			clock := &testClock{}
			p, err := build(t, gatewayConfig{method: tc.method, lambda: string(ns)}, &factoryHooks{invoker: inv, clock: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.steps {
				if q == "" {
					clock.advance(61 * time.Second)
					continue
				}
				req := getReq(nil)
				req.Method = tc.method
				if tc.method == "GET" {
					req.Query = map[string][]string{"q": {q}}
				} else {
					req.Body = []byte(`{"q":"` + q + `"}`)
				}
				p(ctxT(t), req)
			}
			if n := inv.calls.Load(); n != tc.want {
				t.Errorf("%d invocations, want %d", n, tc.want)
			}
		})
	}
}

// A cached result is copied for every request: changing one's payload
// changes neither the cache nor the next hit.
func TestCachedResultsAreCopied(t *testing.T) {
	t.Parallel()
	inv := &countingInvoker{payload: `{"n":1}`}
	c := traffic{cacheTTL: time.Minute, cacheMaxItems: 10, cacheMaxSize: 1 << 20}.wrap(inv, nil, nil)
	in := &lambdainvoke.Invocation{FunctionName: "a", Payload: []byte(`{}`)}
	first, _ := c.Invoke(context.Background(), in)
	copy(first.Payload, `{"n":2}`)
	first.RequestID = "changed"
	second, _ := c.Invoke(context.Background(), in)
	if string(second.Payload) != `{"n":1}` || second.RequestID != "r" || inv.calls.Load() != 1 {
		t.Errorf("second hit %q %q after %d invocations, want the function's result, one invocation", second.Payload, second.RequestID, inv.calls.Load())
	}
}

// 20 identical concurrent requests to a cached backend make one invocation
// at the fake Invoke API; every one gets the result, decoded and shaped for
// itself: changing one response's data changes no other.
func TestCoalescedInvocations(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	fake := invoketest.Start(t, func(w http.ResponseWriter, c fakelambda.Call, n int) {
		<-release
		invoketest.JSON(`{"user":{"name":"ada"},"n":1}`)(w, c, n)
	})
	p := mustBuild(t, gatewayConfig{backendExtra: `"group": "g", "allow": ["user"],`, lambda: `{"function_name": "a", "cache_ttl": "1m", "endpoint": "` + fake.URL + `"}`})
	const n = 20
	var wg sync.WaitGroup
	resps := make([]*proxy.Response, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { resps[i], errs[i] = p(ctxT(t), getReq(nil)) })
	}
	time.Sleep(100 * time.Millisecond) // all of them waiting on the first
	close(release)
	wg.Wait()
	if got := fake.Requests(); got != 1 {
		t.Errorf("%d invocations reached the Invoke API, want 1", got)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		g := resps[i].Data["g"].(map[string]any)
		g["user"].(map[string]any)["name"] = i // a later stage changing its response
	}
	for i := range n {
		if name := resps[i].Data["g"].(map[string]any)["user"].(map[string]any)["name"]; name != i {
			t.Errorf("response %d: name %v, want its own change %d", i, name, i)
		}
	}
	// And the next request is a hit, untouched by those changes.
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil || jsonString(resp.Data) != `{"g":{"user":{"name":"ada"}}}` || fake.Requests() != 1 {
		t.Errorf("hit: %v %v after %d invocations", resp, err, fake.Requests())
	}
}

// A burst of 100 concurrent requests with max_concurrency 5 never has more
// than 5 invocations running at the local runtime (each invocation
// reports how many were running with it); the rest get 429 with
// Retry-After at once. Without the cap, the same burst runs more than 5 at
// once.
func TestMaxConcurrencyAtTheLocalRuntime(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		// The Invoke clients' fasthttp cleaners, which stop on their own
		// once idle.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := lambdalocal.Start(ctx, lambdalocal.Options{FunctionsDir: "testdata/functions", CacheDir: t.TempDir(), IdleTimeout: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	for _, tc := range []struct {
		name    string
		cap     string
		burst   int
		maxSeen int // the most running at once allowed
		minSeen int // the most running at once expected
	}{
		{"max_concurrency 5", `, "max_concurrency": 5`, 100, 5, 1},
		// Within the function's own concurrency (20, its function.json).
		{"no cap", ``, 20, 20, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "inflight", "endpoint": "` + srv.URL() + `"` + tc.cap + `}`})
			burst := tc.burst
			var wg sync.WaitGroup
			var ok, refused, seen atomic.Int64
			var mu sync.Mutex
			var others []error
			for range burst {
				wg.Go(func() {
					req := getReq(nil)
					req.Query = map[string][]string{"dir": {dir}, "ms": {"400"}}
					start := time.Now()
					resp, err := p(ctx, req)
					var se *proxy.StatusError
					switch {
					case err == nil:
						ok.Add(1)
						n, _ := resp.Data["seen"].(json.Number).Int64()
						for {
							m := seen.Load()
							if n <= m || seen.CompareAndSwap(m, n) {
								break
							}
						}
					case errors.As(err, &se) && se.Status == http.StatusTooManyRequests && se.Header.Get("Retry-After") == "1":
						refused.Add(1)
						if d := time.Since(start); tc.cap != "" && d > 100*time.Millisecond {
							t.Errorf("refused after %v, want at once", d)
						}
					default:
						mu.Lock()
						others = append(others, err)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(others) > 0 {
				t.Fatalf("%d requests failed otherwise, first: %v", len(others), others[0])
			}
			t.Logf("%d ok, %d refused, at most %d running at once", ok.Load(), refused.Load(), seen.Load())
			if s := seen.Load(); s > int64(tc.maxSeen) || s < int64(tc.minSeen) {
				t.Errorf("at most %d invocations ran at once, want %d to %d", s, tc.minSeen, tc.maxSeen)
			}
			if tc.cap != "" && (ok.Load() < 5 || refused.Load() < int64(burst/2)) {
				t.Errorf("%d ok and %d refused with 429 and Retry-After, want 5 or more ok and most refused", ok.Load(), refused.Load())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%d invocations still running", len(entries))
			}
		})
	}
}
