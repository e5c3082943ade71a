package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// TestLambdaAuthorizerLayer: an endpoint with lambdagate/authorizer runs
// its function, invoked through the local runtime's URL
// (Options.LocalLambdaURL, as `run --functions` sets it), before its
// backends; the answer's context reaches an apigateway_v2 Lambda backend
// and, through propagate_context, an HTTP backend (the client's forged
// copy removed).
func TestLambdaAuthorizerLayer(t *testing.T) {
	t.Parallel()
	var authCalls atomic.Int32
	fake := fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, _ int) {
		switch c.Name {
		case "auth":
			authCalls.Add(1)
			var ev struct{ IdentitySource []string }
			json.Unmarshal(c.Body, &ev)
			w.Write([]byte(`{"isAuthorized": ` + map[bool]string{true: "true", false: "false"}[ev.IdentitySource[0] == "good"] + `, "context": {"tenant": "acme", "n": 2}}`))
		default:
			w.Write(c.Body) // the event, as data
		}
	})
	t.Cleanup(fake.Close)
	var tenant atomic.Value
	host := backendServer(t, map[string]http.HandlerFunc{
		"/h": func(w http.ResponseWriter, r *http.Request) {
			tenant.Store(strings.Join(r.Header.Values("X-Tenant"), ","))
			w.Write([]byte(`{"ok": true}`))
		},
	})
	cfg := parse(t, `{"version": 3, "host": ["`+host+`"], "endpoints": [
		{"endpoint": "/users/{id}", "input_headers": ["X-Tenant"],
		 "extra_config": {"lambdagate/authorizer": {"function_name": "auth", "payload_format_version": "2.0",
		   "enable_simple_responses": true, "identity_source": ["$request.header.Authorization"],
		   "propagate_context": [["tenant", "X-Tenant"]]}},
		 "backend": [
		   {"url_pattern": "/h", "group": "http"},
		   {"url_pattern": "/", "group": "lambda", "allow": ["requestContext.authorizer"],
		    "extra_config": {"backend/lambda": {"function_name": "echo", "payload_format": "apigateway_v2", "response_format": "krakend"}}}]}
	]}`)
	g, warns, err := New(cfg, Options{Logger: quiet, LocalLambdaURL: fake.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(g.Close)
	if len(warns) > 0 {
		t.Errorf("warnings: %q", warns)
	}
	call := func(auth string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/users/7", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		r.Header.Set("X-Tenant", "forged")
		g.Handler().ServeHTTP(w, r)
		return w
	}
	if w := call(""); w.Code != 401 || authCalls.Load() != 0 {
		t.Errorf("no token: %d after %d calls, want 401 without invoking", w.Code, authCalls.Load())
	}
	if w := call("bad"); w.Code != 403 {
		t.Errorf("bad token: %d, want 403", w.Code)
	}
	w := call("good")
	want := `{"http":{"ok":true},"lambda":{"requestContext":{"authorizer":{"lambda":{"n":2,"tenant":"acme"}}}}}`
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("good token: %d %s, want %s", w.Code, w.Body, want)
	}
	if got := tenant.Load(); got != "acme" {
		t.Errorf("the HTTP backend got X-Tenant %q, want the authorizer's acme", got)
	}
	call("good")
	if n := authCalls.Load(); n != 2 {
		t.Errorf("%d authorizer calls for 2 tokens, want 2 (the second good call is cached)", n)
	}
}

// TestLambdaAuthorizerWhereNotRead: lambdagate/authorizer anywhere but an
// endpoint is refused, and its own problems are reported with their JSON
// paths beside the endpoint's others.
func TestLambdaAuthorizerWhereNotRead(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["http://h"],
		"extra_config": {"lambdagate/authorizer": {"function_name": "auth"}},
		"endpoints": [
		  {"endpoint": "/a", "backend": [{"url_pattern": "/x", "extra_config": {"lambdagate/authorizer": {"function_name": "auth"}}}]},
		  {"endpoint": "/b/{id}", "extra_config": {"lambdagate/authorizer": {"function_name": "auth", "payload_format_version": "1.1"}},
		   "backend": [{"url_pattern": "/x/{user}"}]}
		]}`)
	_, _, err := New(cfg, Options{Logger: quiet, LocalLambdaURL: "http://127.0.0.1:1"})
	if err == nil {
		t.Fatal("New accepted the file")
	}
	for _, want := range []string{
		`extra_config["lambdagate/authorizer"]: lambdagate reads "lambdagate/authorizer" on endpoints only`,
		`endpoints[0].backend[0].extra_config["lambdagate/authorizer"]: lambdagate reads "lambdagate/authorizer" on endpoints only`,
		`endpoints[1].extra_config["lambdagate/authorizer"].payload_format_version: "1.1" is not a payload format version`,
		`endpoints[1].backend[0].url_pattern`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors:\n%v\nwant one holding %q", err, want)
		}
	}
}

// TestLambdaAuthorizerWarnsOfUnforwardedHeaders: a propagate_context
// header the endpoint's input_headers do not list reaches no backend,
// which start-up says.
func TestLambdaAuthorizerWarnsOfUnforwardedHeaders(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["http://h"], "endpoints": [
		{"endpoint": "/a", "extra_config": {"lambdagate/authorizer": {"function_name": "auth", "payload_format_version": "1.0",
		  "identity_source": ["method.request.header.Authorization"], "propagate_context": [["user", "X-User"]]}},
		 "backend": [{"url_pattern": "/x"}]}]}`)
	g, warns, err := New(cfg, Options{Logger: quiet, LocalLambdaURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	want := `endpoints[0].extra_config["lambdagate/authorizer"].propagate_context[0]: X-User is not in the endpoint's input_headers`
	if !strings.Contains(strings.Join(warns, "\n"), want) {
		t.Errorf("warnings %q, want %q", warns, want)
	}
}

// An endpoint without lambdagate/authorizer has no layer: its handler is
// not wrapped.
func TestLambdaAuthorizerAbsent(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/x"}]}]}`)
	l := newAuthorizerLayers("", quiet, RouterOptions{}, nil, func(string) {})
	if layer, err := l.layer(cfg.Endpoints[0]); layer != nil || err != nil {
		t.Errorf("layer = %v, %v; want none", layer != nil, err)
	}
}

// With auth/validator and lambdagate/authorizer on one endpoint, the JWT
// is checked first (a request without one never invokes the authorizer),
// and a REST API event carries both the claims and the authorizer's
// answer in requestContext.authorizer.
func TestJWTThenLambdaAuthorizer(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t)
	var authCalls atomic.Int32
	fake := fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, _ int) {
		if c.Name == "auth" {
			authCalls.Add(1)
			w.Write([]byte(`{"principalId": "p-1", "policyDocument": {"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}}, "context": {"tenant": "acme"}}`))
			return
		}
		w.Write(c.Body)
	})
	t.Cleanup(fake.Close)
	cfg := parse(t, `{"version": 3, "endpoints": [
		{"endpoint": "/both", "extra_config": {
		   "auth/validator": {"alg": "RS256", "jwk_local_path": "`+f.jwks+`"},
		   "lambdagate/authorizer": {"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["method.request.header.Authorization"]}},
		 "backend": [{"host": ["ignored"], "url_pattern": "/", "allow": ["requestContext.authorizer"],
		   "extra_config": {"backend/lambda": {"function_name": "echo", "payload_format": "apigateway_v1", "response_format": "krakend"}}}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet, LocalLambdaURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	call := func(auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/both", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		g.Handler().ServeHTTP(w, r)
		return w
	}
	if w := call("Bearer not-a-jwt"); w.Code != 401 || authCalls.Load() != 0 {
		t.Errorf("bad JWT: %d after %d authorizer calls, want 401 without one", w.Code, authCalls.Load())
	}
	w := call("Bearer " + f.token(t, nil))
	var got struct {
		RequestContext struct {
			Authorizer map[string]any `json:"authorizer"`
		} `json:"requestContext"`
	}
	json.Unmarshal(w.Body.Bytes(), &got)
	a := got.RequestContext.Authorizer
	if w.Code != 200 || a["principalId"] != "p-1" || a["tenant"] != "acme" || a["claims"] == nil {
		t.Errorf("valid JWT: %d %s: want the claims and the authorizer's answer", w.Code, w.Body)
	}
}
