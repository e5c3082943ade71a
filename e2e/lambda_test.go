package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rieBinary finds aws-lambda-rie on PATH or in GOPATH/bin; missing, the
// test is skipped unless CI=true.
func rieBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if p := filepath.Join(dir, "bin", "aws-lambda-rie"); fileExists(p) {
				return p
			}
		}
	}
	msg := "aws-lambda-rie not found: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startRIE serves backend/lambda/testdata/rielambda (an aws-lambda-go
// function) through the Runtime Interface Emulator and returns its Invoke
// endpoint. The emulator serves the function name "function" only, one
// invocation at a time.
func startRIE(t *testing.T) string {
	t.Helper()
	rie := rieBinary(t)
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-o", bootstrap, "../backend/lambda/testdata/rielambda").CombinedOutput(); err != nil {
		t.Fatalf("building the test function: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", freeAddr(t), bootstrap)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
