package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orphanFunctions writes a functions folder with a Node.js and a Python
// function, each sleeping event.ms (the ms query string, in lambdagate's
// default payload) before it answers, with three processes each at most.
func orphanFunctions(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]map[string]string{
		"nodesleep": {"index.js": `exports.handler = async (event) => {
  const ms = Number(event.ms || 0);
  if (ms) await new Promise((r) => setTimeout(r, ms));
  return {runtime: 'node'};
};
`},
		"pysleep": {"lambda_function.py": `import time


def lambda_handler(event, context):
    ms = int(event.get("ms") or 0)
    time.sleep(ms / 1000)
    return {"runtime": "python"}
`},
	}
	for name, content := range files {
		content["function.json"] = `{"concurrency": 3, "timeout": 60}`
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for file, text := range content {
			if err := os.WriteFile(filepath.Join(dir, name, file), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// functionProcesses lists the live processes (zombies left out) whose
// environment holds LAMBDA_TASK_ROOT under dir: the function processes of
// one gateway, wherever they were reparented.
func functionProcesses(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("LAMBDA_TASK_ROOT=" + dir)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The state follows the command's closing parenthesis.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// TestFunctionProcessesDieWithTheGateway starts the gateway with warm and
// busy Node.js and Python functions, kills it with SIGKILL (no shutdown
// path runs) and finds no function process left within a few seconds.
func TestFunctionProcessesDieWithTheGateway(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc to look for processes in")
	}
	requireTools(t, "node", "python3")
	t.Parallel()
	dir := orphanFunctions(t)
	cfg := `{"version": 3, "timeout": "60s", "endpoints": [
	  {"endpoint": "/node", "input_query_strings": ["ms"], "backend": [{"host": ["ignored"], "url_pattern": "/",
	    "extra_config": {"backend/lambda": {"function_name": "nodesleep"}}}]},
	  {"endpoint": "/python", "input_query_strings": ["ms"], "backend": [{"host": ["ignored"], "url_pattern": "/",
	    "extra_config": {"backend/lambda": {"function_name": "pysleep"}}}]}]}`
	g := startGateway(t, cfg, "--functions", dir)
	// Per function: two processes busy in their handlers, and one warm,
	// idle, waiting for work (started after the busy ones, so that it
	// is not given their work).
	for _, p := range []string{"/node", "/python"} {
		for range 2 {
			go func() {
				// Cut by the kill: the error is expected.
				resp, _ := client.Get(g.URL + p + "?ms=30000")
				if resp != nil {
					resp.Body.Close()
				}
			}()
		}
	}
	const want = 6
	deadline := time.Now().Add(30 * time.Second)
	for len(functionProcesses(t, dir)) < 4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range []string{"/node", "/python"} {
		if r := do(t, "GET", g.URL+p, "", nil); r.Status != 200 {
			t.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
	}
	before := functionProcesses(t, dir)
	if len(before) < want {
		t.Fatalf("%d function processes before the kill, want %d (4 busy, 2 warm); logs:\n%s", len(before), want, g.Logs())
	}
	time.Sleep(300 * time.Millisecond) // the busy ones are in their handlers
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-g.done
	var left []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if left = functionProcesses(t, dir); len(left) == 0 {
			return
		}
	}
	var desc []string
	for _, pid := range left {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		desc = append(desc, strconv.Itoa(pid)+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Errorf("function processes still running 5s after the gateway was killed:\n%s", strings.Join(desc, "\n"))
}

// requireTools skips the test when one of tools is not on PATH, except in
// CI (CI set), where it fails: scripts/test.sh installs them.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed, and CI is set (scripts/test.sh installs it)", tool)
			}
			t.Skipf("%s is not installed: skipped; with CI set this fails", tool)
		}
	}
}
