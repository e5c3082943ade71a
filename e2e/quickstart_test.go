package e2e

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/syncbuf"
)

// readmeCall is one `$ curl ...` of the README's quickstart and the output
// it shows.
type readmeCall struct {
	method, url, body string
	header            map[string]string
	want              string
	// stream is curl's -N: the answer streams, and its lines must arrive
	// one by one, not at once.
	stream bool
}

// readmeCalls reads the calls between the quickstart-calls markers of the
// README.
func readmeCalls(t *testing.T) []readmeCall {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- quickstart-calls: begin -->")
	end := strings.Index(s, "<!-- quickstart-calls: end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no quickstart-calls section")
	}
	var calls []readmeCall
	var cur *readmeCall
	for _, line := range strings.Split(s[start:end], "\n") {
		switch {
		case strings.HasPrefix(line, "$ curl "):
			calls = append(calls, parseCurl(t, strings.TrimPrefix(line, "$ curl ")))
			cur = &calls[len(calls)-1]
		case cur != nil && line != "" && !strings.HasPrefix(line, "```"):
			cur.want += line
		}
	}
	if len(calls) == 0 {
		t.Fatal("no calls found in the README's quickstart section")
	}
	return calls
}

var curlArg = regexp.MustCompile(`'[^']*'|\S+`)

// parseCurl understands the curl flags the README uses: -s, -N, -X, -d, -H.
func parseCurl(t *testing.T, args string) readmeCall {
	t.Helper()
	c := readmeCall{method: "GET"}
	words := curlArg.FindAllString(args, -1)
	for i := 0; i < len(words); i++ {
		w := strings.Trim(words[i], "'")
		switch w {
		case "-s":
		case "-N":
			c.stream = true
		case "-X":
			i++
			c.method = words[i]
		case "-d":
			i++
			c.body = strings.Trim(words[i], "'")
			if c.method == "GET" {
				c.method = "POST"
			}
		case "-H":
			i++
			name, value, ok := strings.Cut(strings.Trim(words[i], "'"), ":")
			if !ok {
				t.Fatalf("README curl header %q is not name: value", words[i])
			}
			if c.header == nil {
				c.header = map[string]string{}
			}
			c.header[name] = strings.TrimSpace(value)
		default:
			if strings.HasPrefix(w, "-") {
				t.Fatalf("README curl flag %q is not understood by this test", w)
			}
			c.url = w
		}
	}
	return c
}

// TestQuickstart runs what the README's first command runs (the quickstart
// config with its functions on the local runtime) and makes the README's
// calls, expecting the answers the README shows.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	// The config merges the gateway's own health check at port 8080; run it
	// on a free port and point that backend there.
	port := freePort(t)
	b, err := os.ReadFile(filepath.Join("..", "examples", "quickstart", "krakend.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(b), "127.0.0.1:8080", "127.0.0.1:"+port)
	gw := startGateway(t, cfg, "--functions", filepath.Join("..", "examples", "quickstart", "functions"), "--port", port)
	for _, c := range readmeCalls(t) {
		url := strings.Replace(c.url, "localhost:8080", strings.TrimPrefix(gw.URL, "http://"), 1)
		if !strings.HasPrefix(url, "http") {
			url = "http://" + url
		}
		if c.stream {
			checkStreamed(t, url, c.want)
			continue
		}
		r := do(t, c.method, url, c.body, c.header)
		got := strings.TrimRight(r.Body, "\n")
		if strings.HasPrefix(c.want, "{") {
			if !jsonEqual(t, got, c.want) {
				t.Errorf("%s %s: got %s, README shows %s", c.method, c.url, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s %s: got %q, README shows %q", c.method, c.url, got, c.want)
		}
	}
}

// TestQuickstartScript runs the README's first command itself,
// scripts/quickstart.sh (go run, the local runtime, the example
// functions), on a free port, and calls its first endpoint.
func TestQuickstartScript(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	var logs syncbuf.Buffer
	cmd := exec.Command(filepath.Join("..", "scripts", "quickstart.sh"), "--port", port)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// Its own process group, so that go run and the gateway it starts stop
	// together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("quickstart logs:\n%s", logs.String())
		}
	}()
	url := "http://127.0.0.1:" + port + "/hello"
	deadline := time.Now().Add(120 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != `{"content":"Hello from Lambda!"}` {
				t.Fatalf("GET /hello: %d %s", resp.StatusCode, b)
			}
			return
		}
		select {
		case <-done:
			t.Fatalf("scripts/quickstart.sh exited before serving")
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("scripts/quickstart.sh did not serve %s within 120s", url)
		}
	}
}

// freePort returns a port on 127.0.0.1 that the kernel chose and that was
// free a moment ago, for a process that must be told its port.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// checkStreamed GETs url and checks that its non-empty lines are the
// README's (want, joined) and that they arrived one by one: the last at
// least 200 ms after the first (the example's events are 300 ms apart).
func checkStreamed(t *testing.T, url, want string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got string
	var first, last time.Time
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		if first.IsZero() {
			first = time.Now()
		}
		last = time.Now()
		got += sc.Text()
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if got != want {
		t.Errorf("GET %s: got %q, README shows %q", url, got, want)
	}
	if last.Sub(first) < 200*time.Millisecond {
		t.Errorf("GET %s: the lines arrived together (%v apart), not one by one", url, last.Sub(first))
	}
}
