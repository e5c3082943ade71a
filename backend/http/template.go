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
	slot    int // the Params slot to fill with; -1 for a literal
}

// parseTemplate prepares a url_pattern. Every placeholder must be one of the
// endpoint's params (exact name or KrakenD's title-cased one), or, on a
// sequential endpoint, {respN_field} naming an earlier backend.
func parseTemplate(pattern string, e *config.Endpoint, sequential bool, index int) (template, error) {
	var t template
	parts, err := config.SplitURLPattern(pattern)
	if err != nil {
		return t, err
	}
	var errs []string
	inQuery := false
	for _, part := range parts {
		if part.Placeholder == "" {
			lit := part.Literal
			if !inQuery {
				if before, after, ok := strings.Cut(lit, "?"); ok {
					t.path = appendLiteral(t.path, before)
					lit, inQuery = after, true
				}
			}
			if inQuery {
				t.query = appendLiteral(t.query, lit)
			} else {
				t.path = appendLiteral(t.path, lit)
			}
			continue
		}
		n := part.Placeholder
		p, ok := e.Resolve(n)
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("placeholder {%s} is not in the endpoint path %s", n, e.Path))
		case p.Kind == config.RespPlaceholder && !sequential:
			errs = append(errs, fmt.Sprintf("placeholder {%s} reads an earlier backend's response, which needs the endpoint's extra_config.proxy.sequential: true", n))
		case p.Kind == config.RespPlaceholder && p.Backend >= index:
			errs = append(errs, fmt.Sprintf("placeholder {%s} reads backend %d, which is not called before this one (backend %d)", n, p.Backend, index))
		}
		// A field no request of the endpoint carries (Slot -1) fills as "".
		if inQuery {
			t.query = append(t.query, piece{slot: p.Slot})
		} else {
			t.path = append(t.path, piece{slot: p.Slot})
		}
	}
	if len(errs) > 0 {
		return template{}, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return t, nil
}

func appendLiteral(pieces []piece, s string) []piece {
	if s == "" {
		return pieces
	}
	return append(pieces, piece{literal: s, slot: -1})
}

// fill builds the backend URL: the host, the filled path, the url_pattern's
// own query (filled) and the forwarded query strings, sorted by name.
func (t template) fill(host string, params proxy.Params, q url.Values) string {
	var b strings.Builder
	b.Grow(len(host) + 64)
	b.WriteString(host)
	for _, p := range t.path {
		if p.slot < 0 {
			b.WriteString(p.literal)
			continue
		}
		b.WriteString(url.PathEscape(params.Value(p.slot)))
	}
	sep := byte('?')
	if len(t.query) > 0 {
		b.WriteByte(sep)
		sep = '&'
		for _, p := range t.query {
			if p.slot < 0 {
				b.WriteString(p.literal)
				continue
			}
			b.WriteString(url.QueryEscape(params.Value(p.slot)))
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
