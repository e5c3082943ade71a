package http

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// template is a url_pattern prepared at start-up: literal pieces and the
// params between them, for the path and for the query part.
type template struct {
	path  []piece
	query []piece
}

type piece struct {
	literal string
	param   string // when non-empty, the Params key to fill with
}

// parseTemplate prepares a url_pattern. Every placeholder must be one of the
// endpoint's params (exact name or KrakenD's title-cased one), or, on a
// sequential endpoint, {respN_field} naming an earlier backend.
func parseTemplate(pattern string, e *config.Endpoint, sequential bool, index int) (template, error) {
	var t template
	names, err := config.URLPlaceholders(pattern)
	if err != nil {
		return t, err
	}
	params := map[string]string{}
	for _, p := range e.Params {
		params[p] = p
		params[proxy.TitleCase(p)] = p
	}
	var errs []string
	for _, n := range names {
		if _, ok := params[n]; ok {
			continue
		}
		if sp, ok := proxy.ParseSequentialParam(strings.ToLower(n[:1]) + n[1:]); ok {
			switch {
			case !sequential:
				errs = append(errs, fmt.Sprintf("placeholder {%s} reads an earlier backend's response, which needs the endpoint's extra_config.proxy.sequential: true", n))
			case sp.Backend >= index:
				errs = append(errs, fmt.Sprintf("placeholder {%s} reads backend %d, which is not called before this one (backend %d)", n, sp.Backend, index))
			}
			continue
		}
		errs = append(errs, fmt.Sprintf("placeholder {%s} is not in the endpoint path %s", n, e.Path))
	}
	if len(errs) > 0 {
		return t, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	pathPart, queryPart, _ := strings.Cut(pattern, "?")
	t.path = split(pathPart)
	t.query = split(queryPart)
	return t, nil
}

func split(s string) []piece {
	var out []piece
	for s != "" {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			out = append(out, piece{literal: s})
			break
		}
		if open > 0 {
			out = append(out, piece{literal: s[:open]})
		}
		end := strings.IndexByte(s[open:], '}') + open
		out = append(out, piece{param: s[open+1 : end]})
		s = s[end+1:]
	}
	return out
}

// fill builds the backend URL: the host, the filled path, the url_pattern's
// own query (filled) and the forwarded query strings, sorted by name.
func (t template) fill(host string, params map[string]string, q url.Values) string {
	var b strings.Builder
	b.Grow(len(host) + 64)
	b.WriteString(host)
	for _, p := range t.path {
		if p.param == "" {
			b.WriteString(p.literal)
			continue
		}
		b.WriteString(url.PathEscape(lookupParam(params, p.param)))
	}
	sep := byte('?')
	if len(t.query) > 0 {
		b.WriteByte(sep)
		sep = '&'
		for _, p := range t.query {
			if p.param == "" {
				b.WriteString(p.literal)
				continue
			}
			b.WriteString(url.QueryEscape(lookupParam(params, p.param)))
		}
	}
	if len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range q[k] {
				b.WriteByte(sep)
				sep = '&'
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}

func lookupParam(params map[string]string, name string) string {
	if v, ok := params[name]; ok {
		return v
	}
	return params[proxy.TitleCase(name)]
}
