//go:build unix

package gateway

import (
	"net/http/httptest"
	"slices"
	"testing"
	"time"

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
		{"redis/endpoint+client-ip", `"qos/ratelimit/router/redis": {"connection_name": "rl", "max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`, ""},
		{"redis/service+client-ip", "", `, "qos/ratelimit/service/redis": {"connection_name": "rl", "max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := builtGateway(b, `{"version": 3, "host": ["h"],
				"extra_config": {"router": {"disable_access_log": true}, "redis": {"connection_pools": [{"name": "rl", "address": "`+srv.Addr()+`"}]}`+c.service+`},
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
