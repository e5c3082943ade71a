// Package fakelambda is the fake Lambda Invoke API of lambdagate's tests and
// benchmarks, which also answers as a plain HTTP backend. What it answers
// depends on the name called: the function name of an Invoke request (POST
// at lambdaapi.EscapedInvokePath), or the last path segment of any other
// request (/fault/{name}), answered as an HTTP backend would:
//
//   - "size-N" answers a JSON object of about N bytes, Echo the payload
//     it was sent, and AllowAll an authorizer's IAM policy allowing every
//     method ARN;
//   - each fault (Throttle, Error500, ResetBefore, Slow, Hang, Huge, ...:
//     see All) misbehaves as its name says;
//   - any other name answers the server's default result.
//
// It runs in one of two ways:
//
//   - New is a bare http.Handler for load benchmarks, served by the
//     caller. It only counts Invoke calls and new connections (Stats), so
//     that it costs the least per request.
//   - Start and StartFunc serve it on 127.0.0.1 for tests, and also count
//     the attempts per name and remember every request (Calls), so that a
//     test can check retries exactly, and that a refused request reached
//     nothing. StartFunc answers every Invoke call with the test's own
//     Reply instead.
//
// It checks nothing of what it is sent (not even signatures), and must not
// be used to emulate Lambda beyond what is listed here.
package fakelambda

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// Echo is the function (or path segment) that answers the payload it was
// sent ({} for none).
const Echo = "echo"

// AllowAll is the function that answers as a Lambda authorizer allowing
// everything: an IAM policy with Allow on every resource.
const AllowAll = "allow-all"

// allowAllPolicy is AllowAll's answer.
var allowAllPolicy = []byte(`{"principalId":"fake","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"user":"fake"}}`)

// sizePrefix starts the names that answer a JSON object of the size that
// follows: size-100.
const sizePrefix = "size-"

// StatsPath is the path at which the server answers its Stats as JSON.
const StatsPath = "/stats"

// Server is a fake Invoke API and HTTP backend.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port) of a server started by
	// Start or StartFunc; "" for New.
	URL string
	// SlowDelay is how long Slow waits before answering (default 5s).
	// Set it before the first request.
	SlowDelay time.Duration
	// ForgetCalls stops the server remembering calls (Calls is then
	// empty), for long runs; attempts are still counted. Set it before
	// the first request.
	ForgetCalls bool

	result  []byte // the default result
	record  bool   // count attempts and remember calls (Start, StartFunc)
	reply   Reply  // answers every Invoke call, when set
	srv     *httptest.Server
	quit    chan struct{}
	once    sync.Once
	results sync.Map // size → []byte
	bufPool sync.Pool

	reqs, conns         atomic.Int64
	inFlight, abandoned atomic.Int64

	mu       sync.Mutex
	attempts map[string]int
	seen     []Call
}

// Call is one request a server started by Start or StartFunc got.
type Call struct {
	// Name is the function name (Invoke, unescaped) or the last path
	// segment (HTTP).
	Name string
	// Path is the escaped request path.
	Path string
	// Query is the raw query.
	Query string
	// Lambda says whether it was an Invoke call (or an
	// InvokeWithResponseStream call, then Stream is set too).
	Lambda bool
	// Stream says it was an InvokeWithResponseStream call: a Reply
	// answers it with a lambdaapi.StreamWriter.
	Stream bool
	// Header is the request's headers.
	Header http.Header
	// Body is the request body.
	Body []byte
}

// Reply answers one Invoke call of a server started by StartFunc; attempt
// counts the Invoke calls so far, this one included (1 for the first).
type Reply func(w http.ResponseWriter, c Call, attempt int)

// Stats is what a server counted.
type Stats struct {
	// Requests is the number of Invoke calls served.
	Requests int64 `json:"requests"`
	// Connections is the number of connections accepted.
	Connections int64 `json:"connections"`
}

// New returns a Server for the caller to serve, whose default result is a
// JSON object of about defaultBytes bytes. Set its ConnState as the
// http.Server's to count connections.
func New(defaultBytes int) *Server {
	return &Server{result: Result(defaultBytes), SlowDelay: 5 * time.Second, quit: make(chan struct{})}
}

// Start starts a recording Server on 127.0.0.1 (port chosen by the
// system), whose default result is OKBody.
func Start() *Server { return start(nil) }

// StartFunc starts a recording Server on 127.0.0.1 that answers every
// Invoke call with reply; other requests are answered by name, as Start's.
func StartFunc(reply Reply) *Server { return start(reply) }

func start(reply Reply) *Server {
	s := New(0)
	s.result, s.record, s.reply, s.attempts = []byte(OKBody), true, reply, map[string]int{}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ConnState = s.ConnState
	s.srv.Start()
	s.URL = s.srv.URL
	return s
}

// Close unblocks the handlers still waiting (Hang, Slow) and, for a server
// Start or StartFunc started, stops it; it returns once every handler has
// returned.
func (s *Server) Close() {
	s.once.Do(func() { close(s.quit) })
	if s.srv != nil {
		s.srv.CloseClientConnections()
		s.srv.Close()
	}
}

// ConnState counts new connections: the http.Server's ConnState.
func (s *Server) ConnState(_ net.Conn, st http.ConnState) {
	if st == http.StateNew {
		s.conns.Add(1)
	}
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.reqs.Load(), Connections: s.conns.Load()}
}

// Attempts returns how many requests named name the server got (Start and
// StartFunc only).
func (s *Server) Attempts(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[name]
}

// Calls returns every request so far, in arrival order (Start and
// StartFunc only).
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.seen...)
}

// Reset forgets the attempts and calls so far; Stats counts on.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts = map[string]int{}
	s.seen = nil
}

// InFlight returns how many requests are being answered now (Start and
// StartFunc only).
func (s *Server) InFlight() int { return int(s.inFlight.Load()) }

// Abandoned returns how many Slow or Hang requests ended because the caller
// went away before the answer: the caller gave up, as it should.
func (s *Server) Abandoned() int { return int(s.abandoned.Load()) }

// ServeHTTP answers one request as its name says, and GET StatsPath with
// the Stats.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if path == StatsPath {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
		return
	}
	name, lambda := lambdaapi.FunctionFromPath(path)
	stream := false
	if !lambda {
		name, stream = lambdaapi.FunctionFromStreamPath(path)
		lambda = stream
	}
	lambda = lambda && r.Method == http.MethodPost
	if !lambda {
		name = path[strings.LastIndexByte(path, '/')+1:]
	}
	var attempt int64
	if lambda {
		attempt = s.reqs.Add(1)
	}
	if !s.record {
		s.answer(w, r, name, lambda, nil)
		return
	}
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	body, _ := io.ReadAll(r.Body)
	c := Call{Name: name, Path: path, Query: r.URL.RawQuery, Lambda: lambda, Stream: stream, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.attempts[name]++
	if !s.ForgetCalls {
		s.seen = append(s.seen, c)
	}
	s.mu.Unlock()
	if lambda && s.reply != nil {
		s.reply(w, c, int(attempt))
		return
	}
	s.answer(w, r, name, lambda, body)
}

// answer answers the request named name; body is the request body when it
// has been read, nil when not.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, name string, lambda bool, body []byte) {
	if s.fault(w, r, name, lambda) {
		return
	}
	if name == Echo {
		if body == nil {
			buf, _ := s.bufPool.Get().(*bytes.Buffer)
			if buf == nil {
				buf = new(bytes.Buffer)
			}
			buf.Reset()
			_, _ = buf.ReadFrom(r.Body)
			defer s.bufPool.Put(buf)
			body = buf.Bytes()
		}
		if len(body) == 0 {
			body = []byte("{}")
		}
		writeOK(w, lambda, body)
		return
	}
	if body == nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	if name == AllowAll {
		writeOK(w, lambda, allowAllPolicy)
		return
	}
	writeOK(w, lambda, s.resultFor(name))
}

// resultFor returns the result of a name that is no fault.
func (s *Server) resultFor(name string) []byte {
	n, found := strings.CutPrefix(name, sizePrefix)
	if !found {
		return s.result
	}
	if r, found := s.results.Load(n); found {
		return r.([]byte)
	}
	size, err := strconv.Atoi(n)
	if err != nil || size < 0 || size > lambdaapi.MaxSyncPayload {
		return s.result
	}
	r, _ := s.results.LoadOrStore(n, Result(size))
	return r.([]byte)
}

// Result builds a JSON object of about n bytes (at least {"message":""}).
func Result(n int) []byte {
	const head, tail = `{"message":"`, `"}`
	fill := max(n-len(head)-len(tail), 0)
	return []byte(head + strings.Repeat("x", fill) + tail)
}

// okRequestID is the AWS request id of every successful invocation.
const okRequestID = "00000000-0000-0000-0000-000000000000"

// writeOK answers 200 with body, as a successful invocation when lambda.
func writeOK(w http.ResponseWriter, lambda bool, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if lambda {
		h.Set(lambdaapi.HeaderExecutedVersion, lambdaapi.LatestVersion)
		h.Set(lambdaapi.HeaderRequestID, okRequestID)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
