package lambda

import (
	"encoding/json"
	"testing"

	"github.com/lambdagate/lambdagate/proxy"
)

// TestLambdaAuthorizerInEvents: the answer of the endpoint's Lambda
// authorizer is in API Gateway events where API Gateway puts it: a REST
// API event's requestContext.authorizer (principalId and the context,
// values as text), an HTTP API event's requestContext.authorizer.lambda
// (the context as returned).
func TestLambdaAuthorizerInEvents(t *testing.T) {
	t.Parallel()
	req := eventRequest()
	req.Authorizer = &proxy.AuthorizerResult{
		PrincipalID: "user-1",
		Context:     map[string]any{"tenant": "acme", "level": json.Number("3"), "admin": false, "principalId": "forged"},
		Version:     "1.0",
	}
	r := route{pattern: "/users/{id}", params: []string{"id"}}
	for format, want := range map[string]string{
		FormatAPIGatewayV1: `{"admin":"false","level":"3","principalId":"user-1","tenant":"acme"}`,
		FormatAPIGatewayV2: `{"lambda":{"admin":false,"level":3,"principalId":"forged","tenant":"acme"}}`,
	} {
		b, err := newPayloadBuilder(format, "GET", r)(req, "")
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			RequestContext struct {
				Authorizer json.RawMessage `json:"authorizer"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		if got := string(ev.RequestContext.Authorizer); got != want {
			t.Errorf("%s: requestContext.authorizer = %s, want %s", format, got, want)
		}
	}
	// Without an authorizer, nothing is added.
	req.Authorizer = nil
	b, _ := newPayloadBuilder(FormatAPIGatewayV2, "GET", r)(req, "")
	var ev map[string]map[string]any
	json.Unmarshal(b, &ev)
	if _, ok := ev["requestContext"]["authorizer"]; ok {
		t.Errorf("a v2 event without an authorizer has requestContext.authorizer")
	}
}
