// Package proxy holds the gateway's request pipeline: the Request and Response
// values that travel through it, the Proxy function type every stage shares,
// and the stages themselves (fan-out and merge, sequential calls, decoding by
// backend encoding, shaping).
//
// A stage is a function that wraps a Proxy, so the endpoint pipeline reads
// like a sentence: merge(fan-out(shape(decode(transport)))). Everything a
// stage needs from the configuration is decided when it is built; the
// functions it returns never look at settings maps on the hot path.
//
// This package must not know about HTTP routing, output encodings or any
// particular transport: transports (HTTP, Lambda, ...) produce a Response
// holding the reply's bytes (Raw, or a stream in Body) and metadata, and
// the decoding stage here is the one that turns them into data.
package proxy

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// Proxy is one stage of the pipeline: it takes the gateway's view of a
// request and returns the response of whatever lies behind it.
//
// A Proxy may return a non-nil Response together with a non-nil error: the
// response is then partial (IsComplete is false) and the error says what is
// missing.
type Proxy func(ctx context.Context, req *Request) (*Response, error)

// Middleware wraps a Proxy into another.
type Middleware func(next Proxy) Proxy

// Request is the gateway's view of a client request, as handed to backends.
//
// Stages that change a Request for one backend must Clone it first: the same
// Request value is shared by every backend of an endpoint.
type Request struct {
	// Method is the HTTP method the backend is called with.
	Method string
	// Path is the client's request path, as received.
	Path string
	// Params holds the request's placeholder values: the endpoint's path
	// params, then the earlier responses' fields the sequential stage adds.
	Params Params
	// Query holds the query strings the endpoint lets through.
	Query url.Values
	// Headers holds the headers the endpoint lets through (and those the
	// gateway sets, such as X-Forwarded-For).
	Headers http.Header
	// Body is the client's request body, read whole (bounded by the
	// endpoint's body limit) so that every backend can send it.
	Body []byte
	// Authorizer is the answer of the endpoint's Lambda authorizer
	// (lambdagate/authorizer) that let the request through; nil without
	// one. Shared by the requests served from one cached answer, and by
	// Clone: read it, never change it.
	Authorizer *AuthorizerResult
	// RemoteAddr is the client's address (ip:port) as seen by the server.
	RemoteAddr string
	// ClientIP is the client's IP as the router's client-IP options
	// resolve it (trusted proxies' forwarding headers), the one sent as
	// X-Forwarded-For; "" when the request did not come through an
	// endpoint (then RemoteAddr's host is the client's).
	ClientIP string
	// Host is the Host the client asked for.
	Host string
	// ID is the gateway's id of the request (the access log's request_id),
	// for logs and traces. Backends receive it, as X-Request-Id in Headers,
	// only when SendID is set (lambdagate/server backend_request_id):
	// KrakenD sends no such header.
	ID string
	// SendID says Headers carries ID as X-Request-Id, which every
	// backend's input_headers then keeps.
	SendID bool
	// Claims are the claims of the request's JWT, validated by the
	// endpoint's auth/validator (nil without one): for url_pattern
	// placeholders and the authorizer context of Lambda events. They are
	// shared by every request with the same token: read them, never change
	// them (Clone shares them too).
	Claims map[string]any
	// HeaderNames spells the names of Headers as the client sent them, for
	// the events that show them so (API Gateway's payload 1.0); nil: as
	// Headers holds them, canonical.
	HeaderNames HeaderSpelling
	// UserAgent is the client's User-Agent as received ("" when it sent
	// none), whichever headers the endpoint lets through: Headers carries
	// the gateway's own.
	UserAgent string
	// URL, when set, is the absolute URL an HTTP backend calls instead of
	// the one its url_pattern and host build (a Lua script's
	// request:url(v)); "" builds it from the url_pattern. Other kinds of
	// backend ignore it.
	URL string
}

// HeaderSpelling gives a header's name as the client spelt it.
type HeaderSpelling interface {
	// Spelling returns the name the client sent for the canonical name.
	Spelling(canonical string) string
}

// Clone returns a copy of r whose maps can be changed without touching r.
// Body is shared: stages must never write into it.
func (r *Request) Clone() *Request {
	c := *r
	c.Params = append(Params(nil), r.Params...)
	c.Query = cloneValues(r.Query)
	c.Headers = r.Headers.Clone()
	return &c
}

// Params are a request's placeholder values by slot, the slots of
// config.Endpoint.Placeholders: the endpoint's path params in path order,
// then the earlier responses' fields ({respN_field}) a sequential endpoint
// adds as its backends answer. Placeholders are resolved to slots at
// start-up, so that a request's path param is stored once, whichever
// spelling reads it ({id} or KrakenD's {Id}). A slot past the end is not
// set.
type Params []string

// Value returns the value in slot, "" when the slot is not set.
func (p Params) Value(slot int) string {
	if slot < 0 || slot >= len(p) {
		return ""
	}
	return p[slot]
}

// set returns p with v in slot; slots before it that were not set are set
// to "".
func (p Params) set(slot int, v string) Params {
	for len(p) <= slot {
		p = append(p, "")
	}
	p[slot] = v
	return p
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Response is what a backend, or a whole endpoint, answered.
type Response struct {
	// Data is the decoded and shaped response. Numbers are json.Number so
	// that they are written back exactly as the backend wrote them.
	Data map[string]any
	// IsComplete is false when a backend failed or was cut by the timeout
	// and Data holds only what the others answered.
	IsComplete bool
	// Raw is the reply's bytes, as the backend wrote them, when they are
	// not decoded into Data. A transport returns its reply in Raw (or as a
	// stream in Body); after the decoding stage Raw is set only when the
	// bytes pass through to the client: a JSON object on the pass-through
	// path (see Decoding.PassThrough), or a no-op backend's reply.
	Raw []byte
	// Metadata carries the backend's status code and headers.
	Metadata Metadata
	// Body is the reply as a stream, when a transport does not read it
	// whole (HTTP). The decoding stage consumes it; with encoding no-op it
	// reaches the output untouched. Whoever ends up with a non-nil Body
	// must close it.
	Body io.ReadCloser
}

// Metadata is the part of a backend's reply that is not its body.
type Metadata struct {
	// StatusCode is the backend's HTTP status (or the status an unwrapped
	// Lambda result chose).
	StatusCode int
	// Headers are the backend's response headers.
	Headers http.Header
}
