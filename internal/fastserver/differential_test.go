package fastserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The differential test serves the same recording handler with net/http's
// server and with fastserver, sends both the same raw request, and compares
// what the handler saw and what the client got. Differences the package
// documents (or that only change the framing) are normalized away case by
// case, with the reason; any other difference fails the case. r.RequestURI,
// the context's values and its cancellation are checked in request_test.go.

// seen is what a handler observed of its request.
type seen struct {
	Called           bool
	Method           string
	Path             string
	RawPath          string
	RawQuery         string
	EscapedPath      string
	ForceQuery       bool
	Scheme           string
	URLHost          string
	Opaque           string
	Host             string
	Proto            string
	ProtoMajor       int
	ProtoMinor       int
	Header           http.Header
	Body             string
	BodyErr          string
	ContentLength    int64
	TransferEncoding []string
	Close            bool
	Trailer          http.Header // after the body is read
	RemoteAddr       string
	CtxLive          bool
	Note             string // what the case's handler reports (e.g. a Write's result)
}

func snapshot(r *http.Request) seen {
	s := seen{
		Called:           true,
		Method:           r.Method,
		Host:             r.Host,
		Proto:            r.Proto,
		ProtoMajor:       r.ProtoMajor,
		ProtoMinor:       r.ProtoMinor,
		Header:           r.Header.Clone(),
		ContentLength:    r.ContentLength,
		TransferEncoding: r.TransferEncoding,
		Close:            r.Close,
		RemoteAddr:       r.RemoteAddr,
	}
	if s.Header == nil {
		s.Header = http.Header{}
	}
	if u := r.URL; u != nil {
		s.Path, s.RawPath, s.RawQuery, s.EscapedPath = u.Path, u.RawPath, u.RawQuery, u.EscapedPath()
		s.ForceQuery, s.Scheme, s.URLHost, s.Opaque = u.ForceQuery, u.Scheme, u.Host, u.Opaque
	}
	ctx := r.Context()
	s.CtxLive = ctx != nil && ctx.Err() == nil
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		s.Body = string(b)
		if err != nil {
			s.BodyErr = err.Error()
		}
	}
	s.Trailer = r.Trailer.Clone()
	return s
}

// recording wraps a case's handler: it snapshots the request (reading its
// body), runs the handler, and delivers the snapshot on ch even if the
// handler panics.
func recording(ch chan<- seen, h func(http.ResponseWriter, *http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := snapshot(r)
		defer func() { ch <- s }()
		if h != nil {
			s.Note = h(w, r)
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "ok")
		}
	})
}

// observation is one server's side of a case.
type observation struct {
	Seen   seen
	Resp   rawResponse
	Client string // the client's address
}

type diffCase struct {
	name   string
	req    string
	method string // for reading the response (HEAD)
	h      func(http.ResponseWriter, *http.Request) string
	cfg    Config
	// accept normalizes the differences this case documents as
	// acceptable; it may also assert fastserver's own behaviour.
	accept func(t *testing.T, std, fast *observation)
	// compareDate compares the responses' Date headers (set by the handler).
	compareDate bool
	// wait bounds the wait for the response (default waitTimeout).
	wait time.Duration
}

const crlf = "\r\n"

func get(target string, headers ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: example.test\r\n" + strings.Join(append(headers, ""), crlf) + crlf
}

// writeNote writes b and reports the result, for the cases that check what
// Write returns.
func writeNote(w http.ResponseWriter, b string) string {
	n, err := w.Write([]byte(b))
	return fmt.Sprintf("write: n=%d err=%v", n, err)
}

// writeStringNote is writeNote through io.WriteString (the writers'
// WriteString methods).
func writeStringNote(w http.ResponseWriter, b string) string {
	n, err := io.WriteString(w, b)
	return fmt.Sprintf("write: n=%d err=%v", n, err)
}

// chunkedRequestOK makes fastserver's whole-body reading acceptable: net/http
// gives ContentLength -1 and TransferEncoding [chunked] for a chunked body,
// fastserver the body's real length and none (the package doc: a body is
// read whole before the handler runs).
func chunkedRequestOK(t *testing.T, std, fast *observation) {
	t.Helper()
	if std.Seen.ContentLength == -1 {
		if fast.Seen.ContentLength != int64(len(fast.Seen.Body)) {
			t.Errorf("fastserver ContentLength = %d, want len(body) = %d", fast.Seen.ContentLength, len(fast.Seen.Body))
		}
		fast.Seen.ContentLength = -1
	}
	if reflect.DeepEqual(std.Seen.TransferEncoding, []string{"chunked"}) && fast.Seen.TransferEncoding == nil {
		fast.Seen.TransferEncoding = std.Seen.TransferEncoding
	}
}

// chunkedResponseOK accepts fastserver's framing of a large response:
// net/http streams it chunked, fastserver (which buffers the whole
// response) sends a Content-Length. The body bytes must match.
func chunkedResponseOK(t *testing.T, std, fast *observation) {
	t.Helper()
	if std.Resp.Chunked && !fast.Resp.Chunked {
		if got := fast.Resp.Header.Get("Content-Length"); got != fmt.Sprint(len(fast.Resp.Body)) {
			t.Errorf("fastserver Content-Length = %q, want %d", got, len(fast.Resp.Body))
		}
		delete(fast.Resp.Header, "Content-Length")
		fast.Resp.Chunked = true
	}
}

func diffCases() []diffCase {
	hello := func(w http.ResponseWriter, r *http.Request) string {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
		return ""
	}
	return []diffCase{
		// The request target.
		{name: "query", req: get("/p?a=1&b=2&a=3")},
		{name: "query-empty-value", req: get("/p?a=&b")},
		{name: "force-query", req: get("/p?")},
		{name: "two-question-marks", req: get("/p??x")},
		{name: "root", req: get("/")},
		{name: "pct-slash", req: get("/a%2Fb")},
		{name: "pct-utf8", req: get("/caf%C3%A9")},
		{name: "pct-space", req: get("/a%20b")},
		{name: "pct-lowercase", req: get("/caf%c3%a9?q=%2f")},
		{name: "raw-non-ascii", req: get("/caf\xc3\xa9?q=\xc3\xa9")},
		{name: "sub-delims-in-path", req: get("/a!b*c(d)'e")},
		{name: "reserved-in-path", req: get("/a;b,c=d$e&f+g:h@i~j")},
		{name: "dot-segments", req: get("/a/../b/./c")},
		{name: "double-slash", req: get("//x//y")},
		{name: "fragment", req: get("/a#b")},
		{name: "absolute-form", req: "GET http://example.com/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"},
		{name: "absolute-form-other-host", req: "GET http://example.com/x?y=1 HTTP/1.1\r\nHost: other.test\r\n\r\n"},
		{name: "options-asterisk", req: "OPTIONS * HTTP/1.1\r\nHost: example.test\r\n\r\n"},
		{name: "query-only-target", req: get("?a=1")},
		{name: "control-byte-in-query", req: get("/a?b=\x01")},
		{name: "del-byte-in-query", req: get("/a?b=\x7f")},
		{name: "custom-method", req: "PURGE /x HTTP/1.1\r\nHost: example.test\r\n\r\n"},

		// The header block.
		{name: "repeated-header", req: get("/h", "X-A: 1", "X-B: b", "X-A: 2")},
		{name: "repeated-cookie", req: get("/h", "Cookie: a=1", "Cookie: b=2; c=3")},
		{name: "cookie-odd-values", req: get("/h", `Cookie: a="x y"; b=c\d; e; =f; g=h,i`)},
		{name: "repeated-user-agent", req: get("/h", "User-Agent: one", "User-Agent: two")},
		{name: "repeated-content-type", req: "POST /h HTTP/1.1\r\nHost: example.test\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 2\r\n\r\nhi"},
		{name: "lower-case-names", req: get("/h", "x-lower: v", "accept: */*", "user-agent: ua", "x-forwarded-for: 1.2.3.4")},
		{name: "underscore-name", req: get("/h", "X_Under: 1", "x_under: 2")},
		{name: "value-spaces", req: get("/h", "X-Sp:   v  w   ", "X-Tab:\tt\t")},
		{name: "empty-value", req: get("/h", "X-Empty:")},
		{name: "missing-host", req: "GET /h HTTP/1.1\r\n\r\n"},
		{name: "two-hosts", req: "GET /h HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n"},
		{name: "host-with-port", req: "GET /h HTTP/1.1\r\nHost: a.test:8080\r\n\r\n"},
		{name: "connection-close", req: get("/h", "Connection: close")},
		{name: "connection-keep-alive", req: get("/h", "Connection: keep-alive")},
		{name: "trailer-header", req: get("/h", "Trailer: X-T")},
		{name: "obs-fold", req: get("/h", "X-Fold: a", " b")},
		{name: "space-before-colon", req: get("/h", "X-Sp : v")},
		{name: "line-without-colon", req: get("/h", "Junk")},
		{name: "invalid-name-char", req: get("/h", "X(A): 1")},
		{name: "ctl-in-value", req: get("/h", "X-C: a\x01b")},
		// fastserver never answers (it waits for more bytes until a timeout).
		{name: "bare-lf", req: "GET /h HTTP/1.1\nHost: example.test\nX-A: 1\n\n", wait: time.Second, accept: bareLFOK},
		{name: "lower-case-method", req: "get /h HTTP/1.1\r\nHost: example.test\r\n\r\n"},
		{name: "double-space-request-line", req: "GET  /h HTTP/1.1\r\nHost: example.test\r\n\r\n"},
		{name: "http12", req: "GET /h HTTP/1.2\r\nHost: example.test\r\n\r\n", accept: http12OK},
		{name: "http20", req: "GET /h HTTP/2.0\r\nHost: example.test\r\n\r\n"},

		// Bodies.
		{name: "post-content-length", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":true}\n", h: hello},
		{name: "post-empty-body", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: 0\r\n\r\n", h: hello},
		{name: "post-chunked", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", h: hello, accept: chunkedRequestOK},
		{name: "post-chunked-with-trailer", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trail: 1\r\n\r\n", h: hello, accept: func(t *testing.T, std, fast *observation) {
			chunkedRequestOK(t, std, fast)
			// Trailers are not offered (package doc).
			if fast.Seen.Trailer != nil {
				t.Errorf("fastserver Trailer = %v, want none", fast.Seen.Trailer)
			}
			fast.Seen.Trailer = std.Seen.Trailer
		}},
		{name: "get-with-body", req: "GET /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc", h: hello},
		{name: "expect-continue", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", h: hello},
		{name: "content-length-and-chunked", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", h: hello,
			accept: func(t *testing.T, std, fast *observation) {
				chunkedRequestOK(t, std, fast)
				// fastserver closes the connection after a request with
				// both framings, as RFC 9112 section 6.3 requires (net/http
				// keeps it): stricter, acceptable.
				if fast.Resp.Closed && !std.Resp.Closed {
					fast.Resp.Closed = false
				}
			}},
		{name: "te-gzip-chunked", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", h: hello, accept: refusedOK},
		{name: "te-chunked-twice", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", h: hello, accept: refusedOK},
		{name: "te-identity", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", h: hello,
			accept: func(t *testing.T, std, fast *observation) {
				// net/http refuses "identity" (501); fastserver reads the
				// body by its Content-Length and closes the connection
				// after the response, as RFC 9112 section 6.3 asks of a
				// request with both: acceptable.
				if std.Resp.Status != http.StatusNotImplemented {
					t.Errorf("net/http: status %d, want 501", std.Resp.Status)
				}
				if !fast.Seen.Called || fast.Seen.Body != "abc" || fast.Resp.Status != http.StatusOK || !fast.Resp.Closed {
					t.Errorf("fastserver: handler %v body %q status %d closed %v; want the body by Content-Length, then a close",
						fast.Seen.Called, fast.Seen.Body, fast.Resp.Status, fast.Resp.Closed)
				}
				*fast = *std
			}},
		{name: "content-length-plus-sign", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: +3\r\n\r\nabc", h: hello},
		{name: "two-content-lengths", req: "POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", h: hello},

		// HTTP/1.0.
		{name: "http10", req: "GET /old HTTP/1.0\r\nHost: example.test\r\n\r\n", h: hello, accept: http10OK},
		{name: "http10-keep-alive", req: "GET /old HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n", h: hello, accept: http10OK},
		{name: "http10-no-host", req: "GET /old HTTP/1.0\r\n\r\n", h: hello, accept: http10OK},

		// Responses.
		{name: "head-with-body", method: http.MethodHead, req: "HEAD /x HTTP/1.1\r\nHost: example.test\r\n\r\n", h: func(w http.ResponseWriter, r *http.Request) string {
			return writeNote(w, "hello, world")
		}},
		{name: "head-large-body", method: http.MethodHead, req: "HEAD /x HTTP/1.1\r\nHost: example.test\r\n\r\n", h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Content-Type", "text/plain")
			return writeNote(w, strings.Repeat("x", 10000))
		}, accept: func(t *testing.T, std, fast *observation) {
			// net/http does not know the length of a HEAD response whose
			// handler wrote more than its buffer, and sends none;
			// fastserver sends the length a GET would get: acceptable.
			if std.Resp.Header.Get("Content-Length") == "" && fast.Resp.Header.Get("Content-Length") == "10000" {
				delete(fast.Resp.Header, "Content-Length")
			}
		}},
		{name: "head-with-content-length", method: http.MethodHead, req: "HEAD /x HTTP/1.1\r\nHost: example.test\r\n\r\n", h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "1234")
			return ""
		}},
		{name: "204-with-body", h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("X-Kept", "1")
			w.WriteHeader(http.StatusNoContent)
			return writeNote(w, "body")
		}, req: get("/s")},
		{name: "204-with-writestring", h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(http.StatusNoContent)
			return writeStringNote(w, "body")
		}, req: get("/s")},
		{name: "304-with-body", h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Etag", `"x"`)
			w.WriteHeader(http.StatusNotModified)
			return writeNote(w, "body")
		}, req: get("/s")},
		{name: "sniff-text", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			return writeNote(w, "hello, world")
		}},
		{name: "sniff-html", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			return writeNote(w, "<!DOCTYPE html><html><body>x</body></html>")
		}},
		{name: "sniff-json-looking", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			return writeNote(w, `{"a":[1,2,3]}`)
		}},
		{name: "sniff-html-writestring", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			return writeStringNote(w, "<html><body>x</body></html>")
		}},
		{name: "sniff-binary", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			return writeNote(w, "\x89PNG\r\n\x1a\n\x00\x00")
		}},
		{name: "sniff-after-write-header", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(http.StatusCreated)
			return writeNote(w, "<html><body>created</body></html>")
		}},
		{name: "sniff-split-writes", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			io.WriteString(w, "<ht")
			return writeNote(w, "ml><body>x</body></html>")
		}},
		{name: "sniff-after-empty-write", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Write(nil)
			return writeNote(w, "<html><body>x</body></html>")
		}},
		{name: "no-sniff-nil-content-type", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header()["Content-Type"] = nil
			return writeNote(w, "<html></html>")
		}},
		{name: "handler-content-length", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Content-Length", "5")
			return writeNote(w, "hello")
		}},
		{name: "handler-connection-close", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Connection", "close")
			return writeNote(w, "bye")
		}},
		{name: "write-header-twice", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("X-First", "1")
			w.WriteHeader(http.StatusAccepted)
			w.Header().Set("X-Late", "1")
			w.WriteHeader(http.StatusInternalServerError)
			return writeNote(w, "x")
		}},
		{name: "early-hints-103", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("Content-Type", "text/plain")
			return writeNote(w, "final")
		}, accept: func(t *testing.T, std, fast *observation) {
			// 1xx responses are not sent (package doc); the final one is
			// the same.
			if len(fast.Resp.Interim) != 0 {
				t.Errorf("fastserver sent 1xx responses %v, want none", fast.Resp.Interim)
			}
			fast.Resp.Interim = std.Resp.Interim
		}},
		{name: "write-header-0", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(0)
			return writeNote(w, "x")
		}, accept: panicOK},
		{name: "write-header-1000", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(1000)
			return writeNote(w, "x")
		}, accept: panicOK},
		{name: "custom-status", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(299)
			return writeNote(w, "x")
		}, accept: func(t *testing.T, std, fast *observation) {
			// The reason phrase of an unknown status differs ("status code
			// 299" and "Unknown Status Code"); clients must ignore it (RFC
			// 9112 section 4): acceptable.
			fast.Resp.Reason = std.Resp.Reason
		}},
		{name: "status-418", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(http.StatusTeapot)
			return ""
		}},
		{name: "repeated-response-headers", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Add("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			w.Header().Add("Allow", "GET")
			w.Header().Add("Allow", "HEAD")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Encoding", "identity")
			return writeNote(w, "x")
		}},
		{name: "set-cookies", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Add("Set-Cookie", "a=1; Path=/; HttpOnly")
			w.Header().Add("Set-Cookie", "a=2; Path=/x; Max-Age=10; SameSite=Lax; Secure; Partitioned")
			w.Header().Add("Set-Cookie", `b="q v"; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Foo=bar`)
			return writeNote(w, "x")
		}},
		{name: "handler-date", req: get("/s"), compareDate: true, h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Date", "Wed, 21 Oct 2015 07:28:00 GMT")
			w.Header().Set("X-Date-Set", "1")
			return writeNote(w, "x")
		}, accept: func(t *testing.T, std, fast *observation) {
			// fasthttp always writes its own Date (package doc): a valid
			// date, not the handler's.
			if !fast.Resp.HasDate {
				t.Fatal("fastserver sent no Date")
			}
			if _, err := http.ParseTime(fast.Resp.Date); err != nil {
				t.Errorf("fastserver Date %q: %v", fast.Resp.Date, err)
			}
			fast.Resp.Date = std.Resp.Date
		}},
		{name: "handler-server-header", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Server", "lambdagate")
			return writeNote(w, "x")
		}},
		{name: "header-newline-injection", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("X-Bad", "a\r\nX-Injected: 1")
			return writeNote(w, "x")
		}},
		{name: "non-canonical-response-key", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header()["x-lower-key"] = []string{"v"}
			return writeNote(w, "x")
		}},
		{name: "header-after-write", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			io.WriteString(w, "x")
			w.Header().Set("X-Too-Late", "1")
			return ""
		}},
		{name: "writes-nothing", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string { return "" }},
		{name: "write-header-only", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.WriteHeader(http.StatusCreated)
			return ""
		}},
		{name: "large-response", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			w.Header().Set("Content-Type", "application/octet-stream")
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte('a' + i%26)
			}
			return writeNote(w, string(b))
		}, accept: chunkedResponseOK},
		{name: "panic-value", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			io.WriteString(w, "partial")
			panic("boom")
		}, accept: panicOK},
		{name: "panic-abort-handler", req: get("/s"), h: func(w http.ResponseWriter, r *http.Request) string {
			io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		}, accept: panicOK},
	}
}

// bareLFOK accepts fastserver's handling of a request whose lines end in a
// bare LF, which RFC 9112 (section 2.2) lets a server refuse: fasthttp
// waits for a CRLF end of headers, so the client gets no answer until a
// timeout ends the connection (package doc).
func bareLFOK(t *testing.T, std, fast *observation) {
	t.Helper()
	if fast.Seen.Called || fast.Resp.Status != 0 {
		t.Errorf("fastserver answered a bare-LF request (%d): if it now does, compare it with net/http", fast.Resp.Status)
	}
	*fast = *std
}

// http12OK accepts fastserver's reading of an "HTTP/1.2" request as
// HTTP/1.0 (net/http: HTTP/1.2): the connection then closes after the
// response. No HTTP/1.2 exists; package doc.
func http12OK(t *testing.T, std, fast *observation) {
	t.Helper()
	if fast.Seen.Proto != "HTTP/1.0" || !fast.Resp.Closed {
		t.Errorf("fastserver: proto %q closed %v, want HTTP/1.0 and a closed connection", fast.Seen.Proto, fast.Resp.Closed)
	}
	fast.Seen.Proto, fast.Seen.ProtoMinor, fast.Seen.Close = std.Seen.Proto, std.Seen.ProtoMinor, std.Seen.Close
	fast.Resp.Closed, fast.Resp.Header, fast.Resp.Proto = std.Resp.Closed, std.Resp.Header, std.Resp.Proto
}

// refusedOK accepts a different error status when both servers refuse a
// request before any handler runs (net/http 501 for a transfer coding it
// does not implement, fastserver 400).
func refusedOK(t *testing.T, std, fast *observation) {
	t.Helper()
	if std.Seen.Called || fast.Seen.Called || std.Resp.Status < 400 || fast.Resp.Status < 400 {
		t.Errorf("want both servers to refuse the request: net/http %d (handler %v), fastserver %d (handler %v)",
			std.Resp.Status, std.Seen.Called, fast.Resp.Status, fast.Seen.Called)
		return
	}
	fast.Resp.Status = std.Resp.Status
}

// http10OK accepts fastserver's status line to an HTTP/1.0 request:
// net/http answers "HTTP/1.0", fastserver "HTTP/1.1" (a server sends its
// highest minor version, RFC 9110 section 6.2; a 1.0 client reads it as
// 1.0). Whether the connection stays open is compared.
func http10OK(t *testing.T, std, fast *observation) {
	t.Helper()
	if std.Resp.Proto == "HTTP/1.0" && fast.Resp.Proto == "HTTP/1.1" {
		fast.Resp.Proto = std.Resp.Proto
	}
}

// panicOK accepts fastserver's answer to a panic that reaches the server:
// net/http cuts the connection without a response; fastserver (which has not
// sent anything yet, since it buffers the response) answers an empty 500
// and closes the connection. Not in the package doc (and the code's comment
// says "cuts the response, as net/http does"); see the report.
func panicOK(t *testing.T, std, fast *observation) {
	t.Helper()
	if std.Resp.Status != 0 || !std.Resp.Closed {
		t.Errorf("net/http: status %d closed %v, want no response", std.Resp.Status, std.Resp.Closed)
	}
	if fast.Resp.Status != http.StatusInternalServerError || !fast.Resp.Closed || fast.Resp.Body != "" {
		t.Errorf("fastserver: status %d closed %v body %q, want an empty 500 and a closed connection",
			fast.Resp.Status, fast.Resp.Closed, fast.Resp.Body)
	}
	fast.Resp = std.Resp
}

func TestDifferential(t *testing.T) {
	t.Parallel()
	cases := diffCases()
	// The exchanges all run at once (each waits a while to see whether the
	// server closes the connection), then each case compares in a subtest.
	type result struct{ std, fast observation }
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 24)
	for i, tc := range cases {
		wg.Add(2)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			defer wg.Done()
			results[i].std = runOne(t, tc, false)
		}()
		go func() {
			defer wg.Done()
			results[i].fast = runOne(t, tc, true)
		}()
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			std, fast := results[i].std, results[i].fast
			if tc.accept != nil {
				tc.accept(t, &std, &fast)
			}
			if !tc.compareDate {
				std.Resp.Date, fast.Resp.Date = "", ""
			}
			for _, d := range compareObservations(&std, &fast) {
				t.Error(d)
			}
		})
	}
}

// runOne runs a case against one server: fastserver or net/http's.
func runOne(t *testing.T, tc diffCase, fast bool) observation {
	method := tc.method
	if method == "" {
		method, _, _ = strings.Cut(tc.req, " ")
	}
	ch := make(chan seen, 4)
	var addr string
	if fast {
		_, addr, _ = startFast(t, recording(ch, tc.h), tc.cfg)
	} else {
		addr = startStd(t, recording(ch, tc.h), nil)
	}
	var o observation
	o.Resp, o.Client = rawExchangeWait(t, addr, tc.req, method, tc.wait, 300*time.Millisecond)
	select {
	case o.Seen = <-ch:
	default:
	}
	return o
}

// compareObservations lists the differences between the two servers'
// observations, after checking each RemoteAddr against its own client.
func compareObservations(std, fast *observation) []string {
	var diffs []string
	for _, o := range []struct {
		name string
		obs  *observation
	}{{"net/http", std}, {"fastserver", fast}} {
		if !o.obs.Seen.Called {
			continue
		}
		if o.obs.Seen.RemoteAddr != o.obs.Client {
			diffs = append(diffs, fmt.Sprintf("%s: RemoteAddr = %q, want the client's %q", o.name, o.obs.Seen.RemoteAddr, o.obs.Client))
		}
		if _, _, err := net.SplitHostPort(o.obs.Seen.RemoteAddr); err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: RemoteAddr %q: %v", o.name, o.obs.Seen.RemoteAddr, err))
		}
		if !o.obs.Seen.CtxLive {
			diffs = append(diffs, o.name+": the request's context is nil or done during the handler")
		}
		o.obs.Seen.RemoteAddr = ""
	}
	if !std.Seen.Called && !fast.Seen.Called && std.Resp.Status >= 400 && std.Resp.Status == fast.Resp.Status {
		// Both servers refused the request before any handler ran, with
		// the same status: their error pages' texts and framing (net/http
		// sends no Date or Content-Length there) are not the handler's.
		fast.Resp.Reason, fast.Resp.Header, fast.Resp.HasDate, fast.Resp.Body = std.Resp.Reason, std.Resp.Header, std.Resp.HasDate, std.Resp.Body
	}
	diffs = append(diffs, structDiff("handler saw", std.Seen, fast.Seen)...)
	diffs = append(diffs, structDiff("client got", std.Resp, fast.Resp)...)
	return diffs
}

// structDiff compares two structs field by field.
func structDiff(what string, a, b any) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var diffs []string
	for i := 0; i < va.NumField(); i++ {
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		if !reflect.DeepEqual(fa, fb) {
			diffs = append(diffs, fmt.Sprintf("%s: %s differs:\n\tnet/http:   %#v\n\tfastserver: %#v", what, va.Type().Field(i).Name, fa, fb))
		}
	}
	return diffs
}
