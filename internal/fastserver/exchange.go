package fastserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// exchange is one request and its response, seen by an http.Handler. It is
// pooled: its Request, URL and header maps are reused, so that a request
// costs the handler only the strings it reads.
type exchange struct {
	req  http.Request
	url  url.URL
	hdr  http.Header
	body bodyReader
	w    responseWriter
	// target is the request target as text (r.RequestURI).
	target string
	// vals backs the one-value slices of the request's header map.
	vals []string
	// names holds the header names the client did not send canonical;
	// the request's context carries it (wirenames.FromContext).
	names wirenames.Names
	// tmpl is the server's request template with names in its context,
	// made again when the server's template (from) changes.
	tmpl http.Request
	from *http.Request
}

func newExchange() *exchange {
	x := &exchange{}
	x.hdr = make(http.Header, 16)
	x.w.header = make(http.Header, 8)
	x.vals = make([]string, 0, 16)
	return x
}

// requestTemplate returns an empty http.Request whose context is base. An
// exchange starts every request from a copy of it: that sets the request's
// context without the allocation of WithContext.
func requestTemplate(base context.Context) http.Request {
	return *new(http.Request).WithContext(base)
}

// fill makes x's Request the http.Request of ctx's request, starting from
// tmpl. It reports false when the request's target cannot be parsed.
func (x *exchange) fill(ctx *fasthttp.RequestCtx, tmpl *http.Request) bool {
	r := &x.req
	hdr := x.hdr
	clear(hdr)
	x.vals = x.vals[:0]
	h := &ctx.Request.Header

	if x.from != tmpl {
		x.from = tmpl
		x.tmpl = *tmpl.WithContext(wirenames.NewContext(tmpl.Context(), &x.names))
	}
	*r = x.tmpl
	// The names as the client spelt them, read before AllInOrder
	// canonicalises them in place.
	x.names.Reset()
	x.names.Record(h.RawHeaders())
	r.Method = methodString(h.Method())
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.Header = hdr
	r.RemoteAddr = remoteAddr(ctx)
	if !h.IsHTTP11() {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	if !x.parseTarget(h.RequestURI()) {
		return false
	}
	r.URL = &x.url
	r.RequestURI = x.target
	// The headers as received: All would give fasthttp's special headers
	// rebuilt (cookies parsed and joined, one User-Agent or Content-Type,
	// a Content-Length or Connection the client did not send).
	for k, v := range h.AllInOrder() {
		name := headerName(k)
		if name == "Host" {
			continue
		}
		if vs, ok := r.Header[name]; ok {
			r.Header[name] = append(vs, string(v))
			continue
		}
		i := len(x.vals)
		x.vals = append(x.vals, string(v))
		r.Header[name] = x.vals[i : i+1 : i+1]
	}
	r.Host = hostString(ctx, h.Host())
	if x.url.Host != "" {
		r.Host = x.url.Host
	}
	if te := r.Header["Transfer-Encoding"]; len(te) > 0 {
		// net/http moves it out of the header map, and drops a
		// Content-Length next to it; the body is whole by now, so its
		// length is known.
		delete(r.Header, "Transfer-Encoding")
		delete(r.Header, "Content-Length")
	}
	r.Close = requestClose(r.ProtoMinor, r.Header["Connection"])
	if b := ctx.Request.Body(); len(b) > 0 {
		x.body.Reset(b)
		r.Body = &x.body
		r.ContentLength = int64(len(b))
	} else {
		r.Body = http.NoBody
	}
	return true
}

// requestClose is net/http's Request.Close of an HTTP/1.x request.
func requestClose(minor int, conn []string) bool {
	hasClose := hasToken(conn, "close")
	if minor == 0 {
		return hasClose || !hasToken(conn, "keep-alive")
	}
	return hasClose
}

func hasToken(vs []string, token string) bool {
	for _, v := range vs {
		for len(v) > 0 {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if asciiEqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// parseTarget fills x.url from the request target. Origin-form targets made
// only of characters that need no decoding take a short path that copies the
// path and the query once; anything else goes through url.ParseRequestURI,
// as net/http does.
func (x *exchange) parseTarget(uri []byte) bool {
	x.url = url.URL{}
	if len(uri) > 0 && uri[0] == '/' {
		path, query, hasQuery := bytes.Cut(uri, []byte{'?'})
		if plainPath(path) && !hasCTL(query) {
			// One string holds the target; the path and the query are
			// slices of it.
			x.target = string(uri)
			x.url.Path = x.target[:len(path)]
			if hasQuery {
				x.url.RawQuery = x.target[len(path)+1:]
				x.url.ForceQuery = len(query) == 0
			}
			return true
		}
	}
	x.target = string(uri)
	u, err := url.ParseRequestURI(x.target)
	if err != nil {
		return false
	}
	x.url = *u
	return true
}

// plainPath reports whether p holds only characters that stand for
// themselves in a path (RFC 3986 unreserved, sub-delims, ':', '@' and '/').
func plainPath(p []byte) bool {
	for _, c := range p {
		if !pathChar[c] {
			return false
		}
	}
	return true
}

func hasCTL(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

var pathChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	// Not the sub-delims ! ' ( ) *: net/url escapes them in a path, so
	// a path holding them keeps its RawPath.
	for _, c := range "-._~$&+,;=:@/" {
		t[c] = true
	}
	return t
}()

// methodString returns the method's name, without allocating for the
// methods an HTTP/1.1 gateway sees every day.
func methodString(m []byte) string {
	switch string(m) {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodHead:
		return http.MethodHead
	case http.MethodOptions:
		return http.MethodOptions
	}
	return string(m)
}

// headerName returns the header's canonical name: fasthttp has already
// normalized it the way net/http does; common names are interned.
func headerName(k []byte) string {
	if s, ok := commonHeaders[string(k)]; ok {
		return s
	}
	return http.CanonicalHeaderKey(string(k))
}

var commonHeaders = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Length", "Content-Type", "Cookie", "Host", "If-Modified-Since",
		"If-None-Match", "Origin", "Referer", "Traceparent", "Tracestate", "Baggage",
		"Transfer-Encoding", "User-Agent", "X-Amzn-Trace-Id", "X-Api-Key", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id", "Expect",
	} {
		m[k] = k
	}
	return m
}()

// remoteAddr returns the client's address as net/http writes it (ip:port,
// IPv6 in brackets): once per connection, kept by its lingerConn.
func remoteAddr(ctx *fasthttp.RequestCtx) string {
	lc, ok := ctx.Conn().(*lingerConn)
	if !ok {
		return formatAddr(ctx.RemoteAddr())
	}
	if lc.remote == "" {
		lc.remote = formatAddr(lc.RemoteAddr())
	}
	return lc.remote
}

// hostString returns the Host header as a string: the connection's last
// one when it is the same (clients send the same Host on a connection).
func hostString(ctx *fasthttp.RequestCtx, host []byte) string {
	lc, ok := ctx.Conn().(*lingerConn)
	if !ok {
		return string(host)
	}
	if lc.host != string(host) {
		lc.host = string(host)
	}
	return lc.host
}

// formatAddr writes a TCP address as net/http does, with one allocation
// for IPv4.
func formatAddr(addr net.Addr) string {
	a, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip4 := a.IP.To4()
	if ip4 == nil {
		return a.String()
	}
	var buf [21]byte
	b := buf[:0]
	for i, octet := range ip4 {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(octet), 10)
	}
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(a.Port), 10)
	return string(b)
}

// bodyReader is a request body already in memory.
type bodyReader struct{ bytes.Reader }

// Close does nothing: the body belongs to the fasthttp request.
func (*bodyReader) Close() error { return nil }

var _ io.ReadCloser = (*bodyReader)(nil)

// responseWriter is the http.ResponseWriter of an exchange. Like net/http's,
// it takes the header map as it stands at the first WriteHeader or Write.
type responseWriter struct {
	ctx     *fasthttp.RequestCtx
	header  http.Header
	status  int
	written bool
	sniff   bool
	// stream is set by the first Flush: the response goes out on the
	// connection as it is written (see Flush), no longer through fasthttp.
	stream *streamOut
	// writeTimeout is the server's WriteTimeout, for streamed responses.
	writeTimeout time.Duration
}

func (w *responseWriter) reset(ctx *fasthttp.RequestCtx) {
	clear(w.header)
	w.ctx, w.status, w.written, w.sniff, w.stream = ctx, 0, false, false, nil
}

// Header returns the response's header map.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader sends the status and the header map. Informational statuses
// are not relayed; a second call is ignored, as in net/http.
func (w *responseWriter) WriteHeader(code int) {
	if w.written {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 {
		return
	}
	w.written, w.status = true, code
	resp := &w.ctx.Response
	resp.SetStatusCode(code)
	// Keys go out as the handler wrote them, as with net/http (whose
	// Header methods canonicalize).
	resp.Header.DisableNormalizing()
	_, haveType := w.header["Content-Type"]
	_, hasTE := w.header["Transfer-Encoding"]
	w.sniff = !haveType && !hasTE && w.header.Get("Content-Encoding") == "" && bodyAllowed(code)
	for k, vs := range w.header {
		switch k {
		case "Content-Length":
			// fasthttp frames the body itself; a HEAD response keeps
			// the handler's length.
			if len(vs) > 0 && bodyAllowed(code) {
				if n, err := strconv.Atoi(strings.TrimSpace(vs[0])); err == nil && n >= 0 {
					resp.Header.SetContentLength(n)
				}
			}
			continue
		case "Transfer-Encoding":
			continue
		case "Connection":
			for _, v := range vs {
				if asciiEqualFold(v, "close") {
					w.ctx.SetConnectionClose()
				}
			}
			continue
		case "Content-Type":
			if len(vs) > 0 && code != http.StatusNotModified {
				resp.Header.SetContentType(vs[0])
			}
			continue
		}
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
}

// Write appends b to the response body (or, once flushed, sends it).
func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	if len(b) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.stream != nil {
		return w.stream.write(b)
	}
	w.ctx.Response.AppendBody(b)
	return len(b), nil
}

// WriteString appends s to the response body.
func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.written || !bodyAllowed(w.status) || w.stream != nil {
		return w.Write([]byte(s))
	}
	w.ctx.Response.AppendBodyString(s)
	return len(s), nil
}

// FlushError sends what the response holds so far, and makes the response
// a stream: its status and headers go out at once, with chunked transfer
// (or the handler's Content-Length), and every later Write goes out on the
// connection with the next Flush. A streamed response closes its
// connection when it ends (fasthttp is not told of the bytes sent), and
// one cut by a panic (http.ErrAbortHandler) ends without its last chunk,
// as net/http's does. The error is the connection's: the client gone.
func (w *responseWriter) FlushError() error {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	if w.stream == nil {
		if err := w.startStream(); err != nil {
			return err
		}
	}
	return w.stream.flush()
}

// Flush is FlushError without its error (http.Flusher).
func (w *responseWriter) Flush() { _ = w.FlushError() }

// startStream writes the status line and headers on the connection, and
// what the body holds so far.
func (w *responseWriter) startStream() error {
	ctx := w.ctx
	resp := &ctx.Response
	if w.sniff {
		if b := resp.Body(); len(b) > 0 {
			resp.Header.SetContentType(http.DetectContentType(b))
		}
		w.sniff = false
	}
	head := ctx.IsHead() || !bodyAllowed(w.status)
	// The handler's Content-Length frames the body when it gave one.
	chunked := !head && len(w.header["Content-Length"]) == 0
	if chunked {
		resp.Header.SetContentLength(-1)
	}
	resp.Header.SetConnectionClose()
	conn := ctx.Conn()
	if w.writeTimeout > 0 {
		_ = conn.SetWriteDeadline(time.Now().Add(w.writeTimeout))
	}
	st := &streamOut{conn: conn, chunked: chunked, head: head}
	w.stream = st
	// fasthttp writes nothing more on this connection, and closes it once
	// the handler is done.
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(net.Conn) {})
	// The status line and headers go out with the first bytes of the body
	// (or the next flush).
	st.pending = append(st.pending, resp.Header.Header()...)
	if b := resp.Body(); len(b) > 0 {
		if _, err := st.write(b); err != nil {
			return err
		}
		resp.ResetBody()
	}
	return nil
}

// streamOut is a streamed response's writer on the connection: each write
// goes out at once, in one writev (the chunk's size line, the bytes and
// the CRLF), with no copy.
type streamOut struct {
	conn    net.Conn
	pending []byte // the header block, until the first write
	chunked bool
	head    bool // no body goes out
	err     error
	bufs    net.Buffers
	size    [24]byte
}

func (s *streamOut) write(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.head {
		return len(b), nil
	}
	s.bufs = s.bufs[:0]
	if len(s.pending) > 0 {
		s.bufs = append(s.bufs, s.pending)
	}
	if s.chunked {
		line := strconv.AppendInt(s.size[:0], int64(len(b)), 16)
		line = append(line, '\r', '\n')
		s.bufs = append(s.bufs, line, b, chunkEnd)
	} else {
		s.bufs = append(s.bufs, b)
	}
	if _, err := s.bufs.WriteTo(s.conn); err != nil {
		s.err = err
		return 0, err
	}
	s.pending = nil
	return len(b), nil
}

var chunkEnd = []byte("\r\n")

// flush sends the header block when nothing did yet; writes are not
// buffered.
func (s *streamOut) flush() error {
	if s.err != nil || len(s.pending) == 0 {
		return s.err
	}
	if _, err := s.conn.Write(s.pending); err != nil {
		s.err = err
		return err
	}
	s.pending = nil
	return nil
}

// end writes the last chunk of a response that completed.
func (s *streamOut) end() {
	if s.chunked && !s.head && s.err == nil {
		s.pending = append(s.pending, "0\r\n\r\n"...)
	}
	_ = s.flush()
}

// finish completes a response: the status of a handler that wrote
// nothing, the sniffed type of an untyped body (net/http sniffs what the
// handler wrote first); a streamed one, its last chunk.
func (w *responseWriter) finish() {
	if w.stream != nil {
		w.stream.end()
		return
	}
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	if w.sniff {
		if b := w.ctx.Response.Body(); len(b) > 0 {
			w.ctx.Response.Header.SetContentType(http.DetectContentType(b))
		}
	}
}

func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && (status < 100 || status > 199)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
