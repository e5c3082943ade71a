package fastserver

import (
	"bufio"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the package's tests: servers on 127.0.0.1:0 that stop
// with the test, and a raw HTTP/1.1 client.

var (
	quietLog  = log.New(io.Discard, "", 0)
	quietSlog = slog.New(slog.DiscardHandler)
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

func listenLocal(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln
}

// startStd serves h with net/http's server until the test ends.
func startStd(t testing.TB, h http.Handler, configure func(*http.Server)) string {
	t.Helper()
	ln := listenLocal(t)
	srv := &http.Server{Handler: h, ErrorLog: quietLog}
	if configure != nil {
		configure(srv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Errorf("net/http Serve did not return after Close")
		}
	})
	return ln.Addr().String()
}

// serving is a Serve call running in the background.
type serving struct {
	done chan struct{}
	err  error
}

// wait waits up to d for Serve to return, and reports its result.
func (sv *serving) wait(d time.Duration) (error, bool) {
	select {
	case <-sv.done:
		return sv.err, true
	case <-time.After(d):
		return nil, false
	}
}

// serveBackground runs s.Serve(ln) in the background.
func serveBackground(s *Server, ln net.Listener) *serving {
	sv := &serving{done: make(chan struct{})}
	go func() {
		defer close(sv.done)
		sv.err = s.Serve(ln)
	}()
	return sv
}

// startFast serves h with a fastserver until the test ends. It returns the
// server, its address, and its Serve call.
func startFast(t testing.TB, h http.Handler, c Config) (*Server, string, *serving) {
	t.Helper()
	ln := listenLocal(t)
	if c.Logger == nil {
		c.Logger = quietSlog
	}
	s := New(h, c)
	sv := serveBackground(s, ln)
	t.Cleanup(func() {
		s.Close()
		// Close alone does not stop Serve (see TestCloseStopsServe), so
		// the listener is closed here too.
		ln.Close()
		if _, ok := sv.wait(waitTimeout); !ok {
			t.Errorf("fastserver Serve did not return after Close")
		}
	})
	return s, ln.Addr().String(), sv
}

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return keep(t, c)
}

// keep bounds c's life by the test's.
func keep(t testing.TB, c net.Conn) net.Conn {
	c.SetDeadline(time.Now().Add(waitTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// rawResponse is what a raw client saw of one exchange.
type rawResponse struct {
	Interim  []int       // 1xx statuses received before the final one
	Status   int         // 0: no response
	Reason   string      // resp.Status
	Proto    string      // resp.Proto
	Header   http.Header // without Date
	HasDate  bool
	Date     string
	Chunked  bool // the response body came chunked
	Body     string
	NoAnswer string // why no (complete) response was read
	Closed   bool   // the server closed the connection after the response
	Trailing string // bytes that followed the response on the connection
}

// readRaw reads one response (and the 1xx ones before it) from br, then
// reports whether the server closes the connection within settle.
func readRaw(conn net.Conn, br *bufio.Reader, method string, settle time.Duration) rawResponse {
	return readRawWait(conn, br, method, waitTimeout, settle)
}

// readRawWait is readRaw waiting up to wait for the response.
func readRawWait(conn net.Conn, br *bufio.Reader, method string, wait, settle time.Duration) rawResponse {
	var out rawResponse
	conn.SetReadDeadline(time.Now().Add(wait))
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			out.NoAnswer = err.Error()
			out.Closed = true
			return out
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			out.Interim = append(out.Interim, resp.StatusCode)
			continue
		}
		out.Status, out.Reason, out.Proto = resp.StatusCode, resp.Status, resp.Proto
		out.Chunked = len(resp.TransferEncoding) > 0
		b, err := io.ReadAll(resp.Body)
		out.Body = string(b)
		if err != nil {
			out.NoAnswer = "body: " + err.Error()
		}
		out.Header = resp.Header.Clone()
		if out.Header == nil {
			out.Header = http.Header{}
		}
		_, out.HasDate = out.Header["Date"]
		out.Date = out.Header.Get("Date")
		delete(out.Header, "Date")
		break
	}
	out.Closed, out.Trailing = closedAfter(conn, br, settle)
	return out
}

// closedAfter reports whether the peer closes conn within d, and what it
// sent meanwhile.
func closedAfter(conn net.Conn, br *bufio.Reader, d time.Duration) (bool, string) {
	conn.SetReadDeadline(time.Now().Add(d))
	var extra strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := br.Read(buf)
		extra.Write(buf[:n])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false, extra.String()
			}
			return true, extra.String()
		}
	}
}

// rawExchange sends req on a new connection to addr and reads the answer.
// It returns the answer and the client's address.
// It may run outside the test's goroutine.
func rawExchange(t testing.TB, addr, req, method string, settle time.Duration) (rawResponse, string) {
	t.Helper()
	return rawExchangeWait(t, addr, req, method, waitTimeout, settle)
}

// rawExchangeWait is rawExchange waiting up to wait (0: waitTimeout) for the
// response.
func rawExchangeWait(t testing.TB, addr, req, method string, wait, settle time.Duration) (rawResponse, string) {
	t.Helper()
	if wait <= 0 {
		wait = waitTimeout
	}
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		return rawResponse{NoAnswer: "dial: " + err.Error()}, ""
	}
	keep(t, c)
	if _, err := io.WriteString(c, req); err != nil {
		t.Errorf("write: %v", err)
	}
	return readRawWait(c, bufio.NewReader(c), method, wait, settle), c.LocalAddr().String()
}

// isClosed reports whether err says the connection was closed or reset (as
// opposed to a timeout).
func isClosed(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, os.ErrClosed) || strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe")
}
