package backend

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdagate/lambdagate/proxy"
)

// gatewayHeaders are the headers the gateway sets on every backend call
// itself: a backend's input_headers never filters them out.
// The gateway's X-Request-Id is kept too when the request carries it
// (proxy.Request.SendID); a client's is filtered like any other header.
var gatewayHeaders = []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Via", "User-Agent"}

// newRequestFilter returns the stage that narrows the endpoint's forwarded
// headers and query strings to a backend's own input_headers and
// input_query_strings, for every kind of backend: what a transport sees
// (an HTTP call's headers, a Lambda payload's) is what the backend lets
// through. It returns nil when the backend narrows nothing.
func newRequestFilter(headers, query []string) proxy.Middleware {
	narrow := newNarrower(headers, query)
	if narrow == nil {
		return nil
	}
	return func(next proxy.Proxy) proxy.Proxy {
		return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
			return next(ctx, narrow(req))
		}
	}
}

// newNarrower returns the function newRequestFilter applies: a shallow
// copy of the request with its own header and query maps, narrowed (the
// endpoint's Request is shared by its backends); nil when the backend
// narrows nothing.
func newNarrower(headers, query []string) func(*proxy.Request) *proxy.Request {
	keepHeader := headerSet(headers)
	keepQuery := querySet(query)
	if keepHeader == nil && keepQuery == nil {
		return nil
	}
	return func(req *proxy.Request) *proxy.Request {
		r := *req
		if keepHeader != nil {
			r.Headers = make(http.Header, len(keepHeader))
			for k, v := range req.Headers {
				if keepHeader[k] {
					r.Headers[k] = v
				}
			}
			if req.SendID {
				if v, ok := req.Headers["X-Request-Id"]; ok {
					r.Headers["X-Request-Id"] = v
				}
			}
		}
		if keepQuery != nil && req.Query != nil {
			r.Query = make(url.Values, len(keepQuery))
			for k, v := range req.Query {
				if keepQuery[k] {
					r.Query[k] = v
				}
			}
		}
		return &r
	}
}

// headerSet is the set of canonical header names a backend's input_headers
// keeps, the gateway's own included; nil when it keeps all (not set, or
// "*").
func headerSet(allowed []string) map[string]bool {
	if allowed == nil {
		return nil
	}
	keep := make(map[string]bool, len(allowed)+len(gatewayHeaders))
	for _, h := range gatewayHeaders {
		keep[h] = true
	}
	for _, a := range allowed {
		if a == "*" {
			return nil
		}
		keep[http.CanonicalHeaderKey(a)] = true
	}
	return keep
}

// querySet is the set of query-string names a backend's
// input_query_strings keeps; nil when it keeps all (not set, or "*").
func querySet(allowed []string) map[string]bool {
	if allowed == nil {
		return nil
	}
	keep := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		if a == "*" {
			return nil
		}
		keep[a] = true
	}
	return keep
}
