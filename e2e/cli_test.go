package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestCheckListsEveryError(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "check", "-c", filepath.Join("testdata", "broken.json"))
	if code != 1 {
		t.Fatalf("exit code = %d, want 1; stdout %q", code, stdout)
	}
	for _, want := range []string{
		"port: must be a whole number, got a string",
		`timeout: "2 seconds" is not a duration`,
		"colour: unknown key",
		"warning: dns_cache_ttl: not supported by lambdagate, ignored",
		"endpoints[0].backend[0].url_pattern: placeholder {name} is not in the endpoint path /a/{id}",
		`endpoints[1].method: "FETCH" is not an HTTP method`,
		"endpoints[1].backend: needs at least one backend",
		"endpoints[2].output_encoding: no-op passes one backend's reply through untouched, but this endpoint has 2 backends",
		`warning: endpoints[3].backend[0].encoding: "form" is not an encoding lambdagate knows; the backend's replies are decoded as json`,
		`endpoints[4].endpoint: GET /a/{other} is already served by endpoints[0]`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check output lacks %q; got:\n%s", want, stderr)
		}
	}
}

func TestCheckBuildErrorsAreListedToo(t *testing.T) {
	t.Parallel()
	cfg := `{"version":3,"host":["127.0.0.1:1"],"extra_config":{"telemetry/logging":{"level":"LOUD"},"unknown/ns":{}},"endpoints":[
	  {"endpoint":"/a/{id}","backend":[{"url_pattern":"/a/{nope}"}]},
	  {"endpoint":"/b","backend":[{"url_pattern":"/b","extra_config":{"backend/http":{"return_error_cod":true}}}]},
	  {"endpoint":"/c","backend":[{"url_pattern":"/c"},{"url_pattern":"/d/{resp0_id}"}]}]}`
	file := filepath.Join(t.TempDir(), "cfg.json")
	os.WriteFile(file, []byte(cfg), 0o600)
	code, _, stderr := runCLI(t, "check", "-c", file)
	if code != 1 {
		t.Fatalf("exit code = %d, want 1", code)
	}
	for _, want := range []string{
		`extra_config["telemetry/logging"].level: "LOUD" is not a level`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check output lacks %q; got:\n%s", want, stderr)
		}
	}
	// With the logging fixed, the build errors of every endpoint appear at once.
	cfg = strings.Replace(cfg, `"LOUD"`, `"DEBUG"`, 1)
	os.WriteFile(file, []byte(cfg), 0o600)
	code, _, stderr = runCLI(t, "check", "-c", file)
	if code != 1 {
		t.Fatalf("exit code = %d, want 1", code)
	}
	for _, want := range []string{
		"endpoints[0].backend[0].url_pattern: placeholder {nope} is not in the endpoint path /a/{id}",
		`endpoints[1].backend[0].extra_config["backend/http"].return_error_cod: unknown key`,
		"endpoints[2].backend[1].url_pattern: placeholder {resp0_id} reads an earlier backend's response, which needs the endpoint's extra_config.proxy.sequential: true",
		`warning: extra_config: "unknown/ns" is not a namespace lambdagate or KrakenD knows; ignored`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check output lacks %q; got:\n%s", want, stderr)
		}
	}
}

func TestCheckOKAndVersion(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "krakend.json")
	os.WriteFile(file, []byte(`{"version":3,"endpoints":[{"endpoint":"/a","backend":[{"host":["h:1"],"url_pattern":"/a"}]}]}`), 0o600)
	code, stdout, stderr := runCLI(t, "check", "-c", file)
	if code != 0 || !strings.Contains(stdout, "configuration OK (1 endpoints)") {
		t.Errorf("check: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "lambdagate ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	code, _, stderr = runCLI(t, "check", "-c", filepath.Join(t.TempDir(), "missing.json"))
	if code != 1 || !strings.Contains(stderr, "cannot read the configuration") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	code, _, _ = runCLI(t, "frobnicate")
	if code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

func TestReturnErrorMsgAndLogging(t *testing.T) {
	t.Parallel()
	be := testBackend(t, "only")
	gw := startGateway(t, `{"version":3,"host":["`+be.URL+`"],
	  "extra_config":{"router":{"return_error_msg":true},"telemetry/logging":{"level":"DEBUG","format":"json","prefix":"[E2E]"}},
	  "endpoints":[{"endpoint":"/fail","backend":[{"url_pattern":"/fail"}]},{"endpoint":"/ok","backend":[{"url_pattern":"/users/1"}]}]}`)
	r := do(t, "GET", gw.URL+"/fail", "", nil)
	if r.Status != 500 || !strings.Contains(r.Body, "answered status 404") {
		t.Errorf("return_error_msg: status %d body %q", r.Status, r.Body)
	}
	do(t, "GET", gw.URL+"/ok", "", nil)
	// The access-log line is written just after the reply: wait for it.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !strings.Contains(gw.Logs(), `"route":"GET /ok"`); {
		time.Sleep(10 * time.Millisecond)
	}
	var found bool
	for _, line := range strings.Split(gw.Logs(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if m["msg"] == "request" && m["route"] == "GET /ok" {
			found = true
			if m["status"] != 200.0 || m["level"] != "INFO" || m["prefix"] != "[E2E]" || m["outcome"] != "complete" {
				t.Errorf("access log line = %v", m)
			}
		}
	}
	if !found {
		t.Errorf("no JSON access-log line for GET /ok in:\n%s", gw.Logs())
	}
}

func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"done":true}`))
	}))
	defer be.Close()
	gw := startGateway(t, `{"version":3,"timeout":"10s","host":["`+be.URL+`"],"endpoints":[{"endpoint":"/slow","backend":[{"url_pattern":"/"}]}]}`)
	const n = 5
	var wg sync.WaitGroup
	results := make([]reply, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = do(t, "GET", gw.URL+"/slow", "", nil)
		}(i)
	}
	for i := 0; i < n; i++ {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("requests did not reach the backend")
		}
	}
	gw.cmd.Process.Signal(syscall.SIGTERM)
	// New connections are refused once the gateway stops listening.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := http.Get(gw.URL + "/__health")
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway still accepts connections 5s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i, r := range results {
		if r.Status != 200 || r.Body != `{"done":true}` {
			t.Errorf("request %d in flight at SIGTERM: status %d body %q", i, r.Status, r.Body)
		}
	}
	select {
	case <-gw.done:
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not exit")
	}
	if code := gw.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

// TestFunctionFromPathWithoutAllowListIsWarned checks that a Lambda backend
// taking its function from the path with no allowed_functions is warned
// about, as docs/lambda.md says, by both `check` and `run`.
func TestFunctionFromPathWithoutAllowListIsWarned(t *testing.T) {
	t.Parallel()
	cfg := `{"version": 3, "endpoints": [{"endpoint": "/fn/{function}", "backend": [{"host": ["h"], "url_pattern": "/",
	  "extra_config": {"backend/lambda": {"function_param_name": "function", "endpoint": "http://127.0.0.1:1"}}}]}]}`
	file := filepath.Join(t.TempDir(), "krakend.json")
	os.WriteFile(file, []byte(cfg), 0o600)
	const want = `endpoints[0].backend[0].extra_config["backend/lambda"].function_param_name: the function comes from the path placeholder {function} with no allowed_functions`
	code, _, stderr := runCLI(t, "check", "-c", file)
	if code != 0 || !strings.Contains(stderr, "warning: "+want) {
		t.Errorf("check: exit %d, output lacks the warning %q:\n%s", code, want, stderr)
	}
	g := startGateway(t, cfg)
	if !strings.Contains(g.Logs(), "function_param_name: the function comes from the path placeholder {function}") {
		t.Errorf("run did not log the warning; logs:\n%s", g.Logs())
	}
}
