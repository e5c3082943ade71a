package authorizer

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/internal/apigw"
	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// The events an authorizer function receives, as API Gateway sends them
// (docs/lambda.md, "Lambda authorizers", shows each).

// tokenEventJSON is a REST API TOKEN authorizer's event.
type tokenEventJSON struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodArn          string `json:"methodArn"`
}

// requestEventV1 is a REQUEST authorizer's event in payload 1.0: a REST
// API's, or with Version, IdentitySource and AuthorizationToken set an
// HTTP API's.
type requestEventV1 struct {
	Version                         string              `json:"version,omitempty"`
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	IdentitySource                  string              `json:"identitySource,omitempty"`
	AuthorizationToken              string              `json:"authorizationToken,omitempty"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders,omitempty"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters,omitempty"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  requestContextV1    `json:"requestContext"`
}

type requestContextV1 struct {
	Path             string     `json:"path"`
	AccountID        string     `json:"accountId"`
	ResourceID       string     `json:"resourceId"`
	Stage            string     `json:"stage"`
	RequestID        string     `json:"requestId"`
	Identity         identityV1 `json:"identity"`
	ResourcePath     string     `json:"resourcePath"`
	HTTPMethod       string     `json:"httpMethod"`
	APIID            string     `json:"apiId"`
	DomainName       string     `json:"domainName"`
	Protocol         string     `json:"protocol"`
	RequestTime      string     `json:"requestTime"`
	RequestTimeEpoch int64      `json:"requestTimeEpoch"`
}

type identityV1 struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// requestEventV2JSON is an HTTP API REQUEST authorizer's event in payload
// 2.0.
type requestEventV2JSON struct {
	Version               string            `json:"version"`
	Type                  string            `json:"type"`
	RouteArn              string            `json:"routeArn"`
	IdentitySource        []string          `json:"identitySource"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContextV2  `json:"requestContext"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

type requestContextV2 struct {
	AccountID    string `json:"accountId"`
	APIID        string `json:"apiId"`
	DomainName   string `json:"domainName"`
	DomainPrefix string `json:"domainPrefix"`
	HTTP         httpV2 `json:"http"`
	RequestID    string `json:"requestId"`
	RouteKey     string `json:"routeKey"`
	Stage        string `json:"stage"`
	Time         string `json:"time"`
	TimeEpoch    int64  `json:"timeEpoch"`
}

type httpV2 struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// eventFor is one request, as the events describe it.
type eventFor struct {
	r         *http.Request
	params    []string // the endpoint's path params, in order
	values    []string // the identity sources' values, in order
	methodARN string
	now       time.Time
}

// event returns the JSON event of a request for the authorizer's kind.
func (a *Authorizer) event(in eventFor) ([]byte, error) {
	r := in.r
	switch a.kind {
	case tokenEvent:
		return json.Marshal(tokenEventJSON{Type: "TOKEN", AuthorizationToken: in.values[0], MethodArn: in.methodARN})
	case requestEventV2:
		return json.Marshal(a.eventV2(in))
	}
	now := in.now.UTC()
	ev := requestEventV1{
		Type:           "REQUEST",
		MethodArn:      in.methodARN,
		Resource:       a.route,
		Path:           r.URL.Path,
		HTTPMethod:     r.Method,
		PathParameters: a.pathParams(in.params),
		RequestContext: requestContextV1{
			Path:             r.URL.Path,
			AccountID:        a.accountID,
			Stage:            a.stage,
			RequestID:        apigw.RequestID(),
			Identity:         identityV1{SourceIP: a.clientIP.ClientIP(r), UserAgent: r.UserAgent()},
			ResourcePath:     a.route,
			HTTPMethod:       r.Method,
			APIID:            a.apiID,
			DomainName:       r.Host,
			Protocol:         r.Proto,
			RequestTime:      now.Format(apigw.TimeFormat),
			RequestTimeEpoch: now.UnixMilli(),
		},
	}
	ev.Headers, ev.MultiValueHeaders = headersV1(r)
	query := r.URL.Query()
	if len(query) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(query))
		for k, vs := range query {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
		}
		ev.MultiValueQueryStringParameters = query
	}
	if a.kind == requestEventHTTP1 {
		// An HTTP API's 1.0 format: no multi-value maps, and the identity
		// sources' values joined with commas.
		ev.Version = Version1
		ev.MultiValueHeaders, ev.MultiValueQueryStringParameters = nil, nil
		ev.IdentitySource = strings.Join(in.values, ",")
		ev.AuthorizationToken = ev.IdentitySource
	}
	return json.Marshal(ev)
}

// eventV2 is the payload 2.0 event of a request.
func (a *Authorizer) eventV2(in eventFor) *requestEventV2JSON {
	r := in.r
	now := in.now.UTC()
	routeKey := r.Method + " " + a.route
	ev := &requestEventV2JSON{
		Version:        Version2,
		Type:           "REQUEST",
		RouteArn:       in.methodARN,
		IdentitySource: in.values,
		RouteKey:       routeKey,
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        make(map[string]string, len(r.Header)+1),
		PathParameters: a.pathParams(in.params),
		RequestContext: requestContextV2{
			AccountID:    a.accountID,
			APIID:        a.apiID,
			DomainName:   r.Host,
			DomainPrefix: apigw.DomainPrefix(r.Host),
			HTTP: httpV2{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
				SourceIP: a.clientIP.ClientIP(r), UserAgent: r.UserAgent(),
			},
			RequestID: apigw.RequestID(),
			RouteKey:  routeKey,
			Stage:     a.stage,
			Time:      now.Format(apigw.TimeFormat),
			TimeEpoch: now.UnixMilli(),
		},
	}
	for k, vs := range r.Header {
		if k == "Cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	if query := r.URL.Query(); len(query) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(query))
		for k, vs := range query {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	return ev
}

// headersV1 returns a request's headers as REST API events hold them,
// under the names the client spelt (lower case over HTTP/2; as the server
// recorded them, internal/wirenames): the last value of each, and all of
// them; Host included.
func headersV1(r *http.Request) (map[string]string, map[string][]string) {
	spell := func(k string) string { return k }
	if r.ProtoMajor >= 2 {
		spell = wirenames.Lower{}.Spelling
	} else if n := wirenames.FromContext(r.Context()); n != nil && n.Len() > 0 {
		spell = n.Spelling
	}
	single := make(map[string]string, len(r.Header)+1)
	multi := make(map[string][]string, len(r.Header)+1)
	for k, vs := range r.Header {
		if len(vs) > 0 {
			name := spell(k)
			single[name], multi[name] = vs[len(vs)-1], vs
		}
	}
	if r.Host != "" {
		name := spell("Host")
		single[name], multi[name] = r.Host, []string{r.Host}
	}
	return single, multi
}

// pathParams holds the endpoint's path params under their names.
func (a *Authorizer) pathParams(values []string) map[string]string {
	if len(a.params) == 0 {
		return nil
	}
	m := make(map[string]string, len(a.params))
	for i, p := range a.params {
		if i < len(values) {
			m[p] = values[i]
		}
	}
	return m
}
