package fastserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// Request fields and context behaviour the differential table leaves out,
// each checked against net/http's server.

// bothServers runs h under net/http's server and fastserver.
func bothServers(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	_, fast, _ := startFast(t, h, Config{})
	return map[string]string{"net/http": startStd(t, h, nil), "fastserver": fast}
}

// TestRequestURI: net/http sets r.RequestURI to the request target as sent;
// handlers and middleware (logging, signing, proxies) read it.
func TestRequestURI(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.RequestURI })
	for name, addr := range bothServers(t, h) {
		for _, target := range []string{"/a%2Fb?x=1&y", "/plain", "http://example.com/abs?q"} {
			resp, _ := rawExchange(t, addr, get(target), "GET", 0)
			if resp.Status != http.StatusOK {
				t.Fatalf("%s %s: status %d", name, target, resp.Status)
			}
			if uri := <-got; uri != target {
				t.Errorf("%s: r.RequestURI = %q, want %q", name, uri, target)
			}
		}
	}
}

// TestRequestContextLocalAddr: net/http's request context carries the
// connection's local address under http.LocalAddrContextKey.
func TestRequestContextLocalAddr(t *testing.T) {
	t.Parallel()
	got := make(chan any, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Context().Value(http.LocalAddrContextKey)
	})
	for name, addr := range bothServers(t, h) {
		rawExchange(t, addr, get("/"), "GET", 0)
		v := <-got
		a, ok := v.(net.Addr)
		if !ok || a.String() != addr {
			t.Errorf("%s: r.Context().Value(http.LocalAddrContextKey) = %v, want the server's address %s", name, v, addr)
		}
	}
}

// TestRequestContextCanceledAfterHandler: net/http cancels a request's
// context once its handler returns; fastserver gives every request the
// server's context, which ends only with Close (package doc: no
// per-request cancelable context). Both halves are checked, so that a
// change on either side shows.
func TestRequestContextCanceledAfterHandler(t *testing.T) {
	t.Parallel()
	got := make(chan context.Context, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Context()
		io.WriteString(w, "ok")
	})
	for name, addr := range bothServers(t, h) {
		rawExchange(t, addr, get("/"), "GET", 0)
		ctx := <-got
		// Waiting long for what must happen, briefly for what must not.
		wantDone := name == "net/http"
		wait := 200 * time.Millisecond
		if wantDone {
			wait = waitTimeout
		}
		select {
		case <-ctx.Done():
			if !wantDone {
				t.Errorf("%s: the request's context ended after the handler returned; update the package doc", name)
			}
		case <-time.After(wait):
			if wantDone {
				t.Errorf("%s: the request's context is not canceled after the handler returned", name)
			}
		}
	}
}

// TestRequestContextCanceledByClose: Close cancels the contexts of the
// requests in flight (its doc says so).
func TestRequestContextCanceledByClose(t *testing.T) {
	t.Parallel()
	entered := make(chan context.Context, 1)
	release := make(chan struct{})
	defer close(release)
	s, addr, _ := startFast(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- r.Context()
		<-release
	}), Config{})
	c := dial(t, addr)
	io.WriteString(c, get("/"))
	var ctx context.Context
	select {
	case ctx = <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the handler did not run")
	}
	s.Close()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Error("Close did not cancel the context of the request in flight")
	}
}

// TestPooledStateAfterPanic: the pooled exchange is reused after a
// panic; the next request on the same server must be whole and its own.
func TestPooledStateAfterPanic(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Path", r.URL.Path)
		if r.URL.Path == "/panic" {
			w.Header().Set("X-Stale", "1")
			panic("boom")
		}
		w.Write(b)
	})
	_, addr, _ := startFast(t, h, Config{})
	for i := 0; i < 20; i++ {
		rawExchange(t, addr, "POST /panic HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nstale", "POST", 0)
		resp, _ := rawExchange(t, addr, "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nnew", "POST", 0)
		if resp.Status != 200 || resp.Body != "new" || resp.Header.Get("X-Path") != "/ok" || resp.Header.Get("X-Stale") != "" {
			t.Fatalf("after a panic: status %d body %q header %v", resp.Status, resp.Body, resp.Header)
		}
	}
}

// TestNoHijacker: the package doc says http.Hijacker is not offered; a
// handler must see that (not a method that does nothing), so that it can
// fall back. Flushing is offered (stream_test.go).
func TestNoHijacker(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	_, addr, _ := startFast(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, flusher := w.(http.Flusher)
		_, hijacker := w.(http.Hijacker)
		rc := http.NewResponseController(w)
		herr := rc.SetReadDeadline(time.Now())
		got <- fmt.Sprintf("flusher=%v hijacker=%v deadline=%v", flusher, hijacker, errors.Is(herr, http.ErrNotSupported))
		io.WriteString(w, "ok")
	}), Config{})
	if r, _ := rawExchange(t, addr, get("/"), "GET", 0); r.Status != http.StatusOK || r.Body != "ok" {
		t.Fatalf("status %d body %q", r.Status, r.Body)
	}
	if s, want := <-got, "flusher=true hijacker=false deadline=true"; s != want {
		t.Errorf("%s, want %s", s, want)
	}
}

// TestHeaderNamesAsSent: the request's context carries the header names
// the client did not send canonical (wirenames), request by request on
// one connection, while the header map stays canonical as net/http's.
func TestHeaderNamesAsSent(t *testing.T) {
	t.Parallel()
	type seen struct{ day, apiKey, mapValue string }
	got := make(chan seen, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := wirenames.FromContext(r.Context())
		got <- seen{n.Spelling("Day"), n.Spelling("X-Api-Key"), r.Header.Get("Day")}
	})
	_, addr, _ := startFast(t, h, Config{})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	for _, tc := range []struct {
		req  string
		want seen
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\nday: Thu\r\nX-API-KEY: k\r\n\r\n", seen{"day", "X-API-KEY", "Thu"}},
		{"GET / HTTP/1.1\r\nHost: x\r\nDay: Fri\r\n\r\n", seen{"Day", "X-Api-Key", "Fri"}},
	} {
		if _, err := io.WriteString(c, tc.req); err != nil {
			t.Fatal(err)
		}
		if resp := readRaw(c, br, "GET", 0); resp.Status != http.StatusOK {
			t.Fatalf("status %d", resp.Status)
		}
		if s := <-got; s != tc.want {
			t.Errorf("%q: the handler saw %+v, want %+v", tc.req, s, tc.want)
		}
	}
}
