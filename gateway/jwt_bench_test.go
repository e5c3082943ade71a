//go:build unix

package gateway

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkPipelineJWT is BenchmarkPipeline's single endpoint without and
// with auth/validator (RS256, 2048-bit key from jwk_local_path), the same
// GET with the same token each time: the difference is what validating a
// token a client sends again costs per request. "propagate" also copies
// two claims into headers the endpoint lets through. Besides ns/op it
// reports cpu-ns/op, the process's CPU time (every thread, the GC's too)
// per request, which a busy machine inflates less than wall time.
func BenchmarkPipelineJWT(b *testing.B) {
	f := newJWTFixture(b)
	tok := f.token(b, map[string]any{"aud": "api", "roles": []string{"user"}, "email": "ada@example.com", "scope": "read write"})
	small := []byte(`{"message":"Hello from Lambda!","id":12345,"ok":true,"tags":["a","b"],"nested":{"x":1.50}}`)
	validator := `"auth/validator":{"alg":"RS256","jwk_local_path":"` + f.jwks + `","issuer":"https://idp.test","audience":["api"],"roles":["user"]`
	cases := []struct{ name, extra string }{
		{"off", `{}`},
		{"rs256", `{` + validator + `}}`},
		{"rs256-propagate", `{` + validator + `,"propagate_claims":[["sub","X-User"],["email","X-Email"]]}}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := benchGateway(b, `{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":[{"endpoint":"/a/{id}","input_headers":["X-User","X-Email"],"extra_config":`+c.extra+`,"backend":[{"url_pattern":"/a"}]}]}`, small)
			req := httptest.NewRequest("GET", "/a/42", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			start := cpuTime()
			serve(b, h, req)
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
