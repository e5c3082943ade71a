package authorizer

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// source is one identity source: a request header or query string.
type source struct {
	// expr is the source as the options write it.
	expr string
	// header says the source is a header (name canonical), else a query
	// string (name exact).
	header bool
	name   string
	// rest says expr is in a REST API's syntax (method.request.*).
	rest bool
}

// The prefixes of the identity sources lambdagate reads.
const (
	httpHeaderPrefix = "$request.header."
	httpQueryPrefix  = "$request.querystring."
	restHeaderPrefix = "method.request.header."
	restQueryPrefix  = "method.request.querystring."
)

// parseSource reads one identity_source entry for the payload format
// version.
func parseSource(expr, version string) (source, error) {
	s := source{expr: expr}
	var name string
	var ok bool
	switch {
	case strings.HasPrefix(expr, httpHeaderPrefix):
		name, s.header = expr[len(httpHeaderPrefix):], true
	case strings.HasPrefix(expr, httpQueryPrefix):
		name = expr[len(httpQueryPrefix):]
	case strings.HasPrefix(expr, restHeaderPrefix):
		name, s.header, s.rest = expr[len(restHeaderPrefix):], true, true
	case strings.HasPrefix(expr, restQueryPrefix):
		name, s.rest = expr[len(restQueryPrefix):], true
	default:
		return s, fmt.Errorf("%q is not an identity source lambdagate reads: use $request.header.NAME or $request.querystring.NAME (stage variables, context variables and path parameters are not identity sources here)", expr)
	}
	if s.rest && version == Version2 {
		return s, fmt.Errorf("%q is a REST API's syntax, which payload 2.0 does not take: write $request.%s", expr, strings.TrimPrefix(expr, "method.request."))
	}
	if s.header {
		ok = validHeaderName(name)
		s.name = http.CanonicalHeaderKey(name)
	} else {
		ok = name != ""
		s.name = name
	}
	if !ok {
		return s, fmt.Errorf("%q names no valid header or query string", expr)
	}
	return s, nil
}

// value returns the source's value in r, "" when the request lacks it.
// Repeated headers and query strings are joined with commas, as HTTP APIs
// join them.
func (s *source) value(r *http.Request) string {
	if s.header {
		return strings.Join(r.Header[s.name], ",")
	}
	return queryValue(r.URL.RawQuery, s.name)
}

// queryValue returns the values of the query string name in a raw query,
// joined with commas, without parsing the rest of the query.
func queryValue(raw, name string) string {
	var out string
	found := false
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			if !strings.ContainsAny(k, "%+") {
				continue
			}
			if u, err := url.QueryUnescape(k); err != nil || u != name {
				continue
			}
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			v = u
		}
		if found {
			out += "," + v
		} else {
			out, found = v, true
		}
	}
	return out
}
