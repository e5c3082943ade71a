package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/syncbuf"
	"github.com/lambdagate/lambdagate/lambdalocal"
)

// versionFunctions writes a functions folder with two Node.js functions,
// fa and fb, answering {"v": "A"} and {"v": "B"}.
func versionFunctions(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range []string{"A", "B"} {
		fdir := filepath.Join(dir, "f"+strings.ToLower(v))
		if err := os.MkdirAll(fdir, 0o755); err != nil {
			t.Fatal(err)
		}
		code := `exports.handler = async () => ({v: "` + v + `"});` + "\n"
		if err := os.WriteFile(filepath.Join(fdir, "index.js"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fdir, "function.json"), []byte(`{"concurrency": 8}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// reloadFile is configuration v ("A" or "B") of the reload tests: /lambda
// calls the local function fa or fb, /http the backend at /A or /B.
func reloadFile(engine, backend, v string) string {
	return `{"version": 3, "timeout": "10s", "extra_config": {"router": {"disable_access_log": true},
	  "lambdagate/server": {"engine": "` + engine + `"}}, "endpoints": [
	  {"endpoint": "/lambda", "backend": [{"host": ["ignored"], "url_pattern": "/",
	    "extra_config": {"backend/lambda": {"function_name": "f` + strings.ToLower(v) + `"}}}]},
	  {"endpoint": "/http", "backend": [{"host": ["` + backend + `"], "url_pattern": "/` + v + `"}]}]}`
}

// TestReloadUnderLoad serves steady load through a Lambda backend (a real
// local Node.js function) and an HTTP backend while the file is reloaded
// 20 times, alternating two valid configurations and one that does not
// build: no request is lost, every response comes from the configuration
// current when its request was sent or one swapped in while it ran, a
// failed reload changes nothing, and goroutines and memory
// return to their level. With both server engines.
func TestReloadUnderLoad(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed, and CI is set")
		}
		t.Skip("node is not installed")
	}
	fakeAWSCredentials(t)
	t.Setenv("AWS_REGION", "us-east-1")
	local, err := lambdalocal.Start(context.Background(), lambdalocal.Options{
		FunctionsDir: versionFunctions(t), Logger: quiet, CacheDir: t.TempDir(), IdleTimeout: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close(context.Background()) })
	be := backendServer(t, map[string]http.HandlerFunc{
		"/A": jsonReply(`{"v": "A"}`),
		"/B": jsonReply(`{"v": "B"}`),
	})
	for _, engine := range []string{EngineFast, EngineNetHTTP} {
		t.Run(engine, func(t *testing.T) { reloadUnderLoad(t, engine, be, local.URL()) })
	}
}

func reloadUnderLoad(t *testing.T, engine, backend, localURL string) {
	files := map[string]string{
		"A":   reloadFile(engine, backend, "A"),
		"B":   reloadFile(engine, backend, "B"),
		"bad": strings.Replace(reloadFile(engine, backend, "B"), `"url_pattern": "/B"`, `"url_pattern": "/B", "method": "FETCH"`, 1),
	}
	versionOf := map[string]string{HashConfig([]byte(files["A"])): "A", HashConfig([]byte(files["B"])): "B"}
	file := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(file, []byte(files["A"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Parse([]byte(files["A"]))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	opts := Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), LocalLambdaURL: localURL}
	first := opts
	first.ConfigHash = HashConfig([]byte(files["A"]))
	gw, _, err := New(cfg, first)
	if err != nil {
		t.Fatal(err)
	}
	live := NewLive(gw, nil)
	r, err := NewReloader(live, file, cfg, first.ConfigHash, opts, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- live.Serve(ctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(path string) (string, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return "", err
		}
		if resp.StatusCode != 200 {
			return "", fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, b)
		}
		var doc struct{ V string }
		if err := json.Unmarshal(b, &doc); err != nil {
			return "", fmt.Errorf("%s: %v: %s", path, err, b)
		}
		return doc.V, nil
	}
	// Warm, at the load's concurrency: processes of each function,
	// connections to both backends, the server's workers.
	var warm sync.WaitGroup
	for w := range 6 {
		warm.Go(func() {
			for range 20 {
				if _, err := get([]string{"/lambda", "/http"}[w%2]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	warm.Wait()
	goroutines, rss := settle(), rssKB()

	var (
		wg   sync.WaitGroup
		done = make(chan struct{})
		// history lists the configurations swapped in, in order;
		// pending is the index of the last one whose swap began,
		// committed of the last one whose swap is done.
		history            atomic.Value
		pending, committed atomic.Int64
		requests           atomic.Int64
		mu                 sync.Mutex
		problems           []string
	)
	history.Store([]string{"A"})
	const workers = 6
	for w := range workers {
		wg.Go(func() {
			path := []string{"/lambda", "/http"}[w%2]
			for i := 0; i < 5000; i++ {
				select {
				case <-done:
					return
				default:
				}
				// The configurations that may answer: from the one
				// swapped in last before the request was sent to the
				// last one whose swap began before it was answered.
				from := committed.Load()
				v, err := get(path)
				to := pending.Load()
				requests.Add(1)
				if err == nil {
					hist := history.Load().([]string)
					if !slices.Contains(hist[from:to+1], v) {
						err = fmt.Errorf("%s answered by configuration %s; it was sent while %s was served, and answered before any later one than %s", path, v, hist[from], hist[to])
					}
				}
				if err != nil {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
				}
			}
		})
	}
	order := []string{"B", "bad", "A"}
	want := "A"
	for i := range 20 {
		next := order[i%3]
		if err := os.WriteFile(file, []byte(files[next]), 0o600); err != nil {
			t.Fatal(err)
		}
		hist := history.Load().([]string)
		if next != "bad" {
			history.Store(append(slices.Clip(hist), next))
			pending.Add(1)
		}
		err := r.Reload(false)
		if next != "bad" {
			committed.Add(1)
		}
		if next == "bad" {
			var errs config.Errors
			if !errors.As(err, &errs) || !strings.Contains(err.Error(), "endpoints[1].backend[0].method") {
				t.Errorf("reload %d (bad): %v, want the problem at endpoints[1].backend[0].method", i, err)
			}
		} else {
			if err != nil {
				t.Fatalf("reload %d (%s): %v", i, next, err)
			}
			want = next
		}
		if got := versionOf[r.Hash()]; got != want {
			t.Fatalf("after reload %d (%s) the served configuration is %q, want %q", i, next, got, want)
		}
		time.Sleep(60 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	if !strings.Contains(logs.String(), "configuration reload refused: endpoints[1].backend[0].method") {
		t.Errorf("the failed reloads' problems were not logged with their JSON path; logs:\n%s", logs.String())
	}
	if len(problems) > 0 {
		t.Errorf("%d of %d requests failed or were answered by the wrong configuration; first: %s", len(problems), requests.Load(), problems[0])
	}
	if requests.Load() < 100 {
		t.Errorf("only %d requests during the reloads", requests.Load())
	}
	t.Logf("%s: %d requests during 20 reloads, %d lost", engine, requests.Load(), len(problems))
	tr.CloseIdleConnections()
	// The replaced gateways are closed once drained; their goroutines
	// (connection pools, clients) go with them.
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if now = settle(); now <= goroutines+4 {
			break
		}
	}
	if now > goroutines+4 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before the reloads, %d after:\n%s", goroutines, now, buf[:runtime.Stack(buf, true)])
	}
	if after := rssKB(); rss > 0 && after > rss+64<<10 {
		t.Errorf("resident memory: %d kB before the reloads, %d kB after", rss, after)
	} else {
		t.Logf("resident memory: %d kB before the reloads, %d kB after", rss, after)
	}
}

// settle collects garbage and returns the number of goroutines, less two
// kinds that come and go by themselves: fasthttp's idle-connection
// cleaners (a replaced gateway's Lambda client closes its connections, but
// its cleaner sleeps out its idle timeout, 90s, before it sees none are
// left, holding nothing meanwhile) and the fasthttp server's idle workers
// (as many as requests ran at once, gone after 10s idle).
func settle() int {
	runtime.GC()
	debug.FreeOSMemory()
	buf := make([]byte, 4<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return runtime.NumGoroutine() - strings.Count(stacks, "fasthttp.(*HostClient).connsCleaner") - strings.Count(stacks, "fasthttp.(*workerPool).getCh.func1")
}

// rssKB is the process's resident memory in kB (0 without /proc).
func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}

// TestReloadHeaderNamesWarning: on the net/http engine, a reload that
// brings the first apigateway_v1 backend warns that header names show
// canonical until a restart (the server did not wrap its listener); one
// that keeps it, or the fasthttp engine, does not.
func TestReloadHeaderNamesWarning(t *testing.T) {
	fakeAWSCredentials(t)
	t.Setenv("AWS_REGION", "us-east-1")
	file := func(engine, format string) string {
		return `{"version": 3, "extra_config": {"lambdagate/server": {"engine": "` + engine + `"}},
		  "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/",
		  "extra_config": {"backend/lambda": {"function_name": "f", "payload_format": "` + format + `"}}}]}]}`
	}
	for _, tc := range []struct {
		name, engine, from, to string
		warn                   bool
	}{
		{"net/http, first apigateway_v1", EngineNetHTTP, "krakend", "apigateway_v1", true},
		{"net/http, apigateway_v1 kept", EngineNetHTTP, "apigateway_v1", "apigateway_v1", false},
		{"fasthttp, first apigateway_v1", EngineFast, "krakend", "apigateway_v1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(file(tc.engine, tc.from)))
			if err != nil {
				t.Fatal(err)
			}
			logs := &syncbuf.Buffer{}
			opts := Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), LocalLambdaURL: "http://127.0.0.1:1"}
			gw, _, err := New(cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			live := NewLive(gw, nil)
			defer gw.Close()
			r, err := NewReloader(live, "krakend.json", cfg, "h", opts, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			next, err := r.build([]byte(file(tc.engine, tc.to)), "h2")
			if err != nil {
				t.Fatal(err)
			}
			next.Close()
			if got := strings.Contains(logs.String(), "does not record how clients spell header names"); got != tc.warn {
				t.Errorf("warned %v, want %v:\n%s", got, tc.warn, logs.String())
			}
		})
	}
}
