// Package fakelambda is a fast stand-in for the Lambda Invoke API, for load
// benchmarks: a function named "size-N" answers a JSON object of about N
// bytes, "echo" answers the payload it was sent, and any other name answers
// the default result. It counts requests and
// new connections, so a benchmark can check that a client keeps its
// connections alive. It uses the standard library only, and checks nothing
// (not even signatures): it measures clients, it does not emulate Lambda.
package fakelambda

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Server is the fake Invoke API.
type Server struct {
	result  []byte
	results sync.Map // size → []byte
	reqs    atomic.Int64
	conns   atomic.Int64
	bufPool sync.Pool
}

// New returns a Server whose default result is a JSON object of about
// defaultBytes bytes.
func New(defaultBytes int) *Server {
	return &Server{result: Result(defaultBytes)}
}

// resultFor returns the result of a function name.
func (s *Server) resultFor(name string) []byte {
	n, ok := strings.CutPrefix(name, "size-")
	if !ok {
		return s.result
	}
	if r, ok := s.results.Load(n); ok {
		return r.([]byte)
	}
	size, err := strconv.Atoi(n)
	if err != nil || size < 0 || size > 6<<20 {
		return s.result
	}
	r, _ := s.results.LoadOrStore(n, Result(size))
	return r.([]byte)
}

// Result builds a JSON object of about n bytes (at least {"message":""}).
func Result(n int) []byte {
	const head, tail = `{"message":"`, `"}`
	fill := n - len(head) - len(tail)
	if fill < 0 {
		fill = 0
	}
	return []byte(head + strings.Repeat("x", fill) + tail)
}

// Stats is what the server counted.
type Stats struct {
	// Requests is the number of invocations served.
	Requests int64 `json:"requests"`
	// Connections is the number of connections accepted.
	Connections int64 `json:"connections"`
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.reqs.Load(), Connections: s.conns.Load()}
}

// ConnState counts new connections; set it as the http.Server's ConnState.
func (s *Server) ConnState(_ net.Conn, st http.ConnState) {
	if st == http.StateNew {
		s.conns.Add(1)
	}
}

// ServeHTTP answers POST /2015-03-31/functions/{name}/invocations, and
// GET /stats with the counts.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/stats" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Stats())
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(rest, "/invocations")
	if r.Method != http.MethodPost || !ok || !ok2 {
		w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"Type":"User","Message":"unknown operation"}`)
		return
	}
	s.reqs.Add(1)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	h.Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
	if name != "echo" {
		io.Copy(io.Discard, r.Body)
		res := s.resultFor(name)
		h.Set("Content-Length", strconv.Itoa(len(res)))
		w.Write(res)
		return
	}
	buf, _ := s.bufPool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	buf.ReadFrom(r.Body)
	if buf.Len() == 0 {
		buf.WriteString("{}")
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
	s.bufPool.Put(buf)
}
