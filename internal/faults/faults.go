// Package faults is a test helper: a fake Lambda Invoke API and a fake HTTP
// backend, in one server, that misbehave on request. The fault is chosen by
// the name called: the function name of
// POST /2015-03-31/functions/{name}/invocations, or the last segment of any
// other path (/fault/{name}). The server counts every attempt per name, so
// a test can check retries exactly, and remembers every name and path it
// was asked for, so a test can check that a refused request reached
// nothing.
//
// It is for tests and benchmarks on 127.0.0.1 only. It checks nothing of
// what it is sent (not even signatures) and must not be used to emulate
// Lambda's behaviour beyond the faults listed here.
package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The faults. Each is the name a test calls (a function name or the last
// path segment); any other name answers OKBody.
const (
	// OK answers 200 with OKBody.
	OK = "ok"
	// Throttle answers 429 TooManyRequestsException with Retry-After:
	// RetryAfter.
	Throttle = "throttle"
	// ThrottleBare answers 429 TooManyRequestsException without
	// Retry-After.
	ThrottleBare = "throttle-bare"
	// Error500, Error502 and Error503 answer that status with a Lambda
	// service error (ServiceException, EC2UnexpectedException,
	// ServiceUnavailableException).
	Error500 = "error-500"
	Error502 = "error-502"
	Error503 = "error-503"
	// ResetBefore resets the connection (TCP RST) before any byte of the
	// reply.
	ResetBefore = "reset-before"
	// ResetDuring sends the status line, headers and part of the body,
	// then resets the connection.
	ResetDuring = "reset-during"
	// Slow answers OKBody after the server's SlowDelay (longer than the
	// test's endpoint timeout), or gives up when the caller goes away.
	Slow = "slow"
	// Hang never answers: it waits until the caller goes away (or the
	// server closes).
	Hang = "hang"
	// Truncate announces a 100-byte body, sends 10 bytes and closes.
	Truncate = "truncate"
	// InvalidJSON answers 200 with a body that is not JSON.
	InvalidJSON = "invalid-json"
	// Huge answers 200 with a JSON object of HugeBytes (7 MB).
	Huge = "huge"
	// Handled and Unhandled report a function error
	// (X-Amz-Function-Error), with an error payload that holds a stack
	// trace; over plain HTTP they answer 500 with that payload.
	Handled   = "handled"
	Unhandled = "unhandled"
)

// All lists every fault, in a stable order.
var All = []string{
	Throttle, ThrottleBare, Error500, Error502, Error503, ResetBefore, ResetDuring,
	Slow, Hang, Truncate, InvalidJSON, Huge, Handled, Unhandled,
}

// Canned replies.
const (
	// OKBody is the result of OK (and of any name that is no fault).
	OKBody = `{"ok":true}`
	// RetryAfter is the Retry-After of Throttle.
	RetryAfter = "7"
	// HugeBytes is the size of Huge's body: above Lambda's 6 MB.
	HugeBytes = 7_000_000
	// InvalidJSONBody is InvalidJSON's body.
	InvalidJSONBody = `{"ok": tru`
	// HandledPayload and UnhandledPayload are the function error payloads.
	HandledPayload   = `{"errorMessage":"order 7 is not valid","errorType":"ValidationError","stackTrace":["at validate (/var/task/index.js:12:9)"]}`
	UnhandledPayload = `{"errorMessage":"Cannot read properties of undefined","errorType":"TypeError","stackTrace":["TypeError: Cannot read properties of undefined","    at handler (/var/task/index.js:3:15)"]}`
)

// Server is a running fault server.
type Server struct {
	// URL is the server's base URL (http://127.0.0.1:port).
	URL string
	// SlowDelay is how long Slow waits before answering (default 5s).
	// Set it before the first request.
	SlowDelay time.Duration
	// ForgetCalls stops the server remembering calls (Calls is then
	// empty), for long runs; attempts are still counted. Set it before
	// the first request.
	ForgetCalls bool

	srv  *httptest.Server
	quit chan struct{}
	once sync.Once

	mu        sync.Mutex
	attempts  map[string]int
	seen      []Call
	inFlight  atomic.Int64
	abandoned atomic.Int64
}

// Call is one request the server got.
type Call struct {
	// Name is the function name (Lambda) or the last path segment (HTTP).
	Name string
	// Path is the raw request path.
	Path string
	// Lambda says whether it was an Invoke call.
	Lambda bool
	// Header is the request's headers.
	Header http.Header
	// Body is the request body.
	Body []byte
}

// Start starts a fault server on 127.0.0.1 (port chosen by the system).
func Start() *Server {
	s := &Server{SlowDelay: 5 * time.Second, quit: make(chan struct{}), attempts: map[string]int{}}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

// Close unblocks the handlers still waiting (Hang, Slow) and stops the
// server; it returns once every handler has returned.
func (s *Server) Close() {
	s.once.Do(func() { close(s.quit) })
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Attempts returns how many requests named name the server got.
func (s *Server) Attempts(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[name]
}

// Calls returns every request so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.seen...)
}

// Reset forgets the counts and calls so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts = map[string]int{}
	s.seen = nil
}

// InFlight returns how many requests are being answered now.
func (s *Server) InFlight() int { return int(s.inFlight.Load()) }

// Abandoned returns how many Slow or Hang requests ended because the caller
// went away before the answer: the caller gave up, as it should.
func (s *Server) Abandoned() int { return int(s.abandoned.Load()) }

// ServeHTTP answers one request with the fault its name selects.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	path := r.URL.EscapedPath()
	name, lambda := invokeName(path)
	if !lambda {
		name = path[strings.LastIndexByte(path, '/')+1:]
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.attempts[name]++
	if !s.ForgetCalls {
		s.seen = append(s.seen, Call{Name: name, Path: path, Lambda: lambda, Header: r.Header.Clone(), Body: body})
	}
	s.mu.Unlock()

	h := w.Header()
	switch name {
	case Throttle, ThrottleBare:
		if name == Throttle {
			h.Set("Retry-After", RetryAfter)
		}
		apiError(w, lambda, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
	case Error500:
		apiError(w, lambda, http.StatusInternalServerError, "ServiceException", "internal failure at 10.0.7.12")
	case Error502:
		apiError(w, lambda, http.StatusBadGateway, "EC2UnexpectedException", "unexpected EC2 error")
	case Error503:
		apiError(w, lambda, http.StatusServiceUnavailable, "ServiceUnavailableException", "service unavailable")
	case ResetBefore:
		reset(w, "")
	case ResetDuring:
		reset(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"partial\":")
	case Slow, Hang:
		var timer <-chan time.Time
		if name == Slow {
			t := time.NewTimer(s.SlowDelay)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-timer:
			ok(w, lambda, []byte(OKBody))
		case <-r.Context().Done():
			s.abandoned.Add(1)
		case <-s.quit:
		}
	case Truncate:
		rc := http.NewResponseController(w)
		conn, buf, err := rc.Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\":tru")
		buf.Flush()
		conn.Close()
	case InvalidJSON:
		ok(w, lambda, []byte(InvalidJSONBody))
	case Huge:
		ok(w, lambda, HugeBody())
	case Handled, Unhandled:
		payload := HandledPayload
		kind := "Handled"
		if name == Unhandled {
			payload, kind = UnhandledPayload, "Unhandled"
		}
		h.Set("Content-Type", "application/json")
		if !lambda {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, payload)
			return
		}
		h.Set("X-Amz-Function-Error", kind)
		h.Set("X-Amzn-Requestid", "11111111-2222-3333-4444-555555555555")
		io.WriteString(w, payload)
	default:
		ok(w, lambda, []byte(OKBody))
	}
}

// invokeName returns the function name of an Invoke path.
func invokeName(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/2015-03-31/functions/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "/invocations")
	return name, ok
}

var hugeBody = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.Grow(HugeBytes)
	b.WriteString(`{"blob":"`)
	b.Write(bytes.Repeat([]byte("x"), HugeBytes-len(`{"blob":""}`)))
	b.WriteString(`"}`)
	return b.Bytes()
})

// HugeBody returns Huge's body (shared: do not modify it).
func HugeBody() []byte { return hugeBody() }

func ok(w http.ResponseWriter, lambda bool, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if lambda {
		h.Set("X-Amz-Executed-Version", "$LATEST")
		h.Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
	}
	w.Write(body)
}

// apiError answers as the Invoke API answers its errors (over plain HTTP,
// the same status and body).
func apiError(w http.ResponseWriter, lambda bool, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if lambda {
		h.Set("X-Amzn-Errortype", code)
		h.Set("X-Amzn-Requestid", "99999999-0000-0000-0000-000000000000")
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Type": "Service", "message": msg})
	w.Write(b)
}

// reset writes prefix (maybe nothing) on the raw connection, then closes it
// with a TCP RST.
func reset(w http.ResponseWriter, prefix string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("faults: hijack: %v", err))
	}
	if prefix != "" {
		buf.WriteString(prefix)
		buf.Flush()
		// Let the caller read the headers first: the reply is cut in its
		// body, not before it.
		time.Sleep(50 * time.Millisecond)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
