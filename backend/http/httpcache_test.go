package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// clock is a settable clock for the caches.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cachedGateway parses a service whose endpoints each have one backend on
// host, with the given method and extra_config, and builds their pipelines
// with one HTTP kind whose caches read clk.
func cachedGateway(t *testing.T, host string, clk *clock, backends ...string) ([]proxy.Proxy, []string, error) {
	t.Helper()
	var eps []string
	for i, b := range backends {
		eps = append(eps, fmt.Sprintf(`{"endpoint": "/e%d", "backend": [{"host": [%q], "url_pattern": "/r", %s}]}`, i, host, b))
	}
	svc, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [` + strings.Join(eps, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	k, err := NewKind(backend.Deps{Warn: func(m string) { warns = append(warns, m) }})
	if err != nil {
		t.Fatal(err)
	}
	k.(*kind).now = clk.now
	var ps []proxy.Proxy
	for _, e := range svc.Endpoints {
		p, err := backend.Build(backend.Spec{Endpoint: e, Backend: e.Backend[0]}, []backend.Kind{k}, nil)
		if err != nil {
			return nil, warns, err
		}
		ps = append(ps, p)
	}
	return ps, warns, nil
}

// Each option and each header rule changes how many calls a sequence of
// requests makes: the step's wait moves the clock first, its header is
// the request's.
func TestHTTPCacheRules(t *testing.T) {
	t.Parallel()
	date := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	type step struct {
		wait   time.Duration
		header string // "Name: value" sent by the request
	}
	for _, tc := range []struct {
		name    string
		backend string
		reply   func(w http.ResponseWriter, r *http.Request)
		steps   []step
		calls   int
	}{
		{"no cache", `"extra_config": {}`, maxAge("60"), []step{{}, {}}, 2},
		{"max-age honoured", `"extra_config": {"qos/http-cache": {}}`, maxAge("60"), []step{{}, {wait: 59 * time.Second}}, 1},
		{"max-age expired", `"extra_config": {"qos/http-cache": {}}`, maxAge("60"), []step{{}, {wait: 60 * time.Second}}, 2},
		{"legacy name", `"extra_config": {"github.com/devopsfaith/krakend-httpcache": {}}`, maxAge("60"), []step{{}, {}}, 1},
		{"s-maxage over max-age", `"extra_config": {"qos/http-cache": {}}`, cc("max-age=600, s-maxage=10"), []step{{}, {wait: 11 * time.Second}}, 2},
		{"no-store not cached", `"extra_config": {"qos/http-cache": {}}`, cc("max-age=60, no-store"), []step{{}, {}}, 2},
		{"no-cache not cached", `"extra_config": {"qos/http-cache": {}}`, cc("no-cache, max-age=60"), []step{{}, {}}, 2},
		{"private not cached", `"extra_config": {"qos/http-cache": {}}`, cc("private, max-age=60"), []step{{}, {}}, 2},
		{"no freshness not cached", `"extra_config": {"qos/http-cache": {}}`, cc(""), []step{{}, {}}, 2},
		{"Expires honoured", `"extra_config": {"qos/http-cache": {}}`, expires(date, date.Add(30*time.Second)), []step{{}, {wait: 29 * time.Second}}, 1},
		{"Expires passed", `"extra_config": {"qos/http-cache": {}}`, expires(date, date.Add(30*time.Second)), []step{{}, {wait: 31 * time.Second}}, 2},
		{"Age counts", `"extra_config": {"qos/http-cache": {}}`, withAge("60", "50"), []step{{}, {wait: 11 * time.Second}}, 2},
		{"Vary: same value hits", `"input_headers": ["X-Lang"], "extra_config": {"qos/http-cache": {}}`, vary("X-Lang"), []step{{header: "X-Lang: en"}, {header: "X-Lang: en"}}, 1},
		{"Vary: other value misses", `"input_headers": ["X-Lang"], "extra_config": {"qos/http-cache": {}}`, vary("X-Lang"), []step{{header: "X-Lang: en"}, {header: "X-Lang: fr"}, {header: "X-Lang: fr"}, {header: "X-Lang: en"}}, 2},
		{"Vary: *", `"extra_config": {"qos/http-cache": {}}`, vary("*"), []step{{}, {}}, 2},
		{"Authorization not cached", `"input_headers": ["Authorization"], "extra_config": {"qos/http-cache": {}}`, maxAge("60"), []step{{header: "Authorization: a"}, {header: "Authorization: a"}}, 2},
		{"Authorization with public", `"input_headers": ["Authorization"], "extra_config": {"qos/http-cache": {}}`, cc("public, max-age=60"), []step{{header: "Authorization: a"}, {header: "Authorization: a"}}, 1},
		{"POST not cached", `"method": "POST", "extra_config": {"qos/http-cache": {}}`, maxAge("60"), []step{{}, {}}, 2},
		{"errors not cached", `"extra_config": {"qos/http-cache": {}}`, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.WriteHeader(500)
		}, []step{{}, {}}, 2},
		{"max_items evicts", `"extra_config": {"qos/http-cache": {"max_items": 1, "max_size": 100000}}`, maxAge("60"), []step{{header: "X-Q: 1"}, {header: "X-Q: 2"}, {header: "X-Q: 1"}}, 3},
		{"max_items keeps", `"extra_config": {"qos/http-cache": {"max_items": 2, "max_size": 100000}}`, maxAge("60"), []step{{header: "X-Q: 1"}, {header: "X-Q: 2"}, {header: "X-Q: 1"}}, 2},
		{"max_size evicts", `"extra_config": {"qos/http-cache": {"max_items": 10, "max_size": 1024}}`, big, []step{{header: "X-Q: 1"}, {header: "X-Q: 2"}, {header: "X-Q: 1"}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: date}
			var calls atomic.Int32
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.reply(w, r)
			})
			ps, _, err := cachedGateway(t, srv.URL, clk, tc.backend)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.steps {
				clk.add(s.wait)
				req := &proxy.Request{Headers: http.Header{}}
				if name, v, ok := strings.Cut(s.header, ": "); ok {
					req.Headers.Set(name, v)
					if name == "X-Q" { // the query selects the entry
						req.Query = map[string][]string{"q": {v}}
					}
				}
				resp, err := ps[0](context.Background(), req)
				if err == nil && resp.Body != nil {
					resp.Body.Close()
				}
			}
			if n := int(calls.Load()); n != tc.calls {
				t.Errorf("%d calls to the backend, want %d", n, tc.calls)
			}
		})
	}
}

func cc(v string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if v != "" {
			w.Header().Set("Cache-Control", v)
		}
		w.Write([]byte(`{"ok":true}`))
	}
}

func maxAge(s string) func(http.ResponseWriter, *http.Request) { return cc("max-age=" + s) }

func withAge(maxAge, age string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Age", age)
		cc("max-age="+maxAge)(w, r)
	}
}

func expires(date, exp time.Time) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", date.Format(http.TimeFormat))
		w.Header().Set("Expires", exp.Format(http.TimeFormat))
		w.Write([]byte(`{"ok":true}`))
	}
}

func vary(h string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", h)
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write([]byte(`{"lang":"` + r.Header.Get("X-Lang") + `"}`))
	}
}

// big answers 600 bytes: two of them do not fit in 1024.
func big(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=60")
	w.Write([]byte(`{"pad":"` + strings.Repeat("x", 590) + `"}`))
}

// A Vary'd reply is served to each variant with its own body.
func TestHTTPCacheVaryBodies(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, vary("X-Lang"))
	ps, _, err := cachedGateway(t, srv.URL, &clock{t: time.Now()}, `"input_headers": ["X-Lang"], "extra_config": {"qos/http-cache": {}}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fr", "en", "fr"} {
		resp, err := ps[0](context.Background(), &proxy.Request{Headers: http.Header{"X-Lang": {lang}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := replyText(resp); got != `{"lang":"`+lang+`"}` {
			t.Errorf("X-Lang %s got %v", lang, got)
		}
	}
}

// shared: true backends read one store; others keep their own.
func TestHTTPCacheShared(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		extra string
		calls int32
	}{
		{"shared", `{"shared": true}`, 1},
		{"own stores", `{}`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1); maxAge("60")(w, r) })
			b := `"extra_config": {"qos/http-cache": ` + tc.extra + `}`
			ps, _, err := cachedGateway(t, srv.URL, &clock{t: time.Now()}, b, b)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if _, err := p(context.Background(), &proxy.Request{Headers: http.Header{}}); err != nil {
					t.Fatal(err)
				}
			}
			if n := calls.Load(); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
		})
	}
}

// 20 identical concurrent requests make one call.
func TestHTTPCacheCoalescing(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	release := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		maxAge("60")(w, r)
	})
	ps, _, err := cachedGateway(t, srv.URL, &clock{t: time.Now()}, `"extra_config": {"qos/http-cache": {}}`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			resp, err := ps[0](context.Background(), &proxy.Request{Headers: http.Header{}})
			if err == nil && replyText(resp) != `{"ok":true}` {
				err = fmt.Errorf("reply %s", replyText(resp))
			}
			errs <- err
		})
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// A hit is a copy: changing one reply's data changes neither the store
// nor the next hit. And a non-no-op endpoint sees no new headers.
func TestHTTPCacheCopiesAndHidesHeaders(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, maxAge("60"))
	ps, _, err := cachedGateway(t, srv.URL, &clock{t: time.Now()}, `"extra_config": {"qos/http-cache": {}}`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		resp, err := ps[0](context.Background(), &proxy.Request{Headers: http.Header{}})
		if err != nil {
			t.Fatal(err)
		}
		if got := replyText(resp); got != `{"ok":true}` {
			t.Fatalf("request %d: reply %s", i, got)
		}
		if len(resp.Metadata.Headers) != 0 {
			t.Errorf("request %d: headers %v reach the endpoint", i, resp.Metadata.Headers)
		}
		if resp.Data != nil {
			resp.Data["ok"] = "changed"
		}
		if resp.Raw != nil {
			for j := range resp.Raw {
				resp.Raw[j] = 'x'
			}
		}
	}
}

// No-op backends get the backend's headers and body on every hit.
func TestHTTPCacheNoOp(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("X-Backend", "b")
		maxAge("60")(w, r)
	})
	ps, _, err := cachedGateway(t, srv.URL, &clock{t: time.Now()}, `"encoding": "no-op", "extra_config": {"qos/http-cache": {}}`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		resp, err := ps[0](context.Background(), &proxy.Request{Headers: http.Header{}})
		if err != nil {
			t.Fatal(err)
		}
		body := string(resp.Raw)
		if resp.Body != nil {
			body = readBody(t, resp)
		}
		if body != `{"ok":true}` || resp.Metadata.Headers.Get("X-Backend") != "b" || resp.Metadata.StatusCode != 200 {
			t.Errorf("request %d: %q %v %d", i, body, resp.Metadata.Headers, resp.Metadata.StatusCode)
		}
		if resp.Raw != nil {
			resp.Raw[0] = 'x'
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// The options' problems are start-up errors at their JSON paths; a POST
// backend's cache is a warning.
func TestHTTPCacheStartUp(t *testing.T) {
	t.Parallel()
	const at = `endpoints[0].backend[0].extra_config["qos/http-cache"]`
	for _, tc := range []struct {
		name     string
		backends []string
		want     string
	}{
		{"Redis", []string{`"extra_config": {"qos/http-cache": {"connection_name": "r"}}`}, at + `.connection_name: "r" is not one of the service's redis.connection_pools`},
		{"max_items alone", []string{`"extra_config": {"qos/http-cache": {"max_items": 5}}`}, at + ".max_items: needs max_size"},
		{"max_size alone", []string{`"extra_config": {"qos/http-cache": {"max_size": 5000}}`}, at + ".max_size: needs max_items"},
		{"max_size too small", []string{`"extra_config": {"qos/http-cache": {"max_items": 5, "max_size": 1000}}`}, at + ".max_size: must be at least 1024"},
		{"max_items negative", []string{`"extra_config": {"qos/http-cache": {"max_items": -1, "max_size": 5000}}`}, at + ".max_items: must be at least 1"},
		{"unknown key", []string{`"extra_config": {"qos/http-cache": {"ttl": 5}}`}, at + ".ttl"},
		{"both names", []string{`"extra_config": {"qos/http-cache": {}, "github.com/devopsfaith/krakend-httpcache": {}}`}, "both"},
		{"shared bounds differ", []string{
			`"extra_config": {"qos/http-cache": {"shared": true, "max_items": 5, "max_size": 5000}}`,
			`"extra_config": {"qos/http-cache": {"shared": true, "max_items": 6, "max_size": 5000}}`,
		}, `endpoints[1].backend[0].extra_config["qos/http-cache"]: the shared cache holds` + " 5 items and 5000 bytes, as " + at + " set first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := cachedGateway(t, "http://127.0.0.1:1", &clock{}, tc.backends...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	_, warns, err := cachedGateway(t, "http://127.0.0.1:1", &clock{}, `"method": "POST", "extra_config": {"qos/http-cache": {}}`)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "only GET and HEAD replies are cached") {
		t.Errorf("POST: %v, warnings %q", err, warns)
	}
}

// replyText is a decoded reply's JSON: its passed-through bytes or its data.
func replyText(r *proxy.Response) string {
	if r.Raw != nil {
		return string(r.Raw)
	}
	b, _ := json.Marshal(r.Data)
	return string(b)
}
