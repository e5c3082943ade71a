package lambdainvoke

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// reply is what a sender brings back from the Invoke API: the status, the
// headers the Client reads, and the body, read whole (bounded).
type reply struct {
	status          int
	functionError   string
	logResult       string
	executedVersion string
	requestID       string
	retryAfter      string
	errorType       string
	body            []byte
}

// sender sends one signed Invoke request. Two implementations share the
// signing code: fastSender (the default) and netSender (used when an HTTP
// proxy applies to the endpoint, which only net/http honours).
type sender interface {
	// send sends req, signed, with payload as its body. uri, when not
	// empty, is req.URL as text.
	send(ctx context.Context, req *http.Request, uri string, payload []byte) (*reply, error)
	closeIdle()
}

// newSender picks the sender for an Invoke endpoint: net/http when the
// environment's HTTP(S)_PROXY applies to it, the lean client otherwise.
func newSender(endpoint string) (sender, error) {
	client, err := newHTTPClient()
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(endpoint); err == nil {
		if p, _ := http.ProxyFromEnvironment(&http.Request{URL: u}); p != nil {
			return &netSender{client: client}, nil
		}
	}
	var tlsConf *tls.Config
	if t, ok := client.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		tlsConf = t.TLSClientConfig.Clone()
	}
	return &fastSender{client: &fasthttp.Client{
		Name:                     userAgent,
		MaxConnsPerHost:          maxIdleConnsPerHost,
		MaxIdleConnDuration:      idleConnTimeout,
		ReadBufferSize:           16 << 10,
		MaxResponseBodySize:      maxResultBytes + 1,
		TLSConfig:                tlsConf,
		NoDefaultUserAgentHeader: true,
		// The function-name label is percent-encoded as the SDK encodes it
		// and signed that way: the path must go out exactly as signed.
		DisablePathNormalizing: true,
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			return fasthttp.DialTimeout(addr, min(timeout, dialTimeout))
		},
		// Retries are WithRetries', never fasthttp's.
		RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
	}}, nil
}

// maxResultBytes bounds a function's result (Lambda's own limit is 6 MB
// for synchronous results; the margin keeps error messages readable).
const maxResultBytes = 64 << 20

// fastSender sends invocations with fasthttp's client: the calling
// goroutine writes the request and reads the reply on a pooled keep-alive
// connection, with no per-request goroutines (net/http's client runs a
// read and a write loop per connection; docs/BENCHMARKS.md has the cost).
//
// The request is bounded by ctx's deadline; a context cancelled before its
// deadline (a client that left) is noticed before sending, not during.
type fastSender struct {
	client *fasthttp.Client
	// lastURI is the last Invoke URL sent, parsed: a caller with a fixed
	// function name parses it once.
	lastURI atomic.Pointer[parsedURI]
}

// parsedURI is an Invoke URL and its parse, which requests copy.
type parsedURI struct {
	text string
	uri  *fasthttp.URI
}

// parsedURI returns uri parsed, from the cache when it was the last one.
func (s *fastSender) parsedURI(uri string) *fasthttp.URI {
	if p := s.lastURI.Load(); p != nil && p.text == uri {
		return p.uri
	}
	u := &fasthttp.URI{DisablePathNormalizing: true}
	// An Invoke URL built from a parsed endpoint always parses.
	_ = u.Parse(nil, []byte(uri))
	s.lastURI.Store(&parsedURI{text: uri, uri: u})
	return u
}

// noDeadline bounds a call whose context has none (Lambda's own maximum
// run time is 15 minutes).
const noDeadline = 15 * time.Minute

func (s *fastSender) send(ctx context.Context, hreq *http.Request, uri string, payload []byte) (*reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	req.Header.SetMethod(http.MethodPost)
	if uri == "" {
		req.SetRequestURI(hreq.URL.String())
	} else {
		req.SetURI(s.parsedURI(uri))
	}
	if hreq.Host != "" {
		req.Header.SetHost(hreq.Host)
	}
	// The keys are http.Header's, canonical already.
	req.Header.DisableNormalizing()
	for k, vs := range hreq.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.SetBodyRaw(payload)

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(noDeadline)
	}
	if err := s.client.DoDeadline(req, resp, deadline); err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) && time.Until(deadline) < 50*time.Millisecond {
			if ok {
				// fasthttp's timer fires just before the context's: report
				// the context's error, as net/http would.
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return nil, context.DeadlineExceeded
		}
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			return nil, errResultTooLarge
		}
		return nil, &sendError{err: err, beforeReply: failedBeforeReply(err)}
	}
	h := &resp.Header
	r := &reply{
		status:          resp.StatusCode(),
		functionError:   string(h.Peek(lambdaapi.HeaderFunctionError)),
		logResult:       string(h.Peek(lambdaapi.HeaderLogResult)),
		executedVersion: string(h.Peek(lambdaapi.HeaderExecutedVersion)),
		requestID:       string(h.Peek(lambdaapi.HeaderRequestID)),
		retryAfter:      string(h.Peek("Retry-After")),
		errorType:       string(h.Peek(lambdaapi.HeaderErrorType)),
	}
	// The body belongs to the pooled response: copy it out.
	r.body = append([]byte(nil), resp.Body()...)
	return r, nil
}

func (s *fastSender) closeIdle() { s.client.CloseIdleConnections() }

// sendError is a transport failure. beforeReply says the Invoke API never
// started answering (the connection could not be made, or was closed
// before the first byte of the reply), so that the invocation may be
// retried; a failure while the reply was being read is not retried, as the
// function may have run.
type sendError struct {
	err         error
	beforeReply bool
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// failedBeforeReply tells fasthttp's errors that leave no doubt that the
// reply had not started.
func failedBeforeReply(err error) bool {
	if errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, fasthttp.ErrNoFreeConns) || errors.Is(err, fasthttp.ErrDialTimeout) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// errResultTooLarge reports a result above maxResultBytes.
var errResultTooLarge = errors.New("the function's result is larger than the gateway accepts (64 MiB)")

// netSender sends invocations with net/http's client, which honours
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY.
type netSender struct {
	client *http.Client
}

func (s *netSender) send(ctx context.Context, req *http.Request, _ string, payload []byte) (*reply, error) {
	req = req.WithContext(ctx)
	if req.Body == nil && len(payload) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(payload))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		// net/http fails Do only before the reply's headers are read.
		return nil, &sendError{err: err, beforeReply: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	r := &reply{
		status:          resp.StatusCode,
		functionError:   resp.Header.Get(lambdaapi.HeaderFunctionError),
		logResult:       resp.Header.Get(lambdaapi.HeaderLogResult),
		executedVersion: resp.Header.Get(lambdaapi.HeaderExecutedVersion),
		requestID:       resp.Header.Get(lambdaapi.HeaderRequestID),
		retryAfter:      resp.Header.Get("Retry-After"),
		errorType:       resp.Header.Get(lambdaapi.HeaderErrorType),
	}
	if r.status < 200 || r.status > 299 {
		r.body, err = readLimited(resp.Body, maxErrorBody)
	} else {
		r.body, err = readBody(resp)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *netSender) closeIdle() { s.client.CloseIdleConnections() }
