//go:build unix

package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRateLimitCost is a GET through the whole gateway (router,
// endpoint, a canned backend, render), without a limit and with each kind
// of limit at rates no request reaches: the difference is the layer's cost
// per request. Besides ns/op it reports cpu-ns/op, the process's CPU time
// per request, as BenchmarkPipelineJWT does.
func BenchmarkRateLimitCost(b *testing.B) {
	for _, c := range []struct {
		name, limit string
		peer        string
		header      http.Header
	}{
		{"none", ``, "192.0.2.1:1234", nil},
		{"endpoint", `"qos/ratelimit/router": {"max_rate": 1e9}`, "192.0.2.1:1234", nil},
		{"client-ip", `"qos/ratelimit/router": {"client_max_rate": 1e9, "strategy": "ip"}`, "192.0.2.1:1234", nil},
		{"client-ip-forwarded", `"qos/ratelimit/router": {"client_max_rate": 1e9, "strategy": "ip"}`, "10.0.0.1:1234",
			http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.2"}}},
		{"endpoint+client-ip", `"qos/ratelimit/router": {"max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`, "192.0.2.1:1234", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := builtGateway(b, `{"version": 3, "host": ["h"],
				"extra_config": {"router": {"disable_access_log": true, "forwarded_by_client_ip": true, "trusted_proxies": ["10.0.0.0/8"]}},
				"endpoints": [{"endpoint": "/a/{id}", "extra_config": {`+c.limit+`}, "backend": [{"url_pattern": "/a"}]}]}`, hello)
			req := httptest.NewRequest("GET", "/a/42", nil)
			req.RemoteAddr = c.peer
			for k, vs := range c.header {
				req.Header[k] = vs
			}
			start := cpuTime()
			serve(b, h, req)
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
