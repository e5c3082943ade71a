package fastserver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Limits and timeouts: the answers (431, 413, 408) and when they come.

func echoBody(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(b)
}

func TestMaxHeaderBytes(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, http.HandlerFunc(echoBody), Config{MaxHeaderBytes: 4096})
	small := get("/", "X-Pad: "+strings.Repeat("a", 3000))
	if resp, _ := rawExchange(t, addr, small, "GET", 0); resp.Status != http.StatusOK {
		t.Errorf("a %d-byte header block: status %d, want 200", len(small), resp.Status)
	}
	big := get("/", "X-Pad: "+strings.Repeat("a", 8000))
	resp, _ := rawExchange(t, addr, big, "GET", 200*time.Millisecond)
	if resp.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte header block: status %d (%s), want 431", len(big), resp.Status, resp.NoAnswer)
	}
	if !resp.Closed {
		t.Error("the connection stays open after 431")
	}
	many := get("/", strings.Repeat("X-Many: 0123456789\r\n", 400)+"X-End: 1")
	if resp, _ := rawExchange(t, addr, many, "GET", 0); resp.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("400 header lines: status %d, want 431", resp.Status)
	}
}

// TestBodyTooLargeAnnounced: a Content-Length above the limit is answered
// 413 as soon as the headers are in, before any body byte is sent.
func TestBodyTooLargeAnnounced(t *testing.T) {
	t.Parallel()
	called := make(chan struct{}, 1)
	_, addr, _ := startFast(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called <- struct{}{}
	}), Config{MaxBodyBytes: 1024})
	c := dial(t, addr)
	// No byte of the body is sent: an answer at all shows the server did
	// not wait for it.
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to headers announcing a body over the limit: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	select {
	case <-called:
		t.Error("the handler ran")
	default:
	}
	// At the limit, the body is accepted.
	body := strings.Repeat("b", 1024)
	r, _ := rawExchange(t, addr, fmt.Sprintf("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body), "POST", 0)
	if r.Status != http.StatusOK {
		t.Errorf("a body at the limit: status %d", r.Status)
	}
}

// streamTooLarge posts an endless body (chunked, or announced with
// contentLength) through an io.Pipe with a Go client, and returns the
// status it gets.
func streamTooLarge(t *testing.T, url string, contentLength int64) (int, error) {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: waitTimeout}
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		chunk := bytes.Repeat([]byte("z"), 16<<10)
		for i := 0; i < 1024; i++ { // 16 MiB at most
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	defer wg.Wait()
	defer pr.CloseWithError(io.ErrClosedPipe)
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = contentLength
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestBodyTooLargeStreamed: a client still sending a body above the limit
// gets the 413 (the lingering close keeps the kernel from resetting the
// connection under it), chunked or announced.
func TestBodyTooLargeStreamed(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, http.HandlerFunc(echoBody), Config{MaxBodyBytes: 64 << 10})
	for _, cl := range []int64{-1, 16 << 20} {
		for i := 0; i < 3; i++ {
			status, err := streamTooLarge(t, "http://"+addr+"/up", cl)
			if err != nil || status != http.StatusRequestEntityTooLarge {
				t.Errorf("Content-Length %d, try %d: status %d, error %v; want 413", cl, i, status, err)
			}
		}
	}
}

// TestBodyLimitHook: Config.Route gives one path a smaller limit; the
// hook gets the method and the escaped path, without the query.
func TestBodyLimitHook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	limit := func(method, path []byte) (string, int64) {
		mu.Lock()
		paths = append(paths, string(method)+" "+string(path))
		mu.Unlock()
		if string(path) == "/small" {
			return "", 10
		}
		return "", 0
	}
	_, addr, _ := startFast(t, http.HandlerFunc(echoBody), Config{MaxBodyBytes: 1 << 20, Route: limit})
	body := strings.Repeat("x", 100)
	post := func(target, body string) rawResponse {
		resp, _ := rawExchange(t, addr, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: h.test\r\nContent-Length: %d\r\n\r\n%s", target, len(body), body), "POST", 0)
		return resp
	}
	postChunked := func(target, body string) rawResponse {
		resp, _ := rawExchange(t, addr, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", target, len(body), body), "POST", 0)
		return resp
	}
	for _, c := range []struct {
		name   string
		resp   rawResponse
		status int
	}{
		{"small path, 100 bytes", post("/small", body), http.StatusRequestEntityTooLarge},
		{"small path with a query, 100 bytes", post("/small?x=1", body), http.StatusRequestEntityTooLarge},
		{"small path, chunked 100 bytes", postChunked("/small", body), http.StatusRequestEntityTooLarge},
		{"small path, 10 bytes", post("/small", body[:10]), http.StatusOK},
		{"other path, 100 bytes", post("/big", body), http.StatusOK},
		{"other path, chunked 100 bytes", postChunked("/big", body), http.StatusOK},
		// The absolute form reaches the handler with URL.Path "/small":
		// its body must get /small's limit too.
		{"small path in absolute form, 100 bytes", post("http://h.test/small", body), http.StatusRequestEntityTooLarge},
	} {
		if c.resp.Status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, c.resp.Status, c.status)
		}
		if c.status == http.StatusOK && c.resp.Status == http.StatusOK && len(c.resp.Body) != len(body) && len(c.resp.Body) != 10 {
			t.Errorf("%s: echoed %d bytes", c.name, len(c.resp.Body))
		}
	}
	post("/sm%61ll?q", "")
	mu.Lock()
	defer mu.Unlock()
	if last := paths[len(paths)-1]; last != "POST /sm%61ll" {
		t.Errorf("Route got %q, want %q (the escaped path, no query)", last, "POST /sm%61ll")
	}
}

// stallTime sends prefix, then waits for the server to answer or close,
// and returns how long that took and the status (0: closed without one).
func stallTime(t *testing.T, addr, prefix string) (time.Duration, int) {
	t.Helper()
	c := dial(t, addr)
	start := time.Now()
	io.WriteString(c, prefix)
	resp := readRaw(c, bufio.NewReader(c), "GET", 0)
	return time.Since(start), resp.Status
}

func TestReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, http.HandlerFunc(echoBody), Config{ReadHeaderTimeout: 300 * time.Millisecond})
	d, status := stallTime(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nX-Partial: ")
	if d < 250*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("a client stalling in its headers was cut after %v, want about 300ms", d)
	}
	if status != 0 && status != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408 or none", status)
	}
	// A connection that sends nothing at all is cut too.
	if d, _ := stallTime(t, addr, ""); d < 250*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("a silent connection was cut after %v, want about 300ms", d)
	}
	// ReadHeaderTimeout alone leaves the body unbounded: a slow body is
	// read.
	c := dial(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
	time.Sleep(500 * time.Millisecond)
	io.WriteString(c, "cd")
	if resp := readRaw(c, bufio.NewReader(c), "POST", 0); resp.Status != http.StatusOK || resp.Body != "abcd" {
		t.Errorf("a body slower than ReadHeaderTimeout (no ReadTimeout): status %d body %q, want 200 abcd", resp.Status, resp.Body)
	}
}

func TestReadTimeout(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{ReadTimeout: 400 * time.Millisecond},
		{ReadTimeout: 400 * time.Millisecond, ReadHeaderTimeout: 200 * time.Millisecond},
	} {
		_, addr, _ := startFast(t, http.HandlerFunc(echoBody), cfg)
		d, status := stallTime(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly some")
		if d < 350*time.Millisecond || d > 1500*time.Millisecond {
			t.Errorf("%+v: a client stalling in its body was cut after %v, want about 400ms", cfg, d)
		}
		if status != 0 && status != http.StatusRequestTimeout {
			t.Errorf("%+v: status %d, want 408 or none", cfg, status)
		}
		d, _ = stallTime(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
		if d < 350*time.Millisecond || d > 1500*time.Millisecond {
			t.Errorf("%+v: a client stalling in its chunked body was cut after %v, want about 400ms", cfg, d)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, http.HandlerFunc(echoBody), Config{IdleTimeout: 300 * time.Millisecond})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		io.WriteString(c, get("/"))
		if resp := readRaw(c, br, "GET", 0); resp.Status != http.StatusOK {
			t.Fatalf("request %d: status %d", i, resp.Status)
		}
	}
	start := time.Now()
	closed, _ := closedAfter(c, br, 2*time.Second)
	if d := time.Since(start); !closed || d < 250*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("the idle connection was closed %v after %v, want about 300ms", closed, d)
	}
}

// TestIdleWithOnlyReadHeaderTimeout: with IdleTimeout and ReadTimeout
// zero, net/http leaves an idle keep-alive connection open (ReadHeaderTimeout
// starts with the next request's first byte).
func TestIdleWithOnlyReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	const rht = 200 * time.Millisecond
	_, fast, _ := startFast(t, http.HandlerFunc(echoBody), Config{ReadHeaderTimeout: rht})
	std := startStd(t, http.HandlerFunc(echoBody), func(s *http.Server) { s.ReadHeaderTimeout = rht })
	for name, addr := range map[string]string{"net/http": std, "fastserver": fast} {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, get("/"))
		if resp := readRaw(c, br, "GET", 0); resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d", name, resp.Status)
		}
		time.Sleep(3 * rht)
		io.WriteString(c, get("/"))
		if resp := readRaw(c, br, "GET", 0); resp.Status != http.StatusOK {
			t.Errorf("%s: a keep-alive connection idle for 3×ReadHeaderTimeout (IdleTimeout 0): %s, want served", name, resp.NoAnswer)
		}
	}
}
