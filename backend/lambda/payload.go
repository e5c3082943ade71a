package lambda

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/apigw"
	"github.com/lambdagate/lambdagate/internal/jsonscan"
	"github.com/lambdagate/lambdagate/proxy"
)

// payloadBuilder turns a gateway request into an invocation payload.
// traceHeader, when set, is the X-Amzn-Trace-Id the invocation carries:
// the API Gateway events show it among their headers, as API Gateway does.
type payloadBuilder func(req *proxy.Request, traceHeader string) ([]byte, error)

// route is what the payloads need of the endpoint.
type route struct {
	pattern string   // the endpoint path, with {placeholders}
	params  []string // its placeholder names: the first slots of a request's params
	keys    []string // the krakend GET payload's key of each slot of a request's params
}

// payloadKeys returns the krakend GET payload's key of each slot of e's
// requests' params: its placeholder's name, lower-cased as KrakenD does.
func payloadKeys(e *config.Endpoint) []string {
	var keys []string
	for _, p := range e.Placeholders() {
		keys = append(keys, strings.ToLower(p.Name))
	}
	return keys
}

// newPayloadBuilder returns the builder of a payload format, decided once
// per backend. backendMethod is the backend's method.
func newPayloadBuilder(format, backendMethod string, r route) payloadBuilder {
	switch format {
	case FormatAPIGatewayV1:
		return func(req *proxy.Request, traceHeader string) ([]byte, error) {
			ev := apiGatewayV1Event(req, r, apigw.RequestID(), time.Now())
			addLambdaAuthorizerV1(&ev.RequestContext, req.Authorizer)
			if traceHeader != "" {
				if ev.Headers == nil {
					ev.Headers, ev.MultiValueHeaders = map[string]string{}, map[string][]string{}
				}
				ev.Headers[traceHeaderName] = traceHeader
				ev.MultiValueHeaders[traceHeaderName] = []string{traceHeader}
			}
			return json.Marshal(v1Wire(ev, req.Body))
		}
	case FormatAPIGatewayV2:
		return func(req *proxy.Request, traceHeader string) ([]byte, error) {
			ev := apiGatewayV2Event(req, r, apigw.RequestID(), time.Now())
			addLambdaAuthorizerV2(&ev.RequestContext, req.Authorizer)
			if traceHeader != "" {
				if ev.Headers == nil {
					ev.Headers = map[string]string{}
				}
				ev.Headers[strings.ToLower(traceHeaderName)] = traceHeader
			}
			return json.Marshal(ev)
		}
	}
	if backendMethod == http.MethodGet {
		return func(req *proxy.Request, _ string) ([]byte, error) { return krakendParamsPayload(req, r.keys) }
	}
	return func(req *proxy.Request, _ string) ([]byte, error) { return krakendBodyPayload(req) }
}

// traceHeaderName is the header that carries the X-Ray trace, on the Invoke
// request and in API Gateway events. Whatever a client sent under it is
// replaced there by the gateway's trace.
const traceHeaderName = "X-Amzn-Trace-Id"

// errBodyNotJSON refuses a krakend payload that Lambda would refuse
// (InvalidRequestContentException) after a paid round trip.
var errBodyNotJSON = &proxy.StatusError{Status: http.StatusBadRequest, Err: errors.New("the request body is not JSON, which the krakend payload format sends to the function as it is")}

// krakendBodyPayload is the seed's payload for any method but GET: the
// request body, unchanged. A body that is not JSON (or not UTF-8, which
// Lambda refuses too) is refused with 400 before invoking; an empty body
// is sent empty.
func krakendBodyPayload(req *proxy.Request) ([]byte, error) {
	if len(req.Body) > 0 && !jsonscan.ValidUTF8(req.Body) {
		return nil, errBodyNotJSON
	}
	return req.Body, nil
}

// krakendParamsPayload is the seed's GET payload: a JSON object of the
// query strings the endpoint lets through (one value → a string, repeated
// → an array of strings) and the params (keys holds each slot's key,
// lower-cased as KrakenD does). A path param wins over a query string of
// the same name, so a client cannot override the placeholder that names
// the function.
func krakendParamsPayload(req *proxy.Request, keys []string) ([]byte, error) {
	if len(req.Params) == 0 && len(req.Query) == 0 {
		return []byte("{}"), nil
	}
	m := make(map[string]any, len(req.Params)+len(req.Query))
	for k, vs := range req.Query {
		switch len(vs) {
		case 0:
		case 1:
			m[k] = vs[0]
		default:
			m[k] = vs
		}
	}
	for i, v := range req.Params {
		if i < len(keys) {
			m[keys[i]] = v
		}
	}
	return json.Marshal(m)
}

// API Gateway constants lambdagate presents to functions.
const (
	apiID     = apigw.APIID
	apiStage  = apigw.Stage
	apiProto  = "HTTP/1.1"
	apiTimeV1 = apigw.TimeFormat
)

// v1EventWire is a REST API event as API Gateway writes it: body null
// when the request has none, isBase64Encoded always present (the events
// package omits false and writes an empty body as "").
type v1EventWire struct {
	*events.APIGatewayProxyRequest
	Body            *string `json:"body"`
	IsBase64Encoded bool    `json:"isBase64Encoded"`
}

func v1Wire(ev *events.APIGatewayProxyRequest, body []byte) *v1EventWire {
	w := &v1EventWire{APIGatewayProxyRequest: ev, IsBase64Encoded: ev.IsBase64Encoded}
	if len(body) > 0 {
		w.Body = &ev.Body
	}
	return w
}

// apiGatewayV1Event is the event of an API Gateway REST API (payload 1.0)
// proxy integration.
func apiGatewayV1Event(req *proxy.Request, r route, requestID string, now time.Time) *events.APIGatewayProxyRequest {
	headers, multi := v1Headers(req)
	query, multiQuery := v1Query(req.Query)
	body, b64 := eventBody(req.Body, req.Headers.Get("Content-Type"))
	now = now.UTC()
	return &events.APIGatewayProxyRequest{
		Resource:                        r.pattern,
		Path:                            req.Path,
		HTTPMethod:                      req.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  pathParams(req, r),
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath:     r.pattern,
			HTTPMethod:       req.Method,
			Path:             req.Path,
			Stage:            apiStage,
			DomainName:       req.Host,
			DomainPrefix:     apigw.DomainPrefix(req.Host),
			RequestID:        requestID,
			Protocol:         apiProto,
			RequestTime:      now.Format(apiTimeV1),
			RequestTimeEpoch: now.UnixMilli(),
			APIID:            apiID,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  sourceIP(req),
				UserAgent: req.UserAgent,
			},
			Authorizer: v1Authorizer(req.Claims),
		},
		Body:            body,
		IsBase64Encoded: b64,
	}
}

// apiGatewayV2Event is the event of an API Gateway HTTP API (payload 2.0).
func apiGatewayV2Event(req *proxy.Request, r route, requestID string, now time.Time) *events.APIGatewayV2HTTPRequest {
	routeKey := req.Method + " " + r.pattern
	body, b64 := eventBody(req.Body, req.Headers.Get("Content-Type"))
	now = now.UTC()
	var cookies []string
	var headers map[string]string
	for k, vs := range req.Headers {
		if k == "Cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		if k == "User-Agent" {
			continue // the client's, below
		}
		if headers == nil {
			headers = make(map[string]string, len(req.Headers)+2)
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if req.UserAgent != "" {
		if headers == nil {
			headers = map[string]string{}
		}
		headers["user-agent"] = req.UserAgent
	}
	if req.Host != "" {
		if headers == nil {
			headers = map[string]string{}
		}
		headers["host"] = req.Host
	}
	var query map[string]string
	if len(req.Query) > 0 {
		query = make(map[string]string, len(req.Query))
		for k, vs := range req.Query {
			query[k] = strings.Join(vs, ",")
		}
	}
	return &events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               req.Path,
		RawQueryString:        req.Query.Encode(),
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        pathParams(req, r),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "anonymous",
			Stage:        apiStage,
			RequestID:    requestID,
			APIID:        apiID,
			DomainName:   req.Host,
			DomainPrefix: apigw.DomainPrefix(req.Host),
			Time:         now.Format(apiTimeV1),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    req.Method,
				Path:      req.Path,
				Protocol:  apiProto,
				SourceIP:  sourceIP(req),
				UserAgent: req.UserAgent,
			},
			Authorizer: v2Authorizer(req.Claims),
		},
		Body:            body,
		IsBase64Encoded: b64,
	}
}

// v1Headers returns the headers as REST API events hold them, under the
// names the client spelt (req.HeaderNames): headers keeps the last value
// of each, multiValueHeaders all of them. Host is added as API Gateway
// does; User-Agent is the client's (the gateway's own is not the client's
// request).
func v1Headers(req *proxy.Request) (map[string]string, map[string][]string) {
	n := len(req.Headers) + 1
	if req.Host != "" {
		n++
	}
	single := make(map[string]string, n)
	multi := make(map[string][]string, n)
	spell := func(k string) string {
		if req.HeaderNames == nil {
			return k
		}
		return req.HeaderNames.Spelling(k)
	}
	for k, vs := range req.Headers {
		if len(vs) == 0 || k == "User-Agent" {
			continue
		}
		name := spell(k)
		single[name] = vs[len(vs)-1]
		multi[name] = vs
	}
	if req.UserAgent != "" {
		name := spell("User-Agent")
		single[name] = req.UserAgent
		multi[name] = []string{req.UserAgent}
	}
	if req.Host != "" {
		name := spell("Host")
		single[name] = req.Host
		multi[name] = []string{req.Host}
	}
	if len(single) == 0 {
		return nil, nil
	}
	return single, multi
}

func v1Query(q url.Values) (map[string]string, map[string][]string) {
	if len(q) == 0 {
		return nil, nil
	}
	single := make(map[string]string, len(q))
	multi := make(map[string][]string, len(q))
	for k, vs := range q {
		if len(vs) == 0 {
			continue
		}
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	return single, multi
}

// pathParams holds the endpoint's placeholders under their exact names.
func pathParams(req *proxy.Request, r route) map[string]string {
	if len(r.params) == 0 {
		return nil
	}
	m := make(map[string]string, len(r.params))
	for i, p := range r.params {
		if i < len(req.Params) {
			m[p] = req.Params[i]
		}
	}
	return m
}

// eventBody returns the body as events carry it, as API Gateway does with
// binary media types: text as is; in base64 with isBase64Encoded a body
// whose Content-Type is not text (textContent), or that is not UTF-8.
func eventBody(b []byte, contentType string) (string, bool) {
	if len(b) == 0 || textContent(contentType) && utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// textContent reports whether a body of this Content-Type is text: none
// given, text/*, JSON, XML, JavaScript, YAML, GraphQL and forms ("+json",
// "+xml" suffixes included); images, audio, video, octet streams,
// multipart and the rest are binary.
func textContent(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" || strings.HasPrefix(mt, "text/") {
		return true
	}
	if strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/ecmascript",
		"application/x-www-form-urlencoded", "application/yaml", "application/x-yaml",
		"application/graphql", "application/x-ndjson", "application/ld+json":
		return true
	}
	return false
}

// sourceIP is the event's sourceIp: the client's address as the router's
// client-IP options resolve it, or the peer's when the request did not
// come through an endpoint.
func sourceIP(req *proxy.Request) string {
	if req.ClientIP != "" {
		return req.ClientIP
	}
	return apigw.SourceIP(req.RemoteAddr)
}
