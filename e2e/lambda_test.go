package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/rietest"
)

// startRIE serves backend/lambda/testdata/rielambda (an aws-lambda-go
// function) through the Runtime Interface Emulator and returns its Invoke
// endpoint.
func startRIE(t *testing.T) string {
	t.Helper()
	return rietest.Start(t, "../backend/lambda/testdata/rielambda")
}

// gatewayMsgURL finds the gateway's own "listening" line: with
// --functions the local runtime logs a listening line of its own first.
var gatewayMsgURL = regexp.MustCompile(`msg=listening url=(http://[^ ]+)`)

// gatewayURL is g's URL, read from the gateway's own log line once it
// appears.
func gatewayURL(t *testing.T, g *gatewayProc) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := gatewayMsgURL.FindStringSubmatch(g.Logs()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("the gateway did not log its listening URL:\n%s", g.Logs())
	return ""
}

type lambdaReply struct {
	status int
	header http.Header
	body   string
}

func lambdaCall(t *testing.T, method, url, body string) lambdaReply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return lambdaReply{resp.StatusCode, resp.Header, string(b)}
}

func decodeObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("body is not a JSON object: %q", s)
	}
	return m
}

// TestLambdaThroughEmulator drives the built gateway against a real
// aws-lambda-go function behind the Runtime Interface Emulator's Invoke
// API. Requests go one at a time: the emulator serves one invocation at
// a time.
func TestLambdaThroughEmulator(t *testing.T) {
	t.Parallel()
	rie := startRIE(t)
	httpBackend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"from_http": true}`)
	}))
	t.Cleanup(httpBackend.Close)

	cfg := `{"version": 3, "timeout": "10s", "endpoints": [
		{"endpoint": "/call-a-lambda/{lambda}", "input_query_strings": ["q"], "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "Lambda", "allowed_functions": ["function"], "endpoint": "` + rie + `"}}}]},
		{"endpoint": "/users/{id}", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_name": "function", "payload_format": "apigateway_v2", "endpoint": "` + rie + `"}}}]},
		{"endpoint": "/raw/{id}", "output_encoding": "no-op", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_name": "function", "payload_format": "apigateway_v1", "endpoint": "` + rie + `"}}}]},
		{"endpoint": "/echo", "method": "POST", "backend": [{"host": ["ignored"], "url_pattern": "/ignored", "allow": ["event"],
			"extra_config": {"backend/lambda": {"function_name": "function", "endpoint": "` + rie + `"}}}]},
		{"endpoint": "/merged", "backend": [
			{"host": ["` + httpBackend.URL + `"], "url_pattern": "/"},
			{"host": ["ignored"], "url_pattern": "/ignored",
				"extra_config": {"backend/lambda": {"function_name": "nosuchfunction", "endpoint": "` + rie + `"}}}]}
	]}`
	g := startGateway(t, cfg)

	r := lambdaCall(t, "GET", g.URL+"/call-a-lambda/function?q=1&drop=2", "")
	ev, _ := decodeObject(t, r.body)["event"].(map[string]any)
	if r.status != 200 || ev["lambda"] != "function" || ev["q"] != "1" || ev["drop"] != nil {
		t.Errorf("function_param_name: %d %s", r.status, r.body)
	}

	if r := lambdaCall(t, "GET", g.URL+"/call-a-lambda/other", ""); r.status != 404 {
		t.Errorf("a function outside allowed_functions: %d %s", r.status, r.body)
	}

	r = lambdaCall(t, "GET", g.URL+"/users/42", "")
	m := decodeObject(t, r.body)
	params, _ := m["params"].(map[string]any)
	if r.status != 201 || params["id"] != "42" || m["path"] != "/users/42" || r.header.Get("Set-Cookie") != "seen=1" {
		t.Errorf("apigateway_v2: %d %v %s", r.status, r.header, r.body)
	}

	r = lambdaCall(t, "GET", g.URL+"/raw/7", "")
	if r.status != 201 || r.header.Get("X-Fn") != "rielambda" || r.header.Get("Set-Cookie") != "seen=1" || !strings.Contains(r.body, `"method":"GET"`) {
		t.Errorf("no-op apigateway_v1: %d %v %s", r.status, r.header, r.body)
	}

	r = lambdaCall(t, "POST", g.URL+"/echo", `{"n": 1.50, "s": "x"}`)
	if r.status != 200 || !jsonEqual(t, r.body, `{"event": {"n": 1.50, "s": "x"}}`) {
		t.Errorf("POST echo with allow: %d %s", r.status, r.body)
	}

	r = lambdaCall(t, "GET", g.URL+"/merged", "")
	if r.status != 200 || decodeObject(t, r.body)["from_http"] != true || r.header.Get("X-Krakend-Completed") != "false" {
		t.Errorf("a failed Lambda backend in a merge: %d %v %s", r.status, r.header, r.body)
	}
}

// TestLambdaExamples runs the seed's two configurations of examples/lambda
// end to end, on the local runtime (--functions).
func TestLambdaExamples(t *testing.T) {
	t.Parallel()
	functions := filepath.Join("..", "examples", "lambda", "functions")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "examples", "lambda", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	fixed := gatewayURL(t, startGateway(t, read("fixed.json"), "--functions", functions))
	r := lambdaCall(t, "GET", fixed+"/call-a-lambda?name=Ada", "")
	if r.status != 200 || !jsonEqual(t, r.body, `{"function": "hello", "message": "hello Ada"}`) {
		t.Errorf("fixed function_name: %d %s", r.status, r.body)
	}

	param := gatewayURL(t, startGateway(t, read("param.json"), "--functions", functions))
	r = lambdaCall(t, "POST", param+"/call-a-lambda/greet", `{"name": "Ada"}`)
	if r.status != 200 || !jsonEqual(t, r.body, `{"function": "greet", "message": "good day, Ada"}`) {
		t.Errorf("function_param_name: %d %s", r.status, r.body)
	}
	if r := lambdaCall(t, "POST", param+"/call-a-lambda/hello", `{}`); r.status != 200 || !strings.Contains(r.body, "hello world") {
		t.Errorf("function_param_name, second function: %d %s", r.status, r.body)
	}
	if r := lambdaCall(t, "POST", param+"/call-a-lambda/nope", `{}`); r.status != 404 {
		t.Errorf("a function outside allowed_functions: %d %s", r.status, r.body)
	}
}
