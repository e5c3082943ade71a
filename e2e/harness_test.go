// Package e2e drives the built lambdagate binary: each test starts it with a
// configuration from testdata/ (or written inline) against real servers on
// 127.0.0.1, and checks what a client gets.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/syncbuf"
)

// binary is the path of the lambdagate binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdagate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// LAMBDAGATE_BIN tests a binary built elsewhere (a release build).
	binary = os.Getenv("LAMBDAGATE_BIN")
	if binary == "" {
		binary = filepath.Join(dir, "lambdagate")
		build := exec.Command("go", "build", "-o", binary, "../cmd/lambdagate")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building lambdagate:", err)
			os.Exit(1)
		}
	}
	// No test may reach the instance-metadata address or real AWS.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDE2ETESTDUMMY")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "e2e-dummy-secret")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gatewayProc is a running lambdagate.
type gatewayProc struct {
	// URL is the gateway's base URL, such as http://127.0.0.1:41234.
	URL  string
	cmd  *exec.Cmd
	logs *syncbuf.Buffer
	done chan struct{}
	err  error
}

// Logs returns everything the gateway wrote so far.
func (g *gatewayProc) Logs() string { return g.logs.String() }

// WaitForLog reports whether the gateway's output holds s within d: the
// output arrives through a pipe, so a line written before a response was
// sent may be read after the response.
func (g *gatewayProc) WaitForLog(s string, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(g.Logs(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// Stop sends SIGTERM and waits for the exit; it returns the exit code.
func (g *gatewayProc) Stop(t *testing.T) int {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(15 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
		t.Errorf("gateway did not stop within 15s of SIGTERM; logs:\n%s", g.Logs())
	}
	return g.cmd.ProcessState.ExitCode()
}

var listeningRe = regexp.MustCompile(`(?:msg=listening|"msg":"listening").*?url"?[=:]"?(https?://[^ "]+)`)

// startGateway writes configJSON to a file, runs `lambdagate run -c FILE
// --port 0 extraArgs...` listening on 127.0.0.1 (listen_ip is set when the
// configuration has none), waits until it listens and stops it when the test
// ends.
func startGateway(t *testing.T, configJSON string, extraArgs ...string) *gatewayProc {
	t.Helper()
	return startGatewayEnv(t, nil, configJSON, extraArgs...)
}

// startGatewayEnv is startGateway with the process's environment: env
// (KEY=value entries) when not nil, else the test's.
func startGatewayEnv(t *testing.T, env []string, configJSON string, extraArgs ...string) *gatewayProc {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(configJSON), &cfg); err != nil {
		t.Fatalf("test config is not JSON: %v", err)
	}
	if _, ok := cfg["listen_ip"]; !ok {
		cfg["listen_ip"] = "127.0.0.1"
	}
	b, _ := json.Marshal(cfg)
	file := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run", "-c", file, "--port", "0"}, extraArgs...)
	g := &gatewayProc{logs: &syncbuf.Buffer{}, done: make(chan struct{})}
	g.cmd = exec.Command(binary, args...)
	g.cmd.Stdout, g.cmd.Stderr = g.logs, g.logs
	g.cmd.Env = env
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("starting lambdagate: %v", err)
	}
	go func() { g.err = g.cmd.Wait(); close(g.done) }()
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil {
			g.Stop(t)
		}
		if t.Failed() {
			t.Logf("gateway logs:\n%s", g.Logs())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRe.FindStringSubmatch(g.Logs()); m != nil {
			g.URL = strings.Replace(strings.Replace(m[1], "[::]", "127.0.0.1", 1), "0.0.0.0", "127.0.0.1", 1)
			return g
		}
		select {
		case <-g.done:
			t.Fatalf("lambdagate exited before listening (%v); logs:\n%s", g.err, g.Logs())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("lambdagate did not listen within 60s; logs:\n%s", g.Logs())
	return nil
}

// loadConfig reads testdata/NAME and replaces each key of vars by its value.
func loadConfig(t *testing.T, name string, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

// runCLI runs the binary with args and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// client does not follow redirects, so tests see them.
var client = &http.Client{
	Timeout: 20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// reply is a response read whole.
type reply struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request and reads the reply whole.
func do(t *testing.T, method, url string, body string, header map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("body is not JSON: %v: %q", err, got)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}
