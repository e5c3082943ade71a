package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

// BenchmarkPipelineAuthorizer is BenchmarkPipeline's single endpoint
// without and with lambdagate/authorizer, the same GET with the same 1 KB
// token each time: after the first request the answer is cached, so the
// difference is what a cache hit costs per request (the policy evaluated
// for the request's method ARN, or the simple response, the headers and
// the answer handed on). The authorizer is served by a fake Invoke API
// given as the local runtime's URL; it answers once.
func BenchmarkPipelineAuthorizer(b *testing.B) {
	fake := fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, _ int) {
		if strings.Contains(string(c.Body), `"version":"2.0"`) {
			w.Write([]byte(`{"isAuthorized": true, "context": {"user": "u-1", "tenant": "acme"}}`))
			return
		}
		w.Write([]byte(`{"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
		  {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*/DELETE/*"},
		  {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ["arn:aws:execute-api:*:*:*/*/POST/*", "arn:aws:execute-api:us-east-1:*:lambdagate/*/GET/a/*"]}]}}`))
	})
	b.Cleanup(fake.Close)
	small := []byte(`{"message":"Hello from Lambda!","id":12345,"ok":true,"tags":["a","b"],"nested":{"x":1.50}}`)
	for _, c := range []struct{ name, extra string }{
		{"off", `{}`},
		{"token-iam-policy", `{"lambdagate/authorizer": {"function_name": "auth", "payload_format_version": "1.0",
		  "identity_source": ["method.request.header.Authorization"]}}`},
		{"v2-simple-propagate", `{"lambdagate/authorizer": {"function_name": "auth", "payload_format_version": "2.0",
		  "enable_simple_responses": true, "identity_source": ["$request.header.Authorization", "$request.querystring.tenant"],
		  "propagate_context": [["user", "X-User"], ["tenant", "X-Tenant"]]}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg, _, err := config.Parse([]byte(`{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":[
			  {"endpoint":"/a/{id}","input_headers":["X-User","X-Tenant"],"extra_config":` + c.extra + `,"backend":[{"url_pattern":"/a"}]}]}`))
			if err != nil {
				b.Fatal(err)
			}
			g, _, err := New(cfg, Options{
				Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
				Kinds:          []backend.NewKind{kindtest.Canned(small)},
				LocalLambdaURL: fake.URL,
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(g.Close)
			req := httptest.NewRequest("GET", "/a/42?tenant=acme", nil)
			req.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 1024))
			defer reportCPU(b)()
			serve(b, g.Handler(), req)
		})
	}
}
