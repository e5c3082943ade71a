package lambda

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The claims of a validated JWT reach API Gateway events where API
// Gateway's JWT authorizers put them, every value a string, so that
// aws-lambda-go's event types decode them.
func TestAuthorizerContext(t *testing.T) {
	t.Parallel()
	req := eventRequest()
	var claims map[string]any
	json.Unmarshal([]byte(`{"sub": "ada", "exp": 1767225600, "amount": 1.5, "admin": true,
		"groups": ["a", "b"], "addr": {"city": "x"}, "scope": "read write"}`), &claims)
	req.Claims = claims
	want := map[string]string{"sub": "ada", "exp": "1767225600", "amount": "1.5", "admin": "true",
		"groups": "[a b]", "addr": `{"city":"x"}`, "scope": "read write"}
	r := route{pattern: "/users/{id}", params: []string{"id"}, keys: []string{"id"}}
	now := time.Now()

	b, _ := json.Marshal(apiGatewayV2Event(req, r, "rid", now))
	var v2 events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &v2); err != nil {
		t.Fatal(err)
	}
	jwt := v2.RequestContext.Authorizer.JWT
	if !reflect.DeepEqual(jwt.Claims, want) || !reflect.DeepEqual(jwt.Scopes, []string{"read", "write"}) {
		t.Errorf("v2 authorizer.jwt = %+v", jwt)
	}

	b, _ = json.Marshal(apiGatewayV1Event(req, r, "rid", now))
	var v1 struct {
		RequestContext struct {
			Authorizer struct {
				Claims map[string]string `json:"claims"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v1.RequestContext.Authorizer.Claims, want) {
		t.Errorf("v1 authorizer.claims = %v", v1.RequestContext.Authorizer.Claims)
	}

	// scp, as an array, when there is no scope.
	if got := tokenScopes(map[string]any{"scp": []any{"a", 1, "b"}}); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("scp scopes = %v", got)
	}
	// Without claims, no authorizer.
	req.Claims = nil
	if ev := apiGatewayV2Event(req, r, "rid", now); ev.RequestContext.Authorizer != nil {
		t.Errorf("v2 authorizer without claims: %+v", ev.RequestContext.Authorizer)
	}
	if ev := apiGatewayV1Event(req, r, "rid", now); ev.RequestContext.Authorizer != nil {
		t.Errorf("v1 authorizer without claims: %v", ev.RequestContext.Authorizer)
	}
}
