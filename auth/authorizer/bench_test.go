package authorizer

import (
	"net/http"
	"strings"
	"testing"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkCacheHit measures what an authorizer adds to a request whose
// answer is cached: reading the identity sources, the method ARN, the
// cache key (SHA-256 of a 1 KB bearer token), the lookup, the policy's
// evaluation or the simple response, the propagated headers and the
// context handed on. docs/BENCHMARKS.md records the figures.
func BenchmarkCacheHit(b *testing.B) {
	token := "Bearer " + strings.Repeat("t", 1024)
	for _, c := range []struct{ name, opts, answer string }{
		{"token/iam-policy", `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["method.request.header.Authorization"]}`,
			`{"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
			  {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*/DELETE/*"},
			  {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ["arn:aws:execute-api:*:*:*/*/POST/*", "arn:aws:execute-api:us-east-1:*:lambdagate/*/GET/users/*"]}]}}`},
		{"v2/simple+2-sources+propagate", `{"function_name": "auth", "payload_format_version": "2.0", "enable_simple_responses": true,
			"identity_source": ["$request.header.Authorization", "$request.querystring.tenant"], "propagate_context": [["user", "X-User"], ["tenant", "X-Tenant"]]}`,
			`{"isAuthorized": true, "context": {"user": "u-1", "tenant": "acme"}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			inv := &fakeInvoker{reply: answering(c.answer)}
			a := testAuthorizer(b, testEndpoint(b, usersEndpoint), c.opts, inv)
			h := a.Wrap(func(w http.ResponseWriter, r *http.Request, _ []string) {})
			r := get("/users/42?tenant=acme", "Authorization", token)
			w := &discard{h: http.Header{}}
			params := []string{"42"}
			h(w, r, params)
			if inv.calls() != 1 {
				b.Fatalf("%d calls", inv.calls())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				h(w, r, params)
			}
			b.StopTimer()
			if inv.calls() != 1 {
				b.Fatalf("%d calls: the answer was not cached", inv.calls())
			}
		})
	}
}
