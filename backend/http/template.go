package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
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
	slot    int      // the Params slot to fill with; -1 for a literal or a claim
	claim   []string // a {JWT.x} claim's path in the token's claims
	name    string   // the claim placeholder's name, for errors
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
		case p.Kind == config.ClaimPlaceholder && !e.ValidatesJWT():
			errs = append(errs, fmt.Sprintf("placeholder {%s} reads a claim of the request's JWT, which needs the endpoint's extra_config auth/validator", n))
		}
		// A field no request of the endpoint carries (Slot -1) fills as "".
		pc := piece{slot: p.Slot}
		if p.Kind == config.ClaimPlaceholder {
			pc = piece{slot: -1, claim: strings.Split(p.Field, "."), name: n}
		}
		if inQuery {
			t.query = append(t.query, pc)
		} else {
			t.path = append(t.path, pc)
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

// errMissingClaim is a {JWT.x} placeholder whose claim the request's token
// lacks (or holds as an object or a whole array): the client's 400, as
// KrakenD answers a missing dynamic-routing variable.
type errMissingClaim struct{ name string }

func (e errMissingClaim) Error() string {
	return fmt.Sprintf("the token has no claim for the url_pattern placeholder {%s}", e.name)
}

// claimValue returns the text of the claim at path in claims: a string as
// is, a number in its shortest form, a bool as true/false. Objects and
// arrays are walked by key and by index (roles.0); a key holding dots
// matches whole; an object or array left at the end of the path, like an
// absent claim, reports false.
func claimValue(claims map[string]any, path []string) (string, bool) {
	var v any = claims
	for i := 0; i < len(path); i++ {
		k := path[i]
		switch c := v.(type) {
		case map[string]any:
			// A claim named with dots (a namespaced claim such as
			// "http://example.com/custom") is taken whole first.
			if i < len(path)-1 {
				if x, ok := c[strings.Join(path[i:], ".")]; ok {
					v, i = x, len(path)
					break
				}
			}
			x, ok := c[k]
			if !ok {
				return "", false
			}
			v = x
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return "", false
			}
			v = c[i]
		default:
			return "", false
		}
	}
	switch c := v.(type) {
	case string:
		return c, true
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64), true
	case json.Number:
		return c.String(), true
	case bool:
		return strconv.FormatBool(c), true
	}
	return "", false
}

// value returns a placeholder piece's unescaped value.
func (p piece) value(params proxy.Params, claims map[string]any) (string, error) {
	if p.claim == nil {
		return params.Value(p.slot), nil
	}
	v, ok := claimValue(claims, p.claim)
	if !ok {
		return "", &proxy.StatusError{Status: http.StatusBadRequest, Err: errMissingClaim{p.name}}
	}
	return v, nil
}

// fill builds the backend URL: the host, the filled path, the url_pattern's
// own query (filled) and the forwarded query strings, sorted by name. Its
// {JWT.x} placeholders read claims; a claim the token lacks is an error
// (a *proxy.StatusError, 400).
func (t template) fill(host string, params proxy.Params, q url.Values, claims map[string]any) (string, error) {
	var b strings.Builder
	b.Grow(len(host) + 64)
	b.WriteString(host)
	for _, p := range t.path {
		if p.slot < 0 && p.claim == nil {
			b.WriteString(p.literal)
			continue
		}
		v, err := p.value(params, claims)
		if err != nil {
			return "", err
		}
		b.WriteString(url.PathEscape(v))
	}
	sep := byte('?')
	if len(t.query) > 0 {
		b.WriteByte(sep)
		sep = '&'
		for _, p := range t.query {
			if p.slot < 0 && p.claim == nil {
				b.WriteString(p.literal)
				continue
			}
			v, err := p.value(params, claims)
			if err != nil {
				return "", err
			}
			b.WriteString(url.QueryEscape(v))
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
	return b.String(), nil
}
