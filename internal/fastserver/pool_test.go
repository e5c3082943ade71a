package fastserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Pool hygiene: the exchanges (Request, URL, header maps, body reader,
// ResponseWriter) are reused; no state may leak from one request to the
// next.

// echoRequest describes a request the way both sides compute it: method,
// escaped path, query, the X- headers (sorted, all values), body.
func echoRequest(method, path, query string, h http.Header, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s ?%s\n", method, path, query)
	keys := make([]string, 0, len(h))
	for k := range h {
		if strings.HasPrefix(k, "X-") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, h[k])
	}
	fmt.Fprintf(&b, "body %d %q", len(body), body)
	return b.String()
}

// echoHandler answers a request with its description, and pollutes what a
// pooled exchange could carry over: it mutates the request's header map,
// URL and form, and sets response headers only on some requests.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if r.ContentLength != int64(len(body)) && !(r.ContentLength == -1 && r.Header.Get("X-Chunked") == "1") {
		http.Error(w, fmt.Sprintf("ContentLength %d for %d bytes", r.ContentLength, len(body)), http.StatusInternalServerError)
		return
	}
	if r.Form != nil || r.PostForm != nil || r.Trailer != nil || r.Close {
		http.Error(w, "stale request fields", http.StatusInternalServerError)
		return
	}
	desc := echoRequest(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header, string(body))
	// Pollution.
	r.Header.Set("X-Mutated", "1")
	r.Header["X-I"] = append(r.Header["X-I"], "appended")
	r.URL.Path += "/mutated"
	r.URL.RawQuery = "mutated=1"
	r.ParseForm()
	if len(w.Header()) != 0 {
		http.Error(w, fmt.Sprintf("stale response headers %v", w.Header()), http.StatusInternalServerError)
		return
	}
	if r.Header.Get("X-Even") != "" {
		w.Header().Set("X-Even-Echo", r.Header.Get("X-Even"))
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Add("X-Seq", r.Header.Get("X-Seq"))
	io.WriteString(w, desc)
}

func TestPoolHygieneConcurrent(t *testing.T) {
	t.Parallel()
	_, addr, _ := startFast(t, http.HandlerFunc(echoHandler), Config{})
	const goroutines, requests = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: waitTimeout}
			for i := 0; i < requests; i++ {
				if err := poolRequest(client, addr, g, i); err != nil {
					errs <- fmt.Errorf("goroutine %d request %d: %w", g, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func poolRequest(client *http.Client, addr string, g, i int) error {
	method := []string{"GET", "POST", "PUT", "DELETE", "PATCH"}[i%5]
	path := fmt.Sprintf("/g%d/r%d", g, i)
	if i%4 == 1 {
		path += "/caf%C3%A9"
	}
	query := ""
	if i%3 != 0 {
		query = fmt.Sprintf("g=%d&i=%d&pad=%s", g, i, strings.Repeat("q", i%17))
	}
	var body string
	if method != "GET" && i%7 != 0 {
		body = fmt.Sprintf("body of %d/%d ", g, i) + strings.Repeat(string(rune('a'+i%26)), (i*37)%3000)
	}
	target := "http://" + addr + path
	if query != "" {
		target += "?" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	chunked := body != "" && i%2 == 0
	if chunked {
		rd = io.MultiReader(strings.NewReader(body)) // hides the length: chunked
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-G", fmt.Sprint(g))
	req.Header.Set("X-Seq", fmt.Sprintf("%d-%d", g, i))
	if i%2 == 0 {
		req.Header.Set("X-Even", fmt.Sprint(i))
	}
	if i%3 == 0 {
		req.Header.Add("X-Multi", "a")
		req.Header.Add("X-Multi", fmt.Sprint(i))
		req.Header.Add("X-Multi", "c")
	}
	if i%5 == 0 {
		req.Header.Set("X-Long", strings.Repeat("L", i))
	}
	if chunked {
		req.Header.Set("X-Chunked", "1")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	want := echoRequest(method, path, query, req.Header, body)
	if resp.StatusCode != http.StatusOK || string(got) != want {
		return fmt.Errorf("status %d, response\n%s\nwant\n%s", resp.StatusCode, got, want)
	}
	if even := resp.Header.Get("X-Even-Echo"); (i%2 == 0) != (even != "") || (even != "" && even != fmt.Sprint(i)) {
		return fmt.Errorf("X-Even-Echo = %q", even)
	}
	if seq := resp.Header.Values("X-Seq"); len(seq) != 1 || seq[0] != fmt.Sprintf("%d-%d", g, i) {
		return fmt.Errorf("X-Seq = %q", seq)
	}
	return nil
}

// TestHandlerReplacingRequestFields: net/http gives each request a fresh
// http.Request, so a handler may replace its fields (Header, URL, Body).
// fastserver reuses the Request: the next request on the same exchange must
// still be served, and must not write into a map the handler put there.
// A failure here may crash the server's process, so the check runs in a
// child process.
func TestHandlerReplacingRequestFields(t *testing.T) {
	if scenario := os.Getenv("FASTSERVER_TEST_CHILD"); scenario != "" {
		replacingFieldsChild(t, scenario)
		return
	}
	t.Parallel()
	for _, scenario := range []string{"nil", "shared"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHandlerReplacingRequestFields$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "FASTSERVER_TEST_CHILD="+scenario)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			if i := bytes.Index(out, []byte("goroutine ")); i > 0 && len(out) > i+600 {
				out = out[:i+600]
			}
			t.Errorf("handler setting r.Header to a %s map: child: %v\n%s", scenario, err, out)
		}
	}
}

func replacingFieldsChild(t *testing.T, scenario string) {
	// Each request replaces its fields; with the race detector, sync.Pool
	// drops a quarter of what is put back, so a few rounds make sure an
	// exchange is reused.
	const rounds = 10
	var mu sync.Mutex
	var shared []http.Header
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.URL.Path, r.Header.Get("X-Req"))
		switch scenario {
		case "nil":
			r.Header, r.URL, r.Body = nil, nil, nil
		case "shared":
			m := http.Header{"Kept": {"1"}}
			mu.Lock()
			shared = append(shared, m)
			mu.Unlock()
			r.Header = m
		}
	})
	_, addr, _ := startFast(t, h, Config{})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	for i := 0; i < rounds; i++ {
		p := fmt.Sprintf("/r%d", i)
		io.WriteString(c, get(p, "X-Req: "+p))
		resp := readRaw(c, br, "GET", 0)
		if want := p + " " + p; resp.Status != http.StatusOK || resp.Body != want {
			t.Fatalf("%s: status %d body %q (%s), want %q", p, resp.Status, resp.Body, resp.NoAnswer, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, m := range shared {
		if len(m) != 1 || m.Get("Kept") != "1" {
			t.Errorf("the header map request %d set as r.Header was cleared and filled by a later request: %v", i, m)
		}
	}
}
