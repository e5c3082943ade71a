// Package endpoint turns a client's HTTP request into the gateway's
// proxy.Request, runs the endpoint's pipeline under its timeout, and writes
// what comes back: the status, the gateway's headers (X-Krakend-Completed,
// Cache-Control) and the body in the endpoint's output encoding.
//
// Everything about an endpoint is prepared once in New; the handler it
// returns only copies values. This package must not know how backends are
// called or how responses are merged.
package endpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/render"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/internal/scrub"
	"github.com/lambdagate/lambdagate/internal/wirenames"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// DefaultMaxBodyBytes bounds request bodies when nothing else is said:
// Lambda's synchronous payload limit, 6 MiB.
const DefaultMaxBodyBytes = 6 << 20

// Options is what New needs to build an endpoint's handler.
type Options struct {
	// Endpoint is the endpoint's configuration.
	Endpoint *config.Endpoint
	// Pipeline calls the backends and merges their responses.
	Pipeline proxy.Proxy
	// Backends is the number of backends behind Pipeline.
	Backends int
	// ReturnErrorMsg writes the error's text as the body of a failed
	// request (router.return_error_msg). Off, error bodies are empty.
	ReturnErrorMsg bool
	// MaxBodyBytes bounds the request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// DecompressGzip decompresses a body whose Content-Encoding starts
	// with gzip before the backends get it (proxy.decompress_gzip);
	// MaxBodyBytes then bounds the decompressed body too.
	DecompressGzip bool
	// UserAgent is the gateway's own User-Agent.
	UserAgent string
	// Logger receives the access-log line and errors.
	Logger *slog.Logger
	// DisableAccessLog stops the per-request access-log line.
	DisableAccessLog bool
	// ClientIP resolves the client's address sent as X-Forwarded-For (nil:
	// the peer's).
	ClientIP *clientip.Resolver
	// SendRequestID sends the request's id to every backend as
	// X-Request-Id (lambdagate/server backend_request_id). Off, backends
	// receive what KrakenD sends: the client's X-Request-Id only when the
	// endpoint's input_headers let it through.
	SendRequestID bool
	// SkipLogPaths are request paths whose access-log line is not written
	// (router.logger_skip_paths); nil for none.
	SkipLogPaths map[string]bool
	// Respond, when set, writes the pipeline's result instead of the
	// endpoint's own answer (status rules, gateway headers, encoding): the
	// answer of auth/signer. It returns the status written and why the
	// request failed, nil when it did not.
	Respond func(ctx context.Context, w http.ResponseWriter, resp *proxy.Response, err error) (int, error)
}

// New returns the router.Handler of an endpoint.
func New(opts Options) (router.Handler, error) {
	e := opts.Endpoint
	write, err := render.New(e.OutputEncoding)
	if err != nil {
		return nil, err
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	h := &handler{
		opts:       opts,
		write:      write,
		headers:    newHeaderFilter(e.InputHeaders),
		query:      newQueryFilter(e.InputQueryStrings),
		timeout:    e.Timeout,
		noop:       e.OutputEncoding == render.NoOp,
		negotiate:  e.OutputEncoding == render.Negotiate,
		single:     opts.Backends == 1,
		logger:     opts.Logger,
		route:      e.Method + " " + e.Path,
		userAgent:  []string{opts.UserAgent},
		forwardsUA: e.InputHeaders != nil && (slices.Contains(e.InputHeaders, "*") || slices.ContainsFunc(e.InputHeaders, func(h string) bool { return strings.EqualFold(h, "User-Agent") })),
	}
	// A no-op endpoint gets no Cache-Control of the gateway's, whatever
	// its cache_ttl (KrakenD sets it on decoded data only): the backend's
	// own Cache-Control, if any, passes with its other headers.
	if e.CacheTTL > 0 && !h.noop {
		h.cacheControl = []string{"public, max-age=" + strconv.Itoa(int(e.CacheTTL/time.Second))}
	}
	return h.serve, nil
}

type handler struct {
	opts         Options
	write        render.Func
	headers      func(http.Header) http.Header
	query        func(*url.URL) url.Values
	timeout      time.Duration
	noop         bool
	negotiate    bool // the output encoding is chosen by the Accept header
	single       bool
	cacheControl []string // the Cache-Control header's value, nil for none
	logger       *slog.Logger
	route        string
	forwardsUA   bool
	userAgent    []string // the gateway's User-Agent, shared: see completedTrue
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, params []string) {
	start := time.Now()
	id := requestID(w, r)
	res := h.handle(w, r, params, id)
	if res.abort {
		// A stream cut midway: the response ends without its last chunk
		// (HTTP/1.1: the connection closes; HTTP/2: RST_STREAM), so that
		// the client can tell it from a whole one. Logged first.
		defer panic(http.ErrAbortHandler)
	}
	if h.opts.DisableAccessLog || h.logger == nil || h.opts.SkipLogPaths != nil && h.opts.SkipLogPaths[r.URL.Path] {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", h.route),
		slog.Int("status", res.status),
		slog.Duration("duration", time.Since(start)),
		slog.String("outcome", res.outcome),
		slog.Bool("complete", res.outcome == "complete"),
		slog.String("remote", r.RemoteAddr),
		slog.String("request_id", id),
	)
	level := slog.LevelInfo
	if res.err != nil {
		// The operator sees why: each failed backend's reason, secrets
		// scrubbed, at WARN.
		level = slog.LevelWarn
		attrs = failureAttrs(attrs, res.err)
	}
	if tid := telemetry.TraceID(r.Context()); tid != "" {
		attrs = append(attrs, slog.String("trace_id", tid))
	}
	h.logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// failureAttrs adds to attrs what the access log says of a failure:
// failed_backends (their JSON paths) and errors ("path: reason" each), or
// error for a failure no backend is named in (the endpoint's timeout).
func failureAttrs(attrs []slog.Attr, err error) []slog.Attr {
	fails := proxy.BackendFailures(err)
	if len(fails) == 0 {
		return append(attrs, slog.String("error", scrub.Text(err.Error())))
	}
	paths := make([]string, len(fails))
	reasons := make([]string, len(fails))
	for i, f := range fails {
		paths[i] = f.Backend
		reasons[i] = f.Backend + ": " + scrub.Text(f.Err.Error())
	}
	return append(attrs, slog.Any("failed_backends", paths), slog.Any("errors", reasons))
}

// result is what the access log says of a request.
type result struct {
	status  int
	outcome string // rejected, error, partial, complete, stream_error or client_gone
	err     error  // why the request failed or is partial
	// abort says the response must be cut: its stream failed after the
	// status was written.
	abort bool
}

// handle serves one request and returns what the access log says of it.
func (h *handler) handle(w http.ResponseWriter, r *http.Request, params []string, id string) result {
	body, status := h.readBody(w, r)
	gunzipped := false
	if status == 0 && h.opts.DecompressGzip && body != nil && gzipFirst(r.Header) {
		body, status = gunzip(body, h.opts.MaxBodyBytes)
		gunzipped = status == 0
	}
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return result{status: status, outcome: "rejected"}
	}
	req := &proxy.Request{
		Method:     r.Method,
		Path:       r.URL.Path,
		Params:     params,
		Query:      h.query(r.URL),
		Headers:    h.headers(r.Header),
		Body:       body,
		RemoteAddr: r.RemoteAddr,
		Host:       r.Host,
		Claims:     proxy.ClaimsFrom(r.Context()),
		UserAgent:  r.UserAgent(),
	}
	if gunzipped {
		dropFirstEncoding(req.Headers)
	}
	req.HeaderNames = headerNames(r)
	h.forwarding(req, r)
	req.Authorizer = proxy.AuthorizerFrom(r.Context())
	req.ID = id
	if h.opts.SendRequestID {
		req.Headers[requestIDHeader] = w.Header()[requestIDHeader]
		req.SendID = true
	}

	ctx, cancel := withDeadline(r.Context(), time.Now().Add(h.timeout))
	defer cancel()
	resp, err := h.opts.Pipeline(ctx, req)
	if h.opts.Respond != nil {
		status, rerr := h.opts.Respond(ctx, w, resp, err)
		if rerr != nil {
			return result{status: status, outcome: "error", err: rerr}
		}
		return result{status: status, outcome: "complete"}
	}

	if err != nil && resp == nil {
		return result{status: h.fail(w, err), outcome: "error", err: err}
	}
	if err != nil && h.logger != nil && h.opts.DisableAccessLog {
		// Without the access log, whose line says why, a line of its own.
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "partial response",
			slog.String("route", h.route), slog.String("error", err.Error()), slog.String("request_id", id))
	}
	complete := err == nil && resp.IsComplete
	hdr := w.Header()
	if h.single && !h.noop {
		// A single backend's metadata headers (X-Amz-Executed-Version, an
		// unwrapped Lambda result's headers) reach the client, as in
		// KrakenD; no-op passes every header itself.
		for k, vs := range resp.Metadata.Headers {
			hdr[k] = vs
		}
	}
	if complete && !h.noop {
		// A no-op response is marked incomplete whatever it holds, as
		// KrakenD marks it: its data (the parsed body) is always empty.
		hdr["X-Krakend-Completed"] = completedTrue
		if h.cacheControl != nil {
			hdr["Cache-Control"] = h.cacheControl
		}
	} else {
		hdr["X-Krakend-Completed"] = completedFalse
	}
	status = http.StatusOK
	if h.single && complete && resp.Metadata.StatusCode >= 200 && resp.Metadata.StatusCode < 300 {
		status = resp.Metadata.StatusCode
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		// These statuses carry no body (RFC 9110, 15.3.5 and 15.4.5).
		if resp.Body != nil {
			resp.Body.Close()
		}
		w.WriteHeader(status)
	} else if werr := h.writer(r)(w, status, resp); werr != nil {
		var se *render.StreamError
		if (errors.As(werr, &se) && se.Client) || r.Context().Err() != nil {
			// The client left: a write failed, or (net/http) the request's
			// context ended the stream.
			return result{status: status, outcome: "client_gone", abort: true}
		}
		if h.logger != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelWarn, "stream failed", slog.String("route", h.route), slog.String("error", werr.Error()), slog.String("request_id", id))
		}
		return result{status: status, outcome: "stream_error", abort: true}
	}
	if complete {
		return result{status: status, outcome: "complete"}
	}
	return result{status: status, outcome: "partial", err: err}
}

// The X-Krakend-Completed header's values, shared by every response: each
// is a one-element slice at full capacity, so that an Add copies it.
var (
	completedTrue  = []string{"true"}
	completedFalse = []string{"false"}
)

// readBody reads the request body whole, up to the endpoint's limit. It
// returns a status other than 0 when the request must be refused.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	if r.ContentLength > h.opts.MaxBodyBytes {
		// The body is never read: close the connection after the 413.
		// Without this, net/http reads a small unread rest (up to 256 KiB)
		// before writing the status, so a client that waits for the
		// answer before sending its body would wait until read_timeout.
		w.Header().Set("Connection", "close")
		return nil, http.StatusRequestEntityTooLarge
	}
	var b []byte
	var err error
	if n := r.ContentLength; n > 0 {
		// The length is known (and within the limit): one buffer of that
		// size, and a read past it to find a body longer than announced.
		b = make([]byte, n)
		if _, err = io.ReadFull(r.Body, b); err == nil {
			var one [1]byte
			if m, _ := r.Body.Read(one[:]); m > 0 {
				err = errors.New("request body longer than its Content-Length")
			}
		}
	} else {
		b, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge
		}
		// A body cut short (read_timeout, a client gone): the rest is not
		// worth waiting for either.
		w.Header().Set("Connection", "close")
		return nil, http.StatusBadRequest
	}
	return b, 0
}

// fail writes the answer of a request that produced no data.
func (h *handler) fail(w http.ResponseWriter, err error) int {
	status := proxy.StatusFor(err)
	var re proxy.RelayedError
	if errors.As(err, &re) {
		if body, ct, ok := re.RelayedBody(); ok {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.Header().Set("X-Krakend-Completed", "false")
			w.WriteHeader(status)
			w.Write(body)
			return status
		}
	}
	var se *proxy.StatusError
	if errors.As(err, &se) {
		for k, vs := range se.Header {
			w.Header()[k] = vs
		}
	}
	w.Header().Set("X-Krakend-Completed", "false")
	if h.opts.ReturnErrorMsg {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, err.Error())
		return status
	}
	w.WriteHeader(status)
	return status
}

// headerNames returns how r's client spelt its header names: lower-cased
// by HTTP/2 and HTTP/3; over HTTP/1.x as the server recorded them (the
// fastserver engine does, net/http's loses them), nil when every name
// was canonical or the spelling is unknown.
func headerNames(r *http.Request) proxy.HeaderSpelling {
	if r.ProtoMajor >= 2 {
		return wirenames.Lower{}
	}
	if n := wirenames.FromContext(r.Context()).Copy(); n != nil {
		return n
	}
	return nil
}

// forwarding sets the headers the gateway adds to every backend call.
func (h *handler) forwarding(req *proxy.Request, r *http.Request) {
	req.ClientIP = h.opts.ClientIP.ClientIP(r)
	req.Headers.Set("X-Forwarded-For", req.ClientIP)
	req.Headers.Set("X-Forwarded-Host", r.Host)
	if h.forwardsUA && r.Header.Get("User-Agent") != "" {
		req.Headers["X-Forwarded-Via"] = h.userAgent
	} else {
		req.Headers["User-Agent"] = h.userAgent
	}
}

// newHeaderFilter returns the function that keeps the client headers an
// endpoint lets through: Content-Type only by default, the input_headers
// list when set, every header for "*".
func newHeaderFilter(allowed []string) func(http.Header) http.Header {
	if allowed == nil {
		allowed = []string{"Content-Type"}
	}
	if slices.Contains(allowed, "*") {
		return func(in http.Header) http.Header {
			out := in.Clone()
			if out == nil {
				out = http.Header{}
			}
			return out
		}
	}
	keys := make([]string, len(allowed))
	for i, a := range allowed {
		keys[i] = http.CanonicalHeaderKey(a)
	}
	return func(in http.Header) http.Header {
		out := make(http.Header, len(keys)+3)
		for _, k := range keys {
			if vs, ok := in[k]; ok {
				out[k] = append([]string(nil), vs...)
			}
		}
		return out
	}
}

// newQueryFilter returns the function that keeps the query strings an
// endpoint lets through: none by default (nil: the query is not even
// parsed), the input_query_strings list (exact names) when set, all for
// "*". Repeated values are kept.
func newQueryFilter(allowed []string) func(*url.URL) url.Values {
	if len(allowed) == 0 {
		return func(*url.URL) url.Values { return nil }
	}
	if slices.Contains(allowed, "*") {
		return func(u *url.URL) url.Values { return u.Query() }
	}
	return func(u *url.URL) url.Values {
		if u.RawQuery == "" {
			return nil
		}
		q := u.Query()
		out := make(url.Values, len(allowed))
		for _, k := range allowed {
			if vs, ok := q[k]; ok {
				out[k] = vs
			}
		}
		return out
	}
}

// writer is the renderer for r: the endpoint's, or with negotiate the one the
// client's Accept header picks.
func (h *handler) writer(r *http.Request) render.Func {
	if h.negotiate {
		return render.NegotiateFunc(r.Header.Get("Accept"))
	}
	return h.write
}
