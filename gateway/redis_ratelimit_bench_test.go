//go:build unix

package gateway

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

// BenchmarkRedisRateLimitCost is BenchmarkRateLimitCost's GET through the
// whole gateway with the node-local limit, with qos/ratelimit/router/redis
// and with qos/ratelimit/service/redis on a redis-server on loopback, at rates no request reaches. Besides
// ns/op and cpu-ns/op (this process's CPU: redis-server's is not counted)
// it reports the p50 and p99 of one request's time, which for the Redis
// case is mostly the check's round trip.
func BenchmarkRedisRateLimitCost(b *testing.B) {
	srv := redistest.Start(b)
	for _, c := range []struct{ name, limit, service string }{
		{"node-local/endpoint+client-ip", `"qos/ratelimit/router": {"max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`, ""},
		{"redis/endpoint", `"qos/ratelimit/router/redis": {"connection_name": "rl", "max_rate": 1e9}`, ""},
		{"redis-unix/endpoint", `"qos/ratelimit/router/redis": {"connection_name": "rlu", "max_rate": 1e9}`, ""},
		{"redis/endpoint+client-ip", `"qos/ratelimit/router/redis": {"connection_name": "rl", "max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`, ""},
		{"redis/service+client-ip", "", `, "qos/ratelimit/service/redis": {"connection_name": "rl", "max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := builtGateway(b, `{"version": 3, "host": ["h"],
				"extra_config": {"router": {"disable_access_log": true}, "redis": {"connection_pools": [{"name": "rl", "address": "`+srv.Addr()+`"}, {"name": "rlu", "address": "unix://`+srv.Socket()+`"}]}`+c.service+`},
				"endpoints": [{"endpoint": "/a/{id}", "extra_config": {`+c.limit+`}, "backend": [{"url_pattern": "/a"}]}]}`, hello)
			req := httptest.NewRequest("GET", "/a/42", nil)
			req.RemoteAddr = "192.0.2.1:1234"
			lat := make([]time.Duration, 0, 1<<16)
			start := cpuTime()
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t0))
				}
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkRedisRateLimitParallel is BenchmarkRedisRateLimitCost's GET
// served by many goroutines at once (b.RunParallel, conc of them), as a
// gateway under load serves its connections: the concurrent checks on the
// pool go out batched (internal/redisbatch). It reports cpu-ns/op (this
// process's CPU per request), the p50 and p99 of one request's time, and
// for the Redis cases the mean checks a round trip carried.
func BenchmarkRedisRateLimitParallel(b *testing.B) {
	srv := redistest.Start(b)
	for _, c := range []struct{ name, pool, limit string }{
		{"none", "rl", ``},
		{"node-local/endpoint+client-ip", "rl", `"qos/ratelimit/router": {"max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`},
		{"redis/endpoint", "rl", `"qos/ratelimit/router/redis": {"connection_name": "rl", "max_rate": 1e9}`},
		{"redis-unix/endpoint", "rlu", `"qos/ratelimit/router/redis": {"connection_name": "rlu", "max_rate": 1e9}`},
		{"redis/endpoint+client-ip", "rl", `"qos/ratelimit/router/redis": {"connection_name": "rl", "max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`},
	} {
		for _, conc := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/conc=%d", c.name, conc), func(b *testing.B) {
				cfg, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"],
					"extra_config": {"router": {"disable_access_log": true}, "redis": {"connection_pools": [{"name": "rl", "address": "` + srv.Addr() + `"}, {"name": "rlu", "address": "unix://` + srv.Socket() + `"}]}},
					"endpoints": [{"endpoint": "/a/{id}", "extra_config": {` + c.limit + `}, "backend": [{"url_pattern": "/a"}]}]}`))
				if err != nil {
					b.Fatal(err)
				}
				g, _, err := New(cfg, Options{Logger: quiet, Kinds: hello})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(g.Close)
				h := g.Handler()
				batcher, _ := g.redis.Batcher(c.pool)
				rounds0, calls0 := batcher.Stats()
				var mu sync.Mutex
				var lat []time.Duration
				errs := 0
				b.SetParallelism(max(1, conc/runtime.GOMAXPROCS(0)))
				if conc == 1 {
					// One goroutine: SetParallelism cannot go below GOMAXPROCS.
					b.SetParallelism(1)
				}
				start := cpuTime()
				b.ReportAllocs()
				b.ResetTimer()
				body := func(next func() bool) {
					req := httptest.NewRequest("GET", "/a/42", nil)
					req.RemoteAddr = "192.0.2.1:1234"
					mine := make([]time.Duration, 0, 1<<14)
					failed := 0
					for next() {
						t0 := time.Now()
						w := httptest.NewRecorder()
						h.ServeHTTP(w, req)
						if len(mine) < cap(mine) {
							mine = append(mine, time.Since(t0))
						}
						if w.Code != 200 {
							failed++
						}
					}
					mu.Lock()
					lat = append(lat, mine...)
					errs += failed
					mu.Unlock()
				}
				if conc == 1 {
					body(b.Loop)
				} else {
					b.RunParallel(func(pb *testing.PB) { body(pb.Next) })
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
				// A check past its timeout (250ms) on a loaded machine is
				// answered 503: counted, and the run fails above 1%.
				b.ReportMetric(float64(errs)/float64(b.N), "non-200/op")
				if errs*100 > b.N {
					b.Errorf("%d of %d requests were not answered 200", errs, b.N)
				}
				if len(lat) > 0 {
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
					b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
				}
				if rounds, calls := batcher.Stats(); rounds > rounds0 {
					b.ReportMetric(float64(calls-calls0)/float64(rounds-rounds0), "checks/round-trip")
				}
			})
		}
	}
}
