package fastserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/internal/linger"
)

// Shutdown and Close, and the goroutines they leave behind.

// blocking is a handler whose /block requests wait for release.
type blocking struct {
	entered chan struct{}
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan struct{}, 4), release: make(chan struct{})}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/block" {
		b.entered <- struct{}{}
		<-b.release
		io.WriteString(w, "done")
		return
	}
	io.WriteString(w, "ok")
}

func (b *blocking) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-b.entered:
	case <-time.After(waitTimeout):
		t.Fatal("the handler did not run")
	}
}

// refused reports whether new connections to addr are refused (or closed
// at once) within d.
func refused(addr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return true
		}
		c.SetDeadline(time.Now().Add(200 * time.Millisecond))
		io.WriteString(c, get("/"))
		_, err = http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil && isClosed(err) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func TestShutdownWaitsForInFlight(t *testing.T) {
	t.Parallel()
	b := newBlocking()
	s, addr, sv := startFast(t, b, Config{})

	busy := dial(t, addr)
	io.WriteString(busy, get("/block"))
	b.waitEntered(t)

	idle := dial(t, addr)
	idleR := bufio.NewReader(idle)
	io.WriteString(idle, get("/"))
	if r := readRaw(idle, idleR, "GET", 0); r.Status != http.StatusOK || r.Closed {
		t.Fatalf("keep-alive request: status %d closed %v", r.Status, r.Closed)
	}

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()

	if err, ok := sv.wait(time.Second); !ok || !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: returned %v (%v), want http.ErrServerClosed at once", ok, err)
	}
	if closed, _ := closedAfter(idle, idleR, time.Second); !closed {
		t.Error("Shutdown left the idle keep-alive connection open")
	}
	if !refused(addr, time.Second) {
		t.Error("Shutdown still accepts connections")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}

	close(b.release)
	resp := readRaw(busy, bufio.NewReader(busy), "GET", time.Second)
	if resp.Status != http.StatusOK || resp.Body != "done" {
		t.Errorf("the request in flight got status %d body %q (%s), want its whole response", resp.Status, resp.Body, resp.NoAnswer)
	}
	if !resp.Closed {
		t.Error("the connection of the request in flight stays open after Shutdown")
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Error("Shutdown did not return once the request in flight was answered")
	}
}

func TestShutdownDeadlineThenClose(t *testing.T) {
	t.Parallel()
	b := newBlocking()
	defer close(b.release)
	s, addr, sv := startFast(t, b, Config{})
	busy := dial(t, addr)
	io.WriteString(busy, get("/block"))
	b.waitEntered(t)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown returned after %v, want about 200ms", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	busy.SetReadDeadline(time.Now().Add(time.Second))
	_, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if !isClosed(err) {
		t.Errorf("after Close, the request in flight's connection: %v, want it cut", err)
	}
	if err, ok := sv.wait(time.Second); !ok || !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: returned %v (%v), want http.ErrServerClosed", ok, err)
	}
}

// TestCloseStopsServe: like net/http's, Close alone closes the listener
// and makes Serve return http.ErrServerClosed.
func TestCloseStopsServe(t *testing.T) {
	t.Parallel()
	s, addr, sv := startFast(t, http.HandlerFunc(echoBody), Config{})
	if r, _ := rawExchange(t, addr, get("/"), "GET", 0); r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	s.Close()
	if err, ok := sv.wait(time.Second); !ok || !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Close: returned %v (%v), want http.ErrServerClosed", ok, err)
	}
	if !refused(addr, time.Second) {
		t.Error("a closed server still serves new connections")
	}
}

// TestShutdownBeforeServe: net/http's Serve returns http.ErrServerClosed
// at once when Shutdown (or Close) came first; the gateway starts Serve in
// a goroutine and may shut down before that goroutine runs.
func TestShutdownBeforeServe(t *testing.T) {
	t.Parallel()
	for _, stop := range []string{"Shutdown", "Close"} {
		s := New(http.HandlerFunc(echoBody), Config{Logger: quietSlog})
		if stop == "Shutdown" {
			if err := s.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown before Serve: %v", err)
			}
		} else {
			s.Close()
		}
		ln := listenLocal(t)
		sv := serveBackground(s, ln)
		err, ok := sv.wait(time.Second)
		if !ok || !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve after %s: returned %v (%v), want http.ErrServerClosed at once", stop, ok, err)
		}
		ln.Close()
		s.Close()
		if _, ok := sv.wait(waitTimeout); !ok {
			t.Fatal("Serve did not return once its listener was closed")
		}
	}
}

// TestNoGoroutineLeak starts and stops servers one after the other, through
// keep-alive requests, refused bodies (lingering closes), panics, graceful
// and hard stops, then checks that no goroutine is left (goleak retries
// while the lingering closes end, 500ms at most).
func TestNoGoroutineLeak(t *testing.T) {
	opts := []goleak.Option{
		goleak.IgnoreCurrent(),
		// fasthttp's clock for the Date header: one per process.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		// The cleaner of fasthttp's worker pool notices that Serve has
		// returned only when its sleep of MaxIdleWorkerDuration (10s by
		// default) ends: it outlives Serve by up to 10s, then exits.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	}
	defer func() {
		// The lingering closes end within their (shortened) time; goleak's own
		// retries last less than that.
		deadline := time.Now().Add(3 * time.Second)
		for goleak.Find(opts...) != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		goleak.VerifyNone(t, opts...)
	}()

	for round := 0; round < 3; round++ {
		b := newBlocking()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/panic":
				panic("boom")
			case "/abort":
				panic(http.ErrAbortHandler)
			}
			b.ServeHTTP(w, r)
		})
		ln := listenLocal(t)
		s := New(h, Config{MaxBodyBytes: 1024, IdleTimeout: time.Second, ReadHeaderTimeout: time.Second, Logger: quietSlog,
			Linger: linger.Bounds{Time: 500 * time.Millisecond, Idle: 500 * time.Millisecond, Bytes: 256 << 10}})
		sv := serveBackground(s, ln)
		addr := ln.Addr().String()

		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(waitTimeout))
		br := bufio.NewReader(c)
		for i := 0; i < 3; i++ {
			io.WriteString(c, get("/"))
			if r := readRaw(c, br, "GET", 0); r.Status != http.StatusOK {
				t.Fatalf("round %d: status %d", round, r.Status)
			}
		}
		for _, req := range []string{
			get("/panic"), get("/abort"),
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + string(make([]byte, 2048)) + "\r\n",
		} {
			x, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			x.SetDeadline(time.Now().Add(waitTimeout))
			io.WriteString(x, req)
			readRaw(x, bufio.NewReader(x), "POST", 0)
			x.Close()
		}

		var busy net.Conn
		if round == 2 {
			// A hard stop with a request in flight.
			busy, err = net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			busy.SetDeadline(time.Now().Add(waitTimeout))
			io.WriteString(busy, get("/block"))
			b.waitEntered(t)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			s.Shutdown(ctx)
			cancel()
			s.Close()
			close(b.release)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			if err := s.Shutdown(ctx); err != nil {
				t.Errorf("round %d: Shutdown: %v", round, err)
			}
			cancel()
			close(b.release)
		}
		if err, ok := sv.wait(waitTimeout); !ok || !errors.Is(err, http.ErrServerClosed) {
			t.Fatalf("round %d: Serve returned %v (%v)", round, ok, err)
		}
		c.Close()
		if busy != nil {
			busy.Close()
		}
		ln.Close()
	}
}
