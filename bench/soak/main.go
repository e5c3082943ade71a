// Command soak drives steady load through the built gateway for a given
// time, half through a Lambda backend (the local runtime, --functions, with
// examples/lambda/functions) and half through an HTTP backend
// (internal/fakelambda), and samples the gateway's resident memory and threads
// (/proc/PID/status) and goroutines (the go_goroutines metric of its
// Prometheus exporter) every second. It fails (exit 1) when a request
// fails, when the goroutines or RSS of the second half of the run climb
// above the first half's, when goroutines do not come back down once the
// load stops, or when SIGTERM does not end the gateway with exit code 0.
//
//	go run ./bench/soak -duration 60s           # as CI runs it
//	go run ./bench/soak -duration 10m            # docs/RELIABILITY.md
//
// Linux only (/proc). Everything listens on 127.0.0.1; every loop is bounded
// by -duration.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/syncbuf"
)

type sample struct {
	at         time.Duration
	rssKB      int
	threads    int
	goroutines int
	requests   int64
}

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long the load runs")
	conns := flag.Int("conns", 8, "concurrent clients, half Lambda, half HTTP (the local runtime runs 4 invocations of a function at once and refuses more with 429: keep the Lambda half at 4 or less)")
	bin := flag.String("gateway", "", "lambdagate binary (default: built from ./cmd/lambdagate)")
	functions := flag.String("functions", "examples/lambda/functions", "functions directory for the local runtime")
	interval := flag.Duration("interval", time.Second, "sampling interval")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "soak-")
	check(err)
	defer os.RemoveAll(tmp)
	if *bin == "" {
		*bin = filepath.Join(tmp, "lambdagate")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/lambdagate")
		build.Stderr = os.Stderr
		check(build.Run())
	}
	fs := fakelambda.Start()
	fs.ForgetCalls = true
	cfg := `{"version": 3, "timeout": "5s", "listen_ip": "127.0.0.1",
		"extra_config": {
			"router": {"disable_access_log": true},
			"telemetry/opentelemetry": {"service_name": "soak", "exporters": {"prometheus": [{"name": "p", "listen_ip": "127.0.0.1", "port": 0, "go_metrics": true}]}}
		},
		"endpoints": [
		{"endpoint": "/lambda", "input_query_strings": ["name"], "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_name": "hello"}}}]},
		{"endpoint": "/http", "backend": [{"host": ["` + fs.URL + `"], "url_pattern": "/fault/ok"}]}
	]}`
	cfgFile := filepath.Join(tmp, "krakend.json")
	check(os.WriteFile(cfgFile, []byte(cfg), 0o600))

	var logs syncbuf.Buffer
	cmd := exec.Command(*bin, "run", "-c", cfgFile, "--port", "0", "--functions", *functions)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	check(cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	atExit = func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		fs.Close()
		os.RemoveAll(tmp)
	}
	defer atExit()
	gwURL := waitFor(&logs, exited, regexp.MustCompile(`msg=listening url=(http://\S+) endpoints=`))
	metricsURL := waitFor(&logs, exited, regexp.MustCompile(`prometheus metrics served.*? url=(http://\S+)`))
	pid := cmd.Process.Pid
	fmt.Printf("gateway pid %d at %s, metrics %s; %d clients for %s\n", pid, gwURL, metricsURL, *conns, *duration)

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conns}}
	// Warm both paths (the first invocation starts a function process).
	for _, p := range []string{"/lambda?name=soak", "/http"} {
		if status, _ := get(client, gwURL+p); status != 200 {
			fatal(fmt.Sprintf("warm-up %s: status %d\n%s", p, status, logs.String()))
		}
	}
	start := time.Now()
	idle := take(pid, metricsURL, 0, 0)

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range *conns {
		path := "/lambda?name=soak"
		if i%2 == 1 {
			path = "/http"
		}
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, err := get(client, gwURL+path)
				if status == 200 {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				failures.add(fmt.Sprintf("%s %d", path[:strings.IndexAny(path+"?", "?")], status))
				firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: %d %v", path, status, err))
			}
		})
	}
	var samples []sample
	tick := time.NewTicker(*interval)
	for deadline := time.Now().Add(*duration); time.Now().Before(deadline); {
		<-tick.C
		s := take(pid, metricsURL, time.Since(start), ok.Load()+failed.Load())
		samples = append(samples, s)
		fmt.Printf("%7s  rss %6d KiB  threads %3d  goroutines %4d  requests %d\n", s.at.Round(time.Second), s.rssKB, s.threads, s.goroutines, s.requests)
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	loadTime := time.Since(start)
	client.CloseIdleConnections()
	time.Sleep(3 * time.Second)
	after := take(pid, metricsURL, time.Since(start), ok.Load()+failed.Load())

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-exited
		fatal("the gateway did not exit within 15s of SIGTERM")
	}

	var problems []string
	if failed.Load() > 0 {
		problems = append(problems, fmt.Sprintf("%d requests failed (by route and status: %v; first: %v)", failed.Load(), failures.snapshot(), firstErr.Load()))
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		problems = append(problems, fmt.Sprintf("exit code %d after SIGTERM", code))
	}
	// Skip the first fifth (pools filling up), then compare halves.
	steady := samples[len(samples)/5:]
	if len(steady) < 4 {
		fatal("too few samples: run longer")
	}
	first, second := steady[:len(steady)/2], steady[len(steady)/2:]
	g1, g2 := maxOf(first, func(s sample) int { return s.goroutines }), maxOf(second, func(s sample) int { return s.goroutines })
	r1, r2 := median(first, func(s sample) int { return s.rssKB }), median(second, func(s sample) int { return s.rssKB })
	if g2 > g1+g1/10+10 {
		problems = append(problems, fmt.Sprintf("goroutines climb: max %d in the first half, %d in the second", g1, g2))
	}
	if r2 > r1+r1/5+8<<10 {
		problems = append(problems, fmt.Sprintf("RSS climbs: median %d KiB in the first half, %d KiB in the second", r1, r2))
	}
	if after.goroutines > max(g1, g2) {
		problems = append(problems, fmt.Sprintf("goroutines did not come down after the load: %d (under load at most %d)", after.goroutines, max(g1, g2)))
	}
	total := ok.Load() + failed.Load()
	fmt.Printf("\nsummary: %d requests in %s (%.0f/s), %d failed\n", total, loadTime.Round(time.Second), float64(total)/loadTime.Seconds(), failed.Load())
	fmt.Printf("goroutines: idle %d, max first half %d, max second half %d, 3s after the load %d\n", idle.goroutines, g1, g2, after.goroutines)
	fmt.Printf("RSS: idle %d KiB, median first half %d KiB, median second half %d KiB, after %d KiB\n", idle.rssKB, r1, r2, after.rssKB)
	fmt.Printf("threads: idle %d, max %d\n", idle.threads, maxOf(samples, func(s sample) int { return s.threads }))
	if len(problems) > 0 {
		fatal("soak failed:\n  " + strings.Join(problems, "\n  ") + "\n" + tail(logs.String(), 3000))
	}
	fmt.Println("soak ok: flat goroutines and RSS, no failed request, exit 0")
}

func get(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// take samples the gateway: RSS and threads from /proc, goroutines from
// its metrics.
func take(pid int, metricsURL string, at time.Duration, requests int64) sample {
	s := sample{at: at, requests: requests}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			s.rssKB, _ = strconv.Atoi(f[1])
		case "Threads:":
			s.threads, _ = strconv.Atoi(f[1])
		}
	}
	resp, err := http.Get(metricsURL)
	check(err)
	defer resp.Body.Close()
	sc = bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			s.goroutines = int(f)
		}
	}
	return s
}

func maxOf(ss []sample, f func(sample) int) int {
	m := 0
	for _, s := range ss {
		m = max(m, f(s))
	}
	return m
}

func median(ss []sample, f func(sample) int) int {
	v := make([]int, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	sort.Ints(v)
	return v[len(v)/2]
}

func waitFor(logs *syncbuf.Buffer, exited <-chan struct{}, re *regexp.Regexp) string {
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		select {
		case <-exited:
			fatal("the gateway exited:\n" + logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	fatal("the gateway did not start within 120s:\n" + logs.String())
	return ""
}

// maxLogBytes bounds the gateway's output kept (the local runtime logs
// every invocation): the first lines, which hold the URLs, and the latest.
const maxLogBytes = 1 << 20

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func check(err error) {
	if err != nil {
		fatal(err.Error())
	}
}

// failures counts failed requests by route and status (0: no answer).
var failures = &counter{m: map[string]int{}}

type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(k string) {
	c.mu.Lock()
	c.m[k]++
	c.mu.Unlock()
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// atExit stops the gateway and cleans up; fatal runs it too.
var atExit = func() {}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "soak:", msg)
	atExit()
	os.Exit(1)
}
