package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/internal/redistest"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// BenchmarkTemplateFill measures building a backend URL from a url_pattern
// with path params, one of them title-cased, in the path and the query.
func BenchmarkTemplateFill(b *testing.B) {
	e := &config.Endpoint{Path: "/users/{id}/{name}", Params: []string{"id", "name"}}
	tmpl, err := parseTemplate("/v1/users/{id}/items/{Name}?owner={id}", e, false, 0)
	if err != nil {
		b.Fatal(err)
	}
	params := proxy.Params{"42", "ann"} // /users/42/ann
	b.ReportAllocs()
	for b.Loop() {
		if u, _ := tmpl.fill("http://users.internal", params, nil, nil); len(u) == 0 {
			b.Fatal("empty URL")
		}
	}
}

// BenchmarkHTTPCache measures one call of an HTTP backend's whole pipeline
// (a JSON object passed through): to an httptest server on 127.0.0.1, a
// hit of qos/http-cache (the call it saves), and the call with
// modifier/martian modifiers.
func BenchmarkHTTPCache(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write([]byte(`{"id":42,"name":"ann","tags":["a","b","c"]}`))
	}))
	defer srv.Close()
	for _, bc := range []struct{ name, extra string }{
		{"backend_call", `{}`},
		{"cache_hit", `{"qos/http-cache": {}}`},
		// modifier/martian's cost: a header added to the request (KrakenD's
		// basic-auth example), and a group changing request and response.
		{"martian_header", `{"modifier/martian": {"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}}}`},
		{"martian_group", `{"modifier/martian": {"fifo.Group": {"scope": ["request", "response"], "modifiers": [
			{"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}},
			{"querystring.Modifier": {"scope": ["request"], "name": "api_key", "value": "k1"}},
			{"header.Blacklist": {"scope": ["response"], "names": ["Server"]}}]}}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [{"endpoint": "/e", "backend": [{"host": ["` + srv.URL + `"], "url_pattern": "/r", "extra_config": ` + bc.extra + `}]}]}`))
			if err != nil {
				b.Fatal(err)
			}
			k, _ := NewKind(backend.Deps{})
			defer k.Close()
			e := svc.Endpoints[0]
			p, err := backend.Build(backend.Spec{Endpoint: e, Backend: e.Backend[0]}, []backend.Kind{k}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := p(ctx, &proxy.Request{Headers: http.Header{}})
				if err != nil || len(resp.Raw) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTPSharedCache measures one call of an HTTP backend's whole
// pipeline with qos/http-cache shared through a real redis-server on
// loopback: the call to the backend without a cache (what a hit saves), a
// hit of another gateway's reply in Redis (the gateway's memory holds one
// reply and two URLs alternate, so that each call reads Redis), and a miss
// everywhere (a new URL each time: the Redis read, the backend call, the
// Redis write).
func BenchmarkHTTPSharedCache(b *testing.B) {
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write([]byte(`{"id":42,"name":"ann","tags":["a","b","c"]}`))
	}))
	defer srv.Close()
	rs := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: rs.Addr(), Protocol: 2, DisableIdentity: true, ContextTimeoutEnabled: true})
	defer c.Close()
	pools := onePool{"c": c}
	build := func(b *testing.B, extra string) proxy.Proxy {
		svc, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [{"endpoint": "/e", "input_query_strings": ["n"], "backend": [{"host": ["` + srv.URL + `"], "url_pattern": "/r", "extra_config": ` + extra + `}]}]}`))
		if err != nil {
			b.Fatal(err)
		}
		k, _ := NewKind(backend.Deps{Redis: pools})
		b.Cleanup(k.Close)
		e := svc.Endpoints[0]
		p, err := backend.Build(backend.Spec{Endpoint: e, Backend: e.Backend[0]}, []backend.Kind{k}, nil)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	var seq atomic.Int64 // the misses' URLs, never the same twice
	shared := `{"qos/http-cache": {"connection_name": "c", "max_items": 1, "max_size": 1048576}}`
	req := func(n string) *proxy.Request {
		return &proxy.Request{Headers: http.Header{}, Query: map[string][]string{"n": {n}}}
	}
	ctx := context.Background()
	call := func(b *testing.B, p proxy.Proxy, r *proxy.Request) {
		if resp, err := p(ctx, r); err != nil || len(resp.Raw) == 0 {
			b.Fatal(err)
		}
	}
	b.Run("backend_call", func(b *testing.B) {
		p := build(b, `{}`)
		r := req("1")
		b.ReportAllocs()
		cpu := cpuTime(b)
		for b.Loop() {
			call(b, p, r)
		}
		reportCPU(b, cpu)
	})
	b.Run("shared_hit", func(b *testing.B) {
		other := build(b, shared) // another gateway stores both replies
		rs := []*proxy.Request{req("1"), req("2")}
		for _, r := range rs {
			call(b, other, r)
		}
		p := build(b, shared)
		i := 0
		before := calls.Load()
		b.ReportAllocs()
		cpu := cpuTime(b)
		for b.Loop() {
			i++
			call(b, p, rs[i%2])
		}
		reportCPU(b, cpu)
		if n := calls.Load() - before; n != 0 {
			b.Fatalf("%d backend calls: not every call was a hit", n)
		}
	})
	b.Run("miss", func(b *testing.B) {
		p := build(b, shared)
		before := calls.Load()
		b.ReportAllocs()
		cpu := cpuTime(b)
		for b.Loop() {
			call(b, p, req("m"+strconv.FormatInt(seq.Add(1), 10)))
		}
		reportCPU(b, cpu)
		if n := calls.Load() - before; n != int64(b.N) {
			b.Fatalf("%d backend calls in %d misses", n, b.N)
		}
	})
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per op since start
// ("cpu-ns/op"): the gateway's work (and the in-process test backend's),
// without the time spent waiting for redis-server or a core.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// onePool is the service's Redis pools (backend.RedisPools).
type onePool map[string]*redis.Client

func (p onePool) Get(name string) (*redis.Client, bool) { c, ok := p[name]; return c, ok }
func (p onePool) Names() []string {
	var n []string
	for k := range p {
		n = append(n, k)
	}
	return n
}
