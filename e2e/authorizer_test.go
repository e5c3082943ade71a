package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The authorizer functions of TestLambdaAuthorizers, real handlers the
// local runtime runs. Each appends a line to the file $CALLS per
// invocation, so that the test counts them.
var authorizerFunctions = map[string]map[string]string{
	// A REST API TOKEN authorizer (Node.js) answering IAM policies:
	// "user" may GET /items/1 only; "deny" is denied explicitly;
	// "unauthorized" throws Unauthorized; "broken" answers no policy;
	// "slow:MS" sleeps MS milliseconds first.
	"tokenauth": {"index.js": `const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.CALLS, 'tokenauth ' + event.type + ' ' + event.authorizationToken + ' ' + event.methodArn + '\n');
  const token = event.authorizationToken;
  if (token.startsWith('slow:')) await new Promise((r) => setTimeout(r, Number(token.slice(5))));
  if (token === 'unauthorized') throw new Error('Unauthorized');
  if (token === 'broken') return {principalId: 'x', allowed: true};
  const arnBase = event.methodArn.split('/')[0];
  const effect = token === 'deny' ? 'Deny' : 'Allow';
  return {
    principalId: 'user-1',
    policyDocument: {Version: '2012-10-17', Statement: [
      {Effect: effect, Action: 'execute-api:Invoke', Resource: [arnBase + '/*/GET/items/1', arnBase + '/*/GET/nocache/*', arnBase + '/*/GET/slow']},
    ]},
    context: {user: 'ada', level: 3},
  };
};
`},
	// A REST API REQUEST authorizer (Python) reading two sources: the
	// X-Api-Key header must be k1; the tenant query string is handed on.
	"requestauth": {"lambda_function.py": `import os

def lambda_handler(event, context):
    with open(os.environ["CALLS"], "a") as f:
        f.write("requestauth %s %s\n" % (event["type"], event["methodArn"]))
    key = event["headers"].get("X-Api-Key")
    tenant = event["queryStringParameters"]["tenant"]
    effect = "Allow" if key == "k1" else "Deny"
    return {
        "principalId": "key-" + key,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Action": "execute-api:Invoke", "Resource": event["methodArn"]}]},
        "context": {"tenant": tenant},
    }
`},
	// An HTTP API authorizer with simple responses (Python).
	"simpleauth": {"lambda_function.py": `import os

def lambda_handler(event, context):
    with open(os.environ["CALLS"], "a") as f:
        f.write("simpleauth %s %s\n" % (event["version"], event["routeArn"]))
    ok = event["identitySource"] == ["good"]
    return {"isAuthorized": ok, "context": {"user": "ada", "roles": ["reader"], "n": 7}}
`},
	// An HTTP API authorizer answering IAM policies (Node.js).
	"policyauth": {"index.mjs": `import fs from 'fs';
export const handler = async (event) => {
  fs.appendFileSync(process.env.CALLS, 'policyauth ' + event.version + ' ' + event.routeArn + '\n');
  const effect = event.headers['authorization'] === 'good' ? 'Allow' : 'Deny';
  return {principalId: 'p', policyDocument: {Version: '2012-10-17', Statement: [
    {Effect: effect, Action: 'execute-api:Invoke', Resource: event.routeArn}]}, context: {via: 'policy'}};
};
`},
	// An authorizer that overruns its own timeout (1 s).
	"timeoutauth": {"index.js": `const fs = require('fs');
exports.handler = async () => {
  fs.appendFileSync(process.env.CALLS, 'timeoutauth\n');
  await new Promise((r) => setTimeout(r, 3000));
  return {isAuthorized: true};
};
`, "function.json": `{"timeout": 1}`},
	// A backend answering the event it got.
	"echo": {"index.js": `exports.handler = async (event) => event;
`},
}

// authorizerFunctionsDir writes the functions and returns their folder
// and the file counting their invocations.
func authorizerFunctionsDir(t *testing.T) (dir, calls string) {
	t.Helper()
	dir = t.TempDir()
	calls = filepath.Join(t.TempDir(), "calls")
	for name, files := range authorizerFunctions {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, ok := files["function.json"]; !ok {
			files = mapWith(files, "function.json", `{}`)
		}
		for file, content := range files {
			if file == "function.json" {
				var fj map[string]any
				json.Unmarshal([]byte(content), &fj)
				fj["environment"] = map[string]string{"CALLS": calls}
				b, _ := json.Marshal(fj)
				content = string(b)
			}
			if err := os.WriteFile(filepath.Join(dir, name, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, calls
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

// invocations counts the lines of calls starting with fn.
func invocations(t *testing.T, calls, fn string) int {
	t.Helper()
	b, err := os.ReadFile(calls)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, fn+" ") || line == fn {
			n++
		}
	}
	return n
}

// TestLambdaAuthorizers runs lambdagate/authorizer endpoints against real
// Node.js and Python authorizers served by the local runtime
// (--functions): TOKEN and REQUEST (payload 1.0) and HTTP API (payload
// 2.0, simple responses and IAM policies) authorizers, missing sources,
// denials, failures and timeouts, the cache, and the answer's context
// reaching an HTTP backend (propagate_context) and a Lambda backend.
func TestLambdaAuthorizers(t *testing.T) {
	t.Parallel()
	dir, calls := authorizerFunctionsDir(t)
	var mu sync.Mutex
	var lastHeaders http.Header
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastHeaders = r.Header.Clone()
		mu.Unlock()
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(backend.Close)
	headersSeen := func() http.Header {
		mu.Lock()
		defer mu.Unlock()
		h := lastHeaders
		lastHeaders = nil
		return h
	}
	token := func(fn, extra string) string {
		return `{"lambdagate/authorizer": {"function_name": "` + fn + `", "payload_format_version": "1.0",
		  "identity_source": ["method.request.header.Authorization"]` + extra + `}}`
	}
	cfg := `{"version": 3, "timeout": "10s", "host": ["` + backend.URL + `"], "endpoints": [
	  {"endpoint": "/items/{id}", "input_headers": ["X-User", "X-Principal", "X-Level"],
	   "extra_config": ` + token("tokenauth", `, "propagate_context": [["user", "X-User"], ["principalId", "X-Principal"], ["level", "X-Level"]]`) + `,
	   "backend": [{"url_pattern": "/items"}]},
	  {"endpoint": "/nocache/{id}", "extra_config": ` + token("tokenauth", `, "result_ttl": "0s"`) + `,
	   "backend": [{"url_pattern": "/nocache"}]},
	  {"endpoint": "/slow", "timeout": "500ms", "extra_config": ` + token("tokenauth", "") + `,
	   "backend": [{"url_pattern": "/slow"}]},
	  {"endpoint": "/req", "input_headers": ["X-Tenant"],
	   "extra_config": {"lambdagate/authorizer": {"function_name": "requestauth", "payload_format_version": "1.0",
	     "identity_source": ["method.request.header.X-Api-Key", "method.request.querystring.tenant"],
	     "propagate_context": [["tenant", "X-Tenant"]]}},
	   "backend": [{"url_pattern": "/req"}]},
	  {"endpoint": "/simple/{id}",
	   "extra_config": {"lambdagate/authorizer": {"function_name": "simpleauth", "payload_format_version": "2.0",
	     "enable_simple_responses": true, "identity_source": ["$request.header.Authorization"]}},
	   "backend": [{"host": ["ignored"], "url_pattern": "/", "allow": ["requestContext.authorizer"],
	     "extra_config": {"backend/lambda": {"function_name": "echo", "payload_format": "apigateway_v2", "response_format": "krakend"}}}]},
	  {"endpoint": "/policy2/{id}",
	   "extra_config": {"lambdagate/authorizer": {"function_name": "policyauth", "payload_format_version": "2.0",
	     "identity_source": ["$request.header.Authorization"], "account_id": "123456789012", "api_id": "shop", "stage": "prod"}},
	   "backend": [{"host": ["ignored"], "url_pattern": "/", "allow": ["requestContext.authorizer"],
	     "extra_config": {"backend/lambda": {"function_name": "echo", "payload_format": "apigateway_v1", "response_format": "krakend"}}}]},
	  {"endpoint": "/timeout",
	   "extra_config": {"lambdagate/authorizer": {"function_name": "timeoutauth", "payload_format_version": "2.0",
	     "enable_simple_responses": true, "identity_source": ["$request.header.Authorization"]}},
	   "backend": [{"url_pattern": "/timeout"}]}
	]}`
	g := startGateway(t, cfg, "--functions", dir)
	auth := func(v string) map[string]string { return map[string]string{"Authorization": v} }

	t.Run("TOKEN allow, context to the HTTP backend, forged headers removed", func(t *testing.T) {
		r := do(t, "GET", g.URL+"/items/1", "", map[string]string{"Authorization": "user", "X-User": "root", "X-Principal": "admin"})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		h := headersSeen()
		for k, want := range map[string]string{"X-User": "ada", "X-Principal": "user-1", "X-Level": "3"} {
			if got := h.Values(k); len(got) != 1 || got[0] != want {
				t.Errorf("the backend got %s %q, want %q", k, got, want)
			}
		}
		if n := invocations(t, calls, "tokenauth"); n != 1 {
			t.Errorf("%d invocations, want 1", n)
		}
		b, _ := os.ReadFile(calls)
		if want := "tokenauth TOKEN user arn:aws:execute-api:us-east-1:000000000000:lambdagate/$default/GET/items/1\n"; string(b) != want {
			t.Errorf("the function saw %q, want %q", b, want)
		}
	})
	t.Run("cache hit, and the cached policy evaluated per method ARN", func(t *testing.T) {
		if r := do(t, "GET", g.URL+"/items/1", "", auth("user")); r.Status != 200 {
			t.Errorf("again: %d %s", r.Status, r.Body)
		}
		if r := do(t, "GET", g.URL+"/items/2", "", auth("user")); r.Status != 403 {
			t.Errorf("/items/2: %d %s, want 403 (the policy allows /items/1 only)", r.Status, r.Body)
		}
		if n := invocations(t, calls, "tokenauth"); n != 1 {
			t.Errorf("%d invocations, want still 1", n)
		}
	})
	t.Run("TOKEN deny, missing token, Unauthorized, malformed answer", func(t *testing.T) {
		headersSeen() // forget the earlier requests'
		before := invocations(t, calls, "tokenauth")
		if r := do(t, "GET", g.URL+"/items/1", "", nil); r.Status != 401 {
			t.Errorf("no token: %d, want 401", r.Status)
		}
		if n := invocations(t, calls, "tokenauth"); n != before {
			t.Errorf("a request without its token invoked the authorizer")
		}
		for tok, want := range map[string]int{"deny": 403, "unauthorized": 401, "broken": 500} {
			if r := do(t, "GET", g.URL+"/items/1", "", auth(tok)); r.Status != want {
				t.Errorf("%s: %d %s, want %d", tok, r.Status, r.Body, want)
			}
		}
		if headersSeen() != nil {
			t.Error("a refused request reached the backend")
		}
		if !g.WaitForLog("malformed answer: the answer has no policyDocument", 5*time.Second) {
			t.Errorf("the malformed answer's reason is not logged")
		}
	})
	t.Run("result_ttl 0s", func(t *testing.T) {
		before := invocations(t, calls, "tokenauth")
		for i := 0; i < 2; i++ {
			if r := do(t, "GET", g.URL+"/nocache/3", "", auth("user")); r.Status != 200 {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		}
		if n := invocations(t, calls, "tokenauth") - before; n != 2 {
			t.Errorf("%d invocations for 2 requests, want 2", n)
		}
	})
	t.Run("REQUEST with two sources", func(t *testing.T) {
		if r := do(t, "GET", g.URL+"/req?tenant=acme", "", map[string]string{"X-Api-Key": "k1", "X-Tenant": "forged"}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if got := headersSeen().Values("X-Tenant"); len(got) != 1 || got[0] != "acme" {
			t.Errorf("the backend got X-Tenant %q, want acme", got)
		}
		if r := do(t, "GET", g.URL+"/req", "", map[string]string{"X-Api-Key": "k1"}); r.Status != 401 {
			t.Errorf("without the tenant: %d, want 401", r.Status)
		}
		if r := do(t, "GET", g.URL+"/req?tenant=acme", "", map[string]string{"X-Api-Key": "k2"}); r.Status != 403 {
			t.Errorf("another key: %d, want 403", r.Status)
		}
		if n := invocations(t, calls, "requestauth"); n != 2 {
			t.Errorf("%d invocations, want 2", n)
		}
	})
	for _, c := range []struct{ name, path, body, called string }{
		{"HTTP API simple responses, context to a Lambda backend", "/simple/5",
			`{"requestContext": {"authorizer": {"lambda": {"user": "ada", "roles": ["reader"], "n": 7}}}}`,
			"simpleauth 2.0 arn:aws:execute-api:us-east-1:000000000000:lambdagate/$default/GET/simple/5\n"},
		{"HTTP API IAM policy, context to a REST API event", "/policy2/9",
			`{"requestContext": {"authorizer": {"principalId": "p", "via": "policy"}}}`,
			"policyauth 2.0 arn:aws:execute-api:us-east-1:123456789012:shop/prod/GET/policy2/9\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := do(t, "GET", g.URL+c.path, "", auth("good")); r.Status != 200 || !jsonEqual(t, r.Body, c.body) {
				t.Errorf("good: %d %s, want %s", r.Status, r.Body, c.body)
			}
			if r := do(t, "GET", g.URL+c.path, "", auth("bad")); r.Status != 403 {
				t.Errorf("bad: %d %s, want 403", r.Status, r.Body)
			}
			if b, _ := os.ReadFile(calls); !strings.Contains(string(b), c.called) {
				t.Errorf("no call %q in:\n%s", c.called, b)
			}
		})
	}
	t.Run("timeouts", func(t *testing.T) {
		start := time.Now()
		if r := do(t, "GET", g.URL+"/slow", "", auth("slow:3000")); r.Status != 500 {
			t.Errorf("endpoint timeout: %d, want 500", r.Status)
		}
		if d := time.Since(start); d > 2500*time.Millisecond {
			t.Errorf("the endpoint's 500ms timeout took %v", d)
		}
		if r := do(t, "GET", g.URL+"/timeout", "", auth("x")); r.Status != 500 {
			t.Errorf("function timeout: %d, want 500", r.Status)
		}
		for _, want := range []string{"did not answer within the endpoint's timeout (500ms)", "Sandbox.Timedout"} {
			if !g.WaitForLog(want, 5*time.Second) {
				t.Errorf("no log line holds %q", want)
			}
		}
	})
}
