// Package fastserver serves an http.Handler over plain HTTP/1.1 with
// fasthttp's server, for the gateway's hot path.
//
// net/http's server spends, per request, a background read goroutine (to
// notice a client going away), a cancelable context and fresh request and
// header values; on a two-core machine that is a quarter of what the
// gateway can spend on a call. This package reads requests with fasthttp
// (a pooled connection loop, no per-request goroutine) and hands the
// handler a pooled http.Request and a ResponseWriter over fasthttp's
// response, so the router, endpoints, telemetry and panic recovery stay
// plain net/http code, shared with the net/http server that keeps serving
// TLS and HTTP/2.
//
// What a handler or client sees differently from net/http's server (each
// is pinned by a test: the differential tests serve the same handler with
// both servers and compare what the handler saw and what the client got):
//   - a request's context is the server's: it is not canceled when the
//     client goes away or the handler returns, only by Close (the
//     endpoint's timeout still bounds a request's work); its
//     http.LocalAddrContextKey is the listener's address;
//   - a request body is read whole before the handler runs (up to
//     Config.MaxBodyBytes or its route's limit, see Config.Route), so a
//     chunked body arrives with its real ContentLength, and trailers are
//     not offered;
//   - with Config.Route, a request's Pattern is its route's name;
//   - a header block must fit in one read buffer of Config.MaxHeaderBytes;
//   - a response is buffered whole and sent with a Content-Length, until
//     the handler flushes (http.Flusher, http.ResponseController): the
//     response then goes out as it is written, chunked, and its connection
//     closes when it ends; a client gone is noticed at the next write (the
//     request's context is not canceled). http.Hijacker and 1xx responses
//     are not offered, and fasthttp writes the Date header itself;
//   - a panic that reaches the server gets an empty 500 and a closed
//     connection;
//   - a body stalled past ReadTimeout gets 408; request lines that end in
//     a bare LF are not read (the connection waits for a timeout), and
//     "HTTP/1.2" is read as HTTP/1.0.
package fastserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/lambdagate/lambdagate/internal/linger"
)

// Config holds the server's limits, with net/http's meanings.
type Config struct {
	// ReadTimeout bounds reading a whole request (0: none).
	ReadTimeout time.Duration
	// ReadHeaderTimeout bounds reading a request's headers (0: ReadTimeout).
	ReadHeaderTimeout time.Duration
	// WriteTimeout bounds writing a response (0: none).
	WriteTimeout time.Duration
	// IdleTimeout bounds the wait for a keep-alive connection's next
	// request (0: ReadTimeout).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block, request line
	// included; it is also each connection's read buffer.
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	MaxBodyBytes int64
	// Route, when set, routes each request as soon as its headers are
	// in, from its method and escaped path (without the query). It returns
	// the name of the route, which the handler finds as the request's
	// Pattern, so that it need not route the request again, and the
	// route's body limit (0: MaxBodyBytes), so that a body above it is
	// refused before it is read. A request whose path holds characters
	// that stand for others (%XX) gets no Pattern: its handler routes it
	// from its URL.
	Route func(method, path []byte) (name string, bodyLimit int64)
	// Logger receives the errors the server cannot answer.
	Logger *slog.Logger
	// Linger bounds the lingering close of a connection the server closes
	// (internal/linger; zero: linger.Default).
	Linger linger.Bounds
}

// Server serves an http.Handler over HTTP/1.1 with fasthttp.
type Server struct {
	srv     *fasthttp.Server
	linger  linger.Bounds
	handler http.Handler
	logger  *slog.Logger
	// writeTimeout bounds a streamed response (Config.WriteTimeout).
	writeTimeout time.Duration
	base         context.Context
	// tmpl is the request every exchange starts from: its context is
	// base with the listener's address (http.LocalAddrContextKey).
	tmpl    atomic.Pointer[http.Request]
	cancel  context.CancelFunc
	pool    sync.Pool
	connsMu sync.Mutex
	conns   map[net.Conn]struct{}
	lnMu    sync.Mutex
	closed  bool
	lns     []*lingerListener
	// routed carries Config.Route's names from the header hook to serve,
	// when Config.Route is set.
	routed *handoff
}

// New returns a server for h.
func New(h http.Handler, c Config) *Server {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	base, cancel := context.WithCancel(context.Background())
	if c.Linger == (linger.Bounds{}) {
		c.Linger = linger.Default
	}
	s := &Server{
		linger:       c.Linger,
		handler:      h,
		logger:       c.Logger,
		writeTimeout: c.WriteTimeout,
		base:         base,
		cancel:       cancel,
		conns:        map[net.Conn]struct{}{},
	}
	s.setTemplate(nil)
	s.pool.New = func() any { return newExchange() }
	s.srv = &fasthttp.Server{
		Handler:                       s.serve,
		ErrorHandler:                  s.readError,
		ReadBufferSize:                c.MaxHeaderBytes,
		MaxRequestBodySize:            bodyLimit(c.MaxBodyBytes),
		WriteTimeout:                  c.WriteTimeout,
		IdleTimeout:                   c.IdleTimeout,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: false,
		CloseOnShutdown:               true,
		Logger:                        discardLogger{},
		ConnState:                     s.track,
	}
	// net/http's rules: the headers are read under ReadHeaderTimeout (or
	// ReadTimeout), the whole request under ReadTimeout, and an idle
	// connection waits IdleTimeout (or ReadTimeout).
	first := c.ReadHeaderTimeout
	if first <= 0 {
		first = c.ReadTimeout
	}
	s.srv.ReadTimeout = first
	if c.IdleTimeout <= 0 {
		s.srv.IdleTimeout = c.ReadTimeout
		if c.ReadTimeout <= 0 && first > 0 {
			// fasthttp would fall back on its ReadTimeout, which is
			// ReadHeaderTimeout here; net/http has no idle bound then.
			s.srv.IdleTimeout = 100 * 365 * 24 * time.Hour
		}
	}
	var bodyTimeout time.Duration
	if c.ReadHeaderTimeout > 0 && c.ReadTimeout != c.ReadHeaderTimeout {
		// The body gets ReadTimeout once the headers are in; without a
		// ReadTimeout, no bound at all (a far deadline).
		bodyTimeout = c.ReadTimeout
		if bodyTimeout <= 0 {
			bodyTimeout = 100 * 365 * 24 * time.Hour
		}
	}
	if c.Route != nil {
		s.routed = newHandoff()
	}
	if bodyTimeout > 0 || c.Route != nil {
		route := c.Route
		s.srv.HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			rc := fasthttp.RequestConfig{ReadTimeout: bodyTimeout}
			if route != nil {
				path, _, _ := bytes.Cut(originPath(h.RequestURI()), []byte{'?'})
				name, limit := route(h.Method(), path)
				rc.MaxRequestBodySize = bodyLimit(limit)
				if rc.MaxRequestBodySize == maxInt {
					rc.MaxRequestBodySize = 0 // the server's
				}
				if !plainPath(path) {
					// The handler's URL.EscapedPath may differ from
					// path: it routes the request itself.
					name = ""
				}
				s.routed.put(h, name)
			}
			return rc
		}
	}
	return s
}

const maxInt = int(^uint(0) >> 1)

// bodyLimit converts the body bound to fasthttp's int, which is at least as
// wide as 32 bits.
func bodyLimit(n int64) int {
	if n <= 0 || n > int64(maxInt) {
		return maxInt
	}
	return int(n)
}

// Serve accepts connections on ln until Shutdown or Close. It returns
// http.ErrServerClosed after either, like net/http.
func (s *Server) Serve(ln net.Listener) error {
	l := &lingerListener{Listener: ln, bounds: s.linger}
	s.lnMu.Lock()
	if s.closed {
		s.lnMu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.lns = append(s.lns, l)
	s.setTemplate(ln.Addr())
	s.lnMu.Unlock()
	err := s.srv.Serve(l)
	s.connsMu.Lock()
	closed := s.conns == nil
	s.connsMu.Unlock()
	if err == nil || closed || errors.Is(err, net.ErrClosed) {
		return http.ErrServerClosed
	}
	return err
}

// setTemplate sets the request template, with addr as the requests' local
// address when it is not nil.
func (s *Server) setTemplate(addr net.Addr) {
	ctx := s.base
	if addr != nil {
		ctx = context.WithValue(ctx, http.LocalAddrContextKey, addr)
	}
	r := requestTemplate(ctx)
	s.tmpl.Store(&r)
}

// Shutdown stops accepting, closes idle connections, and waits for the
// requests in flight to be answered or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	return s.srv.ShutdownWithContext(ctx)
}

// closeListeners stops Serve, now and for good.
func (s *Server) closeListeners() {
	s.lnMu.Lock()
	s.closed = true
	lns := s.lns
	s.lns = nil
	s.lnMu.Unlock()
	for _, l := range lns {
		l.Close()
	}
}

// originPath returns the path and query of an absolute-form target.
func originPath(uri []byte) []byte {
	if len(uri) == 0 || uri[0] == '/' {
		return uri
	}
	if i := bytes.Index(uri, []byte("://")); i >= 0 {
		rest := uri[i+3:]
		if j := bytes.IndexAny(rest, "/?"); j >= 0 {
			return rest[j:]
		}
		return []byte{'/'}
	}
	return uri
}

// Close closes every connection, cutting the requests in flight, and
// cancels their contexts.
func (s *Server) Close() error {
	s.closeListeners()
	s.cancel()
	s.connsMu.Lock()
	conns := s.conns
	s.conns = nil
	s.connsMu.Unlock()
	for c := range conns {
		if lc, ok := c.(*lingerConn); ok {
			lc.TCPConn.Close()
			continue
		}
		c.Close()
	}
	return nil
}

// track keeps the open connections, for Close.
func (s *Server) track(c net.Conn, state fasthttp.ConnState) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	switch state {
	case fasthttp.StateNew:
		if s.conns == nil {
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		delete(s.conns, c)
	}
	if lc, ok := c.(*lingerConn); ok {
		// A connection closed between requests (idle timeout, Shutdown)
		// has nothing to linger for, and fasthttp's reader waits on it.
		lc.SetIdle(state == fasthttp.StateIdle)
	}
}

// serve runs the handler on one request.
func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	var route string
	if s.routed != nil {
		route = s.routed.take(&ctx.Request.Header)
	}
	if p := ctx.Request.Header.Protocol(); len(p) < 7 || string(p[:7]) != "HTTP/1." {
		// net/http's answer to a request line of another major version.
		ctx.SetConnectionClose()
		ctx.Error("505 HTTP Version Not Supported", http.StatusHTTPVersionNotSupported)
		return
	}
	x := s.pool.Get().(*exchange)
	defer s.release(x)
	if !x.fill(ctx, s.tmpl.Load()) {
		ctx.SetConnectionClose()
		ctx.Error("400 Bad Request: the request target is not a valid URI", http.StatusBadRequest)
		return
	}
	if x.req.RequestURI == "*" && x.req.Method == http.MethodOptions {
		// net/http answers OPTIONS * itself.
		ctx.Response.Header.SetContentLength(0)
		return
	}
	x.req.Pattern = route
	x.w.reset(ctx)
	x.w.writeTimeout = s.writeTimeout
	defer func() {
		if v := recover(); v != nil {
			// The gateway's own recovery answers panics; one that gets
			// here (http.ErrAbortHandler, or a handler without it) gets
			// an empty 500 and a closed connection (net/http, which may
			// have sent part of the response, cuts it without one).
			if v != http.ErrAbortHandler {
				s.logger.Error("panic serving a request", "method", x.req.Method, "path", x.req.URL.Path, "panic", fmt.Sprint(v))
			}
			if x.w.stream != nil {
				// Part of a streamed response went out: the connection
				// closes without its last chunk, so the client can tell.
				_ = x.w.stream.flush()
				return
			}
			ctx.Response.Reset()
			ctx.SetStatusCode(http.StatusInternalServerError)
			ctx.SetConnectionClose()
		}
	}()
	s.handler.ServeHTTP(&x.w, &x.req)
	x.w.finish()
}

func (s *Server) release(x *exchange) {
	x.w.ctx = nil
	x.body.Reset(nil)
	x.req.Body = nil
	s.pool.Put(x)
}

// readError answers a request that could not be read, with net/http's
// statuses: 431 for a header block above MaxHeaderBytes, 413 for a body
// above MaxBodyBytes, 408 for a read that timed out, 400 otherwise.
func (s *Server) readError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small):
		ctx.Error("431 Request Header Fields Too Large", http.StatusRequestHeaderFieldsTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		ctx.Error("408 Request Timeout", http.StatusRequestTimeout)
	default:
		ctx.Error("400 Bad Request", http.StatusBadRequest)
	}
}

// discardLogger drops fasthttp's own log lines: the errors it logs are
// connection errors that the access log and the answers already show.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
