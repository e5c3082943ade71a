package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartupLines: the local runtime's start is logged once, its Lambda
// backends in one line; without AWS credentials, backends on real AWS get
// one start-up warning naming the chain tried.
func TestStartupLines(t *testing.T) {
	t.Parallel()
	dir := writeFunctions(t, map[string]map[string]string{"echo": {"index.js": "exports.handler = async (e) => e;\n"}})
	local := `{"host": ["ignored"], "url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "echo"}}}`
	cfg := `{"version": 3, "endpoints": [
	  {"endpoint": "/a", "backend": [` + local + `]},
	  {"endpoint": "/b", "backend": [` + local + `]},
	  {"endpoint": "/c", "backend": [` + local + `]}]}`
	g := startGateway(t, cfg, "--functions", dir)
	logs := g.Logs()
	if n := strings.Count(logs, "local Lambda runtime"); n != 2 {
		// "local Lambda runtime listening" and the backends' line.
		t.Errorf("%d lines name the local Lambda runtime, want 2 (its start, its backends):\n%s", n, logs)
	}
	if !strings.Contains(logs, `msg="lambda backends use the local Lambda runtime"`) || !strings.Contains(logs, "count=3") ||
		!strings.Contains(logs, "endpoints[0].backend[0] endpoints[1].backend[0] endpoints[2].backend[0]") {
		t.Errorf("no one line listing the three backends:\n%s", logs)
	}

	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=eu-west-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}
	aws := `{"host": ["ignored"], "url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "orders"}}}`
	g2 := startGatewayEnv(t, env, `{"version": 3, "endpoints": [
	  {"endpoint": "/a", "backend": [`+aws+`]}, {"endpoint": "/b", "backend": [`+aws+`]}]}`)
	want := "endpoints[0].backend[0], endpoints[1].backend[0]: no AWS credentials for Lambda in eu-west-1"
	if !g2.WaitForLog(want, 5*time.Second) || strings.Count(g2.Logs(), "no AWS credentials") != 1 || !strings.Contains(g2.Logs(), "tried: environment (AWS_ACCESS_KEY_ID") {
		t.Errorf("want one start-up warning %q naming the chain tried:\n%s", want, g2.Logs())
	}
}

// TestListenIPFlag: run --listen-ip overrides the file's listen_ip; a
// value that is no IP address is refused with exit 2.
func TestListenIPFlag(t *testing.T) {
	t.Parallel()
	// 192.0.2.1 (TEST-NET-1) is on no interface here: binding it fails.
	cfg := `{"version": 3, "listen_ip": "192.0.2.1", "endpoints": [{"endpoint": "/x", "backend": [{"host": ["http://127.0.0.1:1"], "url_pattern": "/"}]}]}`
	g := startGateway(t, cfg, "--listen-ip", "127.0.0.1")
	if !strings.HasPrefix(g.URL, "http://127.0.0.1:") {
		t.Errorf("listening on %s, want 127.0.0.1", g.URL)
	}
	if code, _, stderr := runCLI(t, "run", "-c", "/nonexistent.json", "--listen-ip", "localhost:80"); code != 2 || !strings.Contains(stderr, "--listen-ip") {
		t.Errorf("--listen-ip localhost:80: exit %d, %q; want 2 naming the flag", code, stderr)
	}
}

// TestIgnoredOptionWarningsGrouped: an option ignored in many places is
// one warning line with a count and the first paths, in check and run.
func TestIgnoredOptionWarningsGrouped(t *testing.T) {
	t.Parallel()
	ep := func(p string) string {
		return `{"endpoint": "/` + p + `", "concurrent_calls": 2, "backend": [{"host": ["http://127.0.0.1:1"], "url_pattern": "/"}]}`
	}
	cfg := `{"version": 3, "endpoints": [` + ep("a") + `, ` + ep("b") + `, ` + ep("c") + `, ` + ep("d") + `]}`
	file := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "check", "-c", file)
	want := "endpoints[*].concurrent_calls: concurrent calls are not made; each backend is called once (4 places: endpoints[0].concurrent_calls, endpoints[1].concurrent_calls, endpoints[2].concurrent_calls, …)"
	if code != 0 || strings.Count(stderr, "concurrent_calls") != 4 || !strings.Contains(stderr, "warning: "+want) {
		t.Errorf("check: exit %d; want one line %q:\n%s", code, want, stderr)
	}
	g := startGateway(t, cfg)
	if strings.Count(g.Logs(), "concurrent calls are not made") != 1 {
		t.Errorf("run: want one grouped warning:\n%s", g.Logs())
	}
}
