package authorizer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/internal/wirenames"
)

const usersEndpoint = `{"endpoint": "/users/{id}", "timeout": "1s", "backend": [{"host": ["http://h"], "url_pattern": "/u"}]}`

func get(target string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func TestTokenAuthorizer(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: func(_ context.Context, ev map[string]any) (*lambdainvoke.Result, error) {
		if ev["authorizationToken"] == "allow" {
			return &lambdainvoke.Result{StatusCode: 200, Payload: []byte(allowAnswer(ev["methodArn"].(string)))}, nil
		}
		return &lambdainvoke.Result{StatusCode: 200, Payload: []byte(`{"principalId": "x", "policyDocument": {"Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}]}}`)}, nil
	}}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["method.request.header.Authorization"], "result_ttl": "0s"}`, inv)
	if a.kind != tokenEvent {
		t.Fatalf("kind = %v, want TOKEN", a.kind)
	}
	status, got := serve(a, get("/users/42", "Authorization", "allow"), "42")
	if status != 200 || got == nil {
		t.Fatalf("allow: %d", status)
	}
	want := map[string]any{"type": "TOKEN", "authorizationToken": "allow", "methodArn": "arn:aws:execute-api:us-east-1:000000000000:lambdagate/$default/GET/users/42"}
	if ev := inv.last(); !equalJSON(ev, want) {
		t.Errorf("event = %v, want %v", ev, want)
	}
	if r := got.authorizer; r == nil || r.PrincipalID != "user-1" || r.Context["tenant"] != "acme" || r.Version != "1.0" {
		t.Errorf("authorizer result = %+v", r)
	}
	if status, got := serve(a, get("/users/42", "Authorization", "deny"), "42"); status != 403 || got != nil {
		t.Errorf("deny: %d, next ran: %v", status, got != nil)
	}
	if status, _ := serve(a, get("/users/42"), "42"); status != 401 || inv.calls() != 2 {
		t.Errorf("no token: %d after %d calls, want 401 without a call", status, inv.calls())
	}
}

func TestRequestEvents(t *testing.T) {
	t.Parallel()
	e := testEndpoint(t, usersEndpoint)
	for _, c := range []struct {
		name, opts string
		want       map[string]any // keys the event must hold, with these values
		absent     []string
	}{
		{"REST API", `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["method.request.header.X-Key", "method.request.querystring.token"]}`,
			map[string]any{"type": "REQUEST", "resource": "/users/{id}", "path": "/users/42", "httpMethod": "GET",
				"methodArn":                       "arn:aws:execute-api:us-east-1:000000000000:lambdagate/$default/GET/users/42",
				"pathParameters":                  map[string]any{"id": "42"},
				"queryStringParameters":           map[string]any{"token": "t2", "other": "o"},
				"multiValueQueryStringParameters": map[string]any{"token": []any{"t1", "t2"}, "other": []any{"o"}},
			}, []string{"version", "identitySource"}},
		{"HTTP API 1.0", `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["$request.header.X-Key", "$request.querystring.token"]}`,
			map[string]any{"version": "1.0", "type": "REQUEST", "identitySource": "k,t1,t2", "authorizationToken": "k,t1,t2", "resource": "/users/{id}"},
			[]string{"multiValueHeaders"}},
		{"HTTP API 2.0", `{"function_name": "auth", "payload_format_version": "2.0", "enable_simple_responses": true, "identity_source": ["$request.header.X-Key", "$request.querystring.token"]}`,
			map[string]any{"version": "2.0", "type": "REQUEST", "identitySource": []any{"k", "t1,t2"}, "routeKey": "GET /users/{id}",
				"routeArn": "arn:aws:execute-api:us-east-1:000000000000:lambdagate/$default/GET/users/42", "rawPath": "/users/42",
				"rawQueryString": "token=t1&token=t2&other=o", "cookies": []any{"a=1", "b=2"},
				"queryStringParameters": map[string]any{"token": "t1,t2", "other": "o"}, "pathParameters": map[string]any{"id": "42"}},
			nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := &fakeInvoker{reply: answering(`{"isAuthorized": true, "principalId": "p", "policyDocument": {"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}}}`)}
			a := testAuthorizer(t, e, c.opts, inv)
			status, _ := serve(a, get("/users/42?token=t1&token=t2&other=o", "X-Key", "k", "Cookie", "a=1; b=2"), "42")
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			ev := inv.last()
			for k, v := range c.want {
				if !equalJSON(ev[k], v) {
					t.Errorf("event[%q] = %#v, want %#v", k, ev[k], v)
				}
			}
			for _, k := range c.absent {
				if _, ok := ev[k]; ok {
					t.Errorf("event has %q", k)
				}
			}
			headers, _ := ev["headers"].(map[string]any)
			if headers["X-Key"] != "k" && headers["x-key"] != "k" {
				t.Errorf("event headers = %v: no X-Key", headers)
			}
		})
	}
}

func TestSimpleResponses(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: func(_ context.Context, ev map[string]any) (*lambdainvoke.Result, error) {
		ok := ev["identitySource"].([]any)[0] == "good"
		return &lambdainvoke.Result{StatusCode: 200, Payload: []byte(`{"isAuthorized": ` + map[bool]string{true: "true", false: "false"}[ok] + `, "context": {"user": {"id": 7}}}`)}, nil
	}}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "2.0", "enable_simple_responses": true, "identity_source": ["$request.header.Authorization"]}`, inv)
	status, got := serve(a, get("/users/1", "Authorization", "good"), "1")
	if status != 200 || got.authorizer.PrincipalID != "" || !equalJSON(got.authorizer.Context, map[string]any{"user": map[string]any{"id": 7}}) {
		t.Fatalf("good: %d %+v", status, got)
	}
	if status, _ := serve(a, get("/users/1", "Authorization", "bad"), "1"); status != 403 {
		t.Errorf("bad: %d, want 403", status)
	}
}

func TestAnswerFailures(t *testing.T) {
	t.Parallel()
	e := testEndpoint(t, `{"endpoint": "/a", "timeout": "100ms", "backend": [{"host": ["http://h"], "url_pattern": "/u"}]}`)
	for _, c := range []struct {
		name   string
		opts   string
		reply  func(context.Context, map[string]any) (*lambdainvoke.Result, error)
		status int
	}{
		{"not JSON", "1.0", answering(`allow`), 500},
		{"null", "1.0", answering(`null`), 500},
		{"no principalId", "1.0", answering(`{"policyDocument": {"Statement": []}}`), 500},
		{"no policy", "1.0", answering(`{"principalId": "p"}`), 500},
		{"object in a 1.0 context", "1.0", answering(`{"principalId": "p", "context": {"o": {}}, "policyDocument": {"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}}}`), 500},
		{"condition", "1.0", answering(`{"principalId": "p", "policyDocument": {"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*", "Condition": {}}}}`), 500},
		{"simple without isAuthorized", "simple", answering(`{"context": {}}`), 500},
		{"simple with a string", "simple", answering(`{"isAuthorized": "true"}`), 500},
		{"function error", "1.0", func(context.Context, map[string]any) (*lambdainvoke.Result, error) {
			return &lambdainvoke.Result{StatusCode: 200, FunctionError: "Unhandled", Payload: []byte(`{"errorType": "Error", "errorMessage": "boom"}`)}, nil
		}, 500},
		{"Unauthorized", "1.0", func(context.Context, map[string]any) (*lambdainvoke.Result, error) {
			return &lambdainvoke.Result{StatusCode: 200, FunctionError: "Handled", Payload: []byte(`{"errorType": "Error", "errorMessage": "Unauthorized"}`)}, nil
		}, 401},
		{"invoke API error", "1.0", func(context.Context, map[string]any) (*lambdainvoke.Result, error) {
			return nil, &lambdainvoke.APIError{StatusCode: 429, Code: "TooManyRequestsException"}
		}, 500},
		{"timeout", "1.0", func(ctx context.Context, _ map[string]any) (*lambdainvoke.Result, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, 500},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["$request.header.A"]}`
			if c.opts == "simple" {
				opts = `{"function_name": "auth", "payload_format_version": "2.0", "enable_simple_responses": true, "identity_source": ["$request.header.A"]}`
			}
			inv := &fakeInvoker{reply: c.reply}
			a := testAuthorizer(t, e, opts, inv)
			start := time.Now()
			if status, got := serve(a, get("/a", "A", "x")); status != c.status || got != nil {
				t.Errorf("status %d, want %d (next ran: %v)", status, c.status, got != nil)
			}
			if c.name == "timeout" && time.Since(start) > 2*time.Second {
				t.Errorf("the endpoint's timeout was not applied: %v", time.Since(start))
			}
			// Failures are not cached.
			serve(a, get("/a", "A", "x"))
			if inv.calls() != 2 {
				t.Errorf("%d calls for two requests, want 2", inv.calls())
			}
		})
	}
}

func TestCacheAndMethodARNs(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: answering(allowAnswer("arn:aws:execute-api:*:*:*/*/GET/users/1"))}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["method.request.header.Authorization"]}`, inv)
	if status, _ := serve(a, get("/users/1", "Authorization", "t"), "1"); status != 200 {
		t.Fatalf("first: %d", status)
	}
	if status, _ := serve(a, get("/users/1", "Authorization", "t"), "1"); status != 200 || inv.calls() != 1 {
		t.Errorf("cached: %d after %d calls, want 200 after 1", status, inv.calls())
	}
	// The cached policy is evaluated again for another method ARN.
	if status, _ := serve(a, get("/users/2", "Authorization", "t"), "2"); status != 403 || inv.calls() != 1 {
		t.Errorf("other path: %d after %d calls, want 403 after 1", status, inv.calls())
	}
	// Another identity is another key.
	if status, _ := serve(a, get("/users/1", "Authorization", "u"), "1"); status != 200 || inv.calls() != 2 {
		t.Errorf("other token: %d after %d calls, want 200 after 2", status, inv.calls())
	}
}

func TestNoCache(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: answering(allowAnswer("*"))}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "2.0", "result_ttl": "0s"}`, inv)
	for i := 0; i < 3; i++ {
		if status, _ := serve(a, get("/users/1"), "1"); status != 200 {
			t.Fatalf("status %d", status)
		}
	}
	if inv.calls() != 3 || a.cache != nil {
		t.Errorf("%d calls for 3 requests with result_ttl 0s", inv.calls())
	}
}

func TestPropagateContext(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: answering(allowAnswer("*"))}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["$request.header.Authorization"],
		"propagate_context": [["tenant", "X-Tenant"], ["level", "x-level"], ["admin", "X-Admin"], ["principalId", "X-Principal"], ["missing", "X-Missing"]]}`, inv)
	for i := 0; i < 2; i++ { // a miss, then a hit
		r := get("/users/1", "Authorization", "t", "X-Tenant", "forged", "X-Missing", "forged", "X-Principal", "root")
		status, got := serve(a, r, "1")
		if status != 200 {
			t.Fatalf("status %d", status)
		}
		for h, want := range map[string]string{"X-Tenant": "acme", "X-Level": "3", "X-Admin": "false", "X-Principal": "user-1", "X-Missing": ""} {
			if v := got.header.Get(h); v != want {
				t.Errorf("request %d: %s = %q, want %q", i, h, v, want)
			}
		}
		if vs := got.header["X-Tenant"]; len(vs) != 1 {
			t.Errorf("X-Tenant = %q, want one value", vs)
		}
	}
	// A refused request has its forged copies removed too.
	r := get("/users/1", "X-Tenant", "forged")
	serve(a, r, "1")
	if r.Header.Get("X-Tenant") != "" {
		t.Errorf("forged header kept on a refused request")
	}
}

func TestMethodARNTooLong(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: answering(allowAnswer("*"))}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "2.0", "identity_source": ["$request.header.A"]}`, inv)
	if status, _ := serve(a, get("/users/"+strings.Repeat("x", MaxMethodARN), "A", "a"), "x"); status != 414 || inv.calls() != 0 {
		t.Errorf("long path: %d after %d calls, want 414 without a call", status, inv.calls())
	}
}

func TestMissingSources(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: answering(allowAnswer("*"))}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "2.0", "identity_source": ["$request.header.A", "$request.querystring.q"]}`, inv)
	for _, r := range []*http.Request{get("/users/1"), get("/users/1", "A", "a"), get("/users/1?q=", "A", "a"), get("/users/1?q=x", "A", "")} {
		if status, _ := serve(a, r, "1"); status != 401 {
			t.Errorf("%s %v: %d, want 401", r.URL, r.Header, status)
		}
	}
	if inv.calls() != 0 {
		t.Errorf("%d calls, want none", inv.calls())
	}
	if status, _ := serve(a, get("/users/1?q=x", "A", "a"), "1"); status != 200 {
		t.Errorf("with both: %d", status)
	}
}

func TestQueryValue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ raw, name, want string }{
		{"", "q", ""},
		{"q=1", "q", "1"},
		{"a=1&q=2&q=3", "q", "2,3"},
		{"q", "q", ""},
		{"q=a%20b+c", "q", "a b c"},
		{"%71=x", "q", "x"},
		{"qq=1", "q", ""},
		{"q=%zz&q=ok", "q", "ok"},
	} {
		if got := queryValue(c.raw, c.name); got != c.want {
			t.Errorf("queryValue(%q, %q) = %q, want %q", c.raw, c.name, got, c.want)
		}
	}
}

func TestCacheBound(t *testing.T) {
	t.Parallel()
	c := newCache(time.Minute, 3)
	now := time.Now()
	keys := make([]cacheKey, 5)
	for i := range keys {
		keys[i] = keyOf([]string{string(rune('a' + i))})
		c.put(keys[i], &answer{}, now)
	}
	if len(c.m) != 3 {
		t.Fatalf("%d entries, want 3", len(c.m))
	}
	for i, k := range keys {
		if got := c.get(k, now) != nil; got != (i >= 2) {
			t.Errorf("key %d cached: %v", i, got)
		}
	}
	if c.get(keys[4], now.Add(time.Minute)) != nil {
		t.Error("an expired entry was returned")
	}
	// Putting a key again replaces its entry; the stale slot does not
	// drop the new one.
	c.put(keys[4], &answer{authorized: true}, now)
	c.put(keyOf([]string{"x"}), &answer{}, now)
	c.put(keyOf([]string{"y"}), &answer{}, now)
	if a := c.get(keys[4], now); a == nil || !a.authorized {
		t.Errorf("replaced entry lost: %+v", a)
	}
}

func TestCacheKeys(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("t", 3*keyBuffer)
	distinct := [][]string{{"ab"}, {"a", "b"}, {"ab", ""}, {"", "ab"}, {long}, {long, "x"}, {long + "x"}}
	seen := map[cacheKey]int{}
	for i, vs := range distinct {
		k := keyOf(vs)
		if j, dup := seen[k]; dup {
			t.Errorf("%q and %q share a key", distinct[j], vs)
		}
		seen[k] = i
		if keyOf(append([]string(nil), vs...)) != k {
			t.Errorf("%q: key not stable", vs)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ opts, want string }{
		{`{}`, `o: says no function`},
		{`{"function_name": "a b", "payload_format_version": "1.0", "result_ttl": "0s"}`, `o.function_name: "a b" is not a Lambda function name`},
		{`{"function_name": "a", "result_ttl": "0s"}`, `o.payload_format_version: is required`},
		{`{"function_name": "a", "payload_format_version": "3.0", "result_ttl": "0s"}`, `o.payload_format_version: "3.0" is not a payload format version`},
		{`{"function_name": "a", "payload_format_version": "1.0", "enable_simple_responses": true, "result_ttl": "0s"}`, `o.enable_simple_responses: only applies with payload_format_version "2.0"`},
		{`{"function_name": "a", "payload_format_version": "2.0"}`, `o.identity_source: is required while answers are cached`},
		{`{"function_name": "a", "payload_format_version": "2.0", "identity_source": ["method.request.header.A"]}`, `o.identity_source[0]: "method.request.header.A" is a REST API's syntax`},
		{`{"function_name": "a", "payload_format_version": "1.0", "identity_source": ["$context.identity.sourceIp"]}`, `o.identity_source[0]: "$context.identity.sourceIp" is not an identity source lambdagate reads`},
		{`{"function_name": "a", "payload_format_version": "1.0", "identity_source": ["$request.header."]}`, `o.identity_source[0]: "$request.header." names no valid header`},
		{`{"function_name": "a", "payload_format_version": "1.0", "identity_source": ["method.request.header.A", "$request.header.B"]}`, `o.identity_source: mixes`},
		{`{"function_name": "a", "payload_format_version": "1.0", "identity_source": ["$request.header.A"], "result_ttl": "2h"}`, `o.result_ttl: "2h" is out of range`},
		{`{"function_name": "a", "payload_format_version": "1.0", "identity_source": ["$request.header.A"], "result_ttl": "soon"}`, `o.result_ttl: "soon" is not a duration`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "propagate_context": [["k"]]}`, `o.propagate_context[0]: must be a pair`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "propagate_context": [["k", "X Bad"]]}`, `o.propagate_context[0][1]: "X Bad" is not a header name`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "account_id": "12"}`, `o.account_id: "12" is not an AWS account id`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "stage": "a/b"}`, `o.stage: "a/b" is not a stage name`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "api_id": "*"}`, `o.api_id: "*" is not an API id`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "region": "Mars"}`, `o.region: "Mars" is not an AWS region name`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "endpoint": "ftp://x"}`, `o.endpoint:`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "external_id": "x"}`, `o.external_id: only applies with assume_role_arn`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "assume_role_arn": "arn:aws:s3:::b"}`, `o.assume_role_arn: "arn:aws:s3:::b" is not an IAM role ARN`},
		{`{"function_name": "a", "payload_format_version": "1.0", "result_ttl": "0s", "qualifier": "a b"}`, `o.qualifier: "a b" is not a version or alias`},
	} {
		var o Options
		if err := decodeOptions(c.opts, &o); err != nil {
			t.Fatal(err)
		}
		_, errs := o.resolve("o")
		if !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s: errors\n%v\nwant one starting %q", c.opts, errs, c.want)
		}
	}
}

func TestEventKinds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		opts string
		want eventKind
	}{
		{`{"payload_format_version": "1.0", "identity_source": ["method.request.header.Authorization"]}`, tokenEvent},
		{`{"payload_format_version": "1.0", "identity_source": ["method.request.querystring.t"]}`, requestEventREST},
		{`{"payload_format_version": "1.0", "identity_source": ["method.request.header.A", "method.request.header.B"]}`, requestEventREST},
		{`{"payload_format_version": "1.0", "result_ttl": "0s"}`, requestEventREST},
		{`{"payload_format_version": "1.0", "identity_source": ["$request.header.Authorization"]}`, requestEventHTTP1},
		{`{"payload_format_version": "2.0", "identity_source": ["$request.header.Authorization"]}`, requestEventV2},
	} {
		var o Options
		if err := decodeOptions(c.opts, &o); err != nil {
			t.Fatal(err)
		}
		o.FunctionName = "a"
		s, errs := o.resolve("o")
		if len(errs) > 0 || s.kind != c.want {
			t.Errorf("%s: %v %v, want %v", c.opts, s.kind, errs, c.want)
		}
	}
}

// TestCanceledClient: a client that leaves while the function runs gets
// nothing cached.
func TestCanceledClient(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{reply: func(ctx context.Context, _ map[string]any) (*lambdainvoke.Result, error) {
		<-ctx.Done()
		return nil, errors.New("canceled")
	}}
	a := testAuthorizer(t, testEndpoint(t, usersEndpoint), `{"function_name": "auth", "payload_format_version": "2.0", "identity_source": ["$request.header.A"]}`, inv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if status, _ := serve(a, get("/users/1", "A", "a").WithContext(ctx), "1"); status != 500 || a.cache.get(keyOf([]string{"a"}), time.Now()) != nil {
		t.Errorf("canceled: %d", status)
	}
}

// TestRequestEventHeaderSpelling: REQUEST events of payload 1.0 show the
// header names as the client spelt them (recorded by the server, lower
// case over HTTP/2), as API Gateway's REST APIs do.
func TestRequestEventHeaderSpelling(t *testing.T) {
	t.Parallel()
	e := testEndpoint(t, usersEndpoint)
	opts := `{"function_name": "auth", "payload_format_version": "1.0", "identity_source": ["method.request.header.X-Key", "method.request.querystring.token"]}`
	for _, c := range []struct {
		name         string
		prepare      func(r *http.Request) *http.Request
		key, hostKey string
	}{
		{"canonical", func(r *http.Request) *http.Request { return r }, "X-Key", "Host"},
		{"recorded", func(r *http.Request) *http.Request {
			var n wirenames.Names
			n.Record([]byte("x-key: k\r\nhost: example.com\r\n"))
			return r.WithContext(wirenames.NewContext(r.Context(), &n))
		}, "x-key", "host"},
		{"HTTP/2", func(r *http.Request) *http.Request { r.ProtoMajor = 2; return r }, "x-key", "host"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := &fakeInvoker{reply: answering(`{"principalId": "p", "policyDocument": {"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}}}`)}
			a := testAuthorizer(t, e, opts, inv)
			if status, _ := serve(a, c.prepare(get("/users/42?token=t", "X-Key", "k")), "42"); status != 200 {
				t.Fatalf("status %d", status)
			}
			headers, _ := inv.last()["headers"].(map[string]any)
			if headers[c.key] != "k" || headers[c.hostKey] == nil || len(headers) != 2 {
				t.Errorf("event headers = %v, want %s and %s", headers, c.key, c.hostKey)
			}
		})
	}
}
