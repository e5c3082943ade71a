package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// versionBackend answers every request with {"path": <its path>}.
func versionBackend(t *testing.T) *httptest.Server {
	t.Helper()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path})
	}))
	t.Cleanup(be.Close)
	return be
}

// reloadConfig is a configuration whose /v endpoint calls the backend at
// /VERSION, plus anything in more (top-level keys, with a leading comma).
func reloadConfig(backend, version, more string) string {
	return `{"version": 3, "listen_ip": "127.0.0.1"` + more + `,
	  "extra_config": {"telemetry/opentelemetry": {"exporters": {"prometheus": [{"name": "p", "listen_ip": "127.0.0.1", "port": 0}]}}},
	  "endpoints": [
	  {"endpoint": "/v", "backend": [{"host": ["` + backend + `"], "url_pattern": "/` + version + `"}]}]}`
}

// configFile is the file startGateway wrote (the -c argument).
func configFile(g *gatewayProc) string {
	for i, a := range g.cmd.Args {
		if a == "-c" {
			return g.cmd.Args[i+1]
		}
	}
	return ""
}

func healthHash(t *testing.T, g *gatewayProc) string {
	t.Helper()
	var h struct {
		Hash string `json:"config_hash"`
	}
	if err := json.Unmarshal([]byte(do(t, "GET", g.URL+"/__health", "", nil).Body), &h); err != nil {
		t.Fatal(err)
	}
	return h.Hash
}

// writeConfig replaces the file's content by renaming a new file over it,
// as editors do.
func writeConfig(t *testing.T, file, content string) {
	t.Helper()
	tmp := file + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// waitForCount waits until the logs hold s n times.
func waitForCount(g *gatewayProc, s string, n int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Count(g.Logs(), s) >= n {
			return true
		}
	}
	return false
}

// TestSIGHUPReloads: SIGHUP reloads the file (the process lives on), a
// broken file changes nothing and is logged with its JSON path, and a
// changed server timeout is named in a warning and kept.
func TestSIGHUPReloads(t *testing.T) {
	t.Parallel()
	be := versionBackend(t)
	g := startGateway(t, reloadConfig(be.URL, "A", ""))
	file := configFile(g)
	check := func(want string) {
		t.Helper()
		r := do(t, "GET", g.URL+"/v", "", nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"/`+want+`"`) {
			t.Fatalf("/v: %d %s, want the backend's /%s", r.Status, r.Body, want)
		}
	}
	check("A")
	hashA := healthHash(t, g)
	if hashA == "" {
		t.Fatalf("/__health has no config_hash: %s", do(t, "GET", g.URL+"/__health", "", nil).Body)
	}

	writeConfig(t, file, reloadConfig(be.URL, "B", `, "read_timeout": "7s"`))
	g.cmd.Process.Signal(syscall.SIGHUP)
	if !waitForCount(g, "configuration reloaded", 1, 20*time.Second) {
		t.Fatalf("no reload logged after SIGHUP; logs:\n%s", g.Logs())
	}
	check("B")
	if h := healthHash(t, g); h == hashA || h == "" {
		t.Errorf("/__health config_hash %q after the reload, was %q", h, hashA)
	}
	if !strings.Contains(g.Logs(), "read_timeout: changed in the file, but only a restart applies it") {
		t.Errorf("no warning naming the changed read_timeout; logs:\n%s", g.Logs())
	}

	writeConfig(t, file, `{"version": 3, "endpoints": [{"endpoint": "/v", "backend": [{"host": ["`+be.URL+`"], "url_pattern": "/C", "method": "FETCH"}]}]}`)
	g.cmd.Process.Signal(syscall.SIGHUP)
	if !waitForCount(g, "configuration reload failed", 1, 20*time.Second) {
		t.Fatalf("no failed reload logged after SIGHUP with a broken file; logs:\n%s", g.Logs())
	}
	if !strings.Contains(g.Logs(), "endpoints[0].backend[0].method") {
		t.Errorf("the failed reload's error does not name its JSON path; logs:\n%s", g.Logs())
	}
	check("B")
	m := scrapeMetrics(t, metricsURL(t, g))
	for _, w := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"lambdagate_config_reloads_total", map[string]string{"outcome": "success"}, 1},
		{"lambdagate_config_reloads_total", map[string]string{"outcome": "failure"}, 1},
		{"lambdagate_config_load_duration_seconds", map[string]string{"outcome": "success"}, 2}, // the start's load too
		{"lambdagate_config_info", map[string]string{"config_hash": healthHash(t, g)}, 1},
	} {
		if got := m.value(w.family, w.labels); got != w.want {
			t.Errorf("%s%v = %v, want %v", w.family, w.labels, got, w.want)
		}
	}
	if code := g.Stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}

// TestWatchReloads: with --watch, a change of the file is served without
// a signal.
func TestWatchReloads(t *testing.T) {
	t.Parallel()
	be := versionBackend(t)
	g := startGateway(t, reloadConfig(be.URL, "A", ""), "--watch")
	if r := do(t, "GET", g.URL+"/v", "", nil); !strings.Contains(r.Body, `"/A"`) {
		t.Fatalf("/v: %d %s", r.Status, r.Body)
	}
	writeConfig(t, configFile(g), reloadConfig(be.URL, "B", ""))
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := do(t, "GET", g.URL+"/v", "", nil)
		if strings.Contains(r.Body, `"/B"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the changed file was not served within 20s; last %d %s; logs:\n%s", r.Status, r.Body, g.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(g.Logs(), "configuration reloaded") {
		t.Errorf("no reload logged; logs:\n%s", g.Logs())
	}
}

// TestSIGHUPRescansFunctions: with --functions, a SIGHUP rescans the
// functions folder before it reloads the file, so that a new endpoint can
// call a function folder added since the start, and a changed function's
// next call runs its new code.
func TestSIGHUPRescansFunctions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFn := func(name, answer string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		src := `exports.handler = async () => ({answer: "` + answer + `"});`
		if err := os.WriteFile(filepath.Join(dir, name, "index.js"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	endpoint := func(path, fn string) string {
		return `{"endpoint": "` + path + `", "backend": [{"host": ["ignored"], "url_pattern": "/",
		  "extra_config": {"backend/lambda": {"function_name": "` + fn + `"}}}]}`
	}
	writeFn("one", "one-v1")
	g := startGateway(t, `{"version": 3, "timeout": "10s", "endpoints": [`+endpoint("/one", "one")+`]}`, "--functions", dir)
	check := func(path, want string) {
		t.Helper()
		if r := do(t, "GET", g.URL+path, "", nil); r.Status != 200 || r.Body != `{"answer":"`+want+`"}` {
			t.Fatalf("%s: %d %s, want {\"answer\":%q}", path, r.Status, r.Body, want)
		}
	}
	check("/one", "one-v1")

	writeFn("two", "two")
	writeFn("one", "one-v2")
	// A new modification time even on a coarse clock.
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(filepath.Join(dir, "one", "index.js"), later, later)
	writeConfig(t, configFile(g), `{"version": 3, "timeout": "10s", "listen_ip": "127.0.0.1", "endpoints": [`+
		endpoint("/one", "one")+`, `+endpoint("/two", "two")+`]}`)
	g.cmd.Process.Signal(syscall.SIGHUP)
	if !waitForCount(g, "configuration reloaded", 1, 20*time.Second) {
		t.Fatalf("no reload logged after SIGHUP; logs:\n%s", g.Logs())
	}
	if !strings.Contains(g.Logs(), "local Lambda runtime rescanned its functions") {
		t.Errorf("no rescan logged; logs:\n%s", g.Logs())
	}
	check("/two", "two")
	check("/one", "one-v2")
	if code := g.Stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
