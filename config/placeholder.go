package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Placeholders have their one home here: a url_pattern's {name}s, and the
// options that name a path param, are resolved against their endpoint
// once, at start-up, into Placeholders whose Slot is where a request's
// params (proxy.Params) hold the value. KrakenD's spellings are resolved
// here too: {Id} for the path param {id}, {Resp0_field} for {resp0_field}.

// PlaceholderKind says where a placeholder's value comes from.
type PlaceholderKind uint8

const (
	// ParamPlaceholder is one of the endpoint's path params.
	ParamPlaceholder PlaceholderKind = iota + 1
	// RespPlaceholder is a field of an earlier backend's response, which
	// sequential endpoints fill: {resp0_user.id}.
	RespPlaceholder
	// ClaimPlaceholder is a claim of the request's JWT, validated by the
	// endpoint's auth/validator: KrakenD's {JWT.sub}, {JWT.org.id}. Its
	// value is read from proxy.Request.Claims, not from the params (Slot
	// is -1).
	ClaimPlaceholder
)

// ClaimPrefix starts a ClaimPlaceholder's name: {JWT.sub}.
const ClaimPrefix = "JWT."

// jwtNamespaces are the namespaces that validate an endpoint's JWT (the
// current name and KrakenD's legacy one).
var jwtNamespaces = []string{"auth/validator", "github.com/devopsfaith/krakend-jose/validator"}

// ValidatesJWT reports whether e has a JWT validator (auth/validator, or
// its legacy name) whose claims {JWT.x} placeholders can read.
func (e *Endpoint) ValidatesJWT() bool {
	for _, ns := range jwtNamespaces {
		if e.ExtraConfig.Has(ns) {
			return true
		}
	}
	return false
}

// Placeholder is a placeholder resolved against its endpoint.
type Placeholder struct {
	// Kind says where the value comes from.
	Kind PlaceholderKind
	// Name is the placeholder's own spelling: the endpoint's path param
	// ("id", for {id} and {Id}), or "respN_field" (for {RespN_field} too).
	Name string
	// Slot is the value's index in a request's params; -1 when no request
	// of the endpoint carries it (a field of a backend the endpoint lacks).
	Slot int
	// Backend is the index of the backend whose response holds a
	// RespPlaceholder's value.
	Backend int
	// Field is the dot path of that value in the backend's data, or of
	// a ClaimPlaceholder's claim in the token's claims ("sub", "org.id");
	// "" for a propagated param naming a backend's whole payload
	// ("resp0").
	Field string
	// Propagated marks a RespPlaceholder that only the endpoint's
	// proxy.sequential_propagated_params lists (no url_pattern reads it):
	// a missing field leaves it unset, as in KrakenD, instead of failing
	// the backend.
	Propagated bool
}

// Placeholders lists the values a request of e carries, in slot order: its
// path params in path order, then the distinct response fields its
// backends' url_patterns read and, on a sequential endpoint, those its
// proxy.sequential_propagated_params list, by backend and then in order
// of appearance.
func (e *Endpoint) Placeholders() []Placeholder {
	out := make([]Placeholder, 0, len(e.Params))
	for i, p := range e.Params {
		out = append(out, Placeholder{Kind: ParamPlaceholder, Name: p, Slot: i})
	}
	var resp []Placeholder
	seen := map[string]bool{}
	for _, b := range e.Backend {
		names, _ := URLPlaceholders(b.URLPattern)
		for _, n := range names {
			if _, isParam := ParamIndex(e.Params, n); isParam {
				continue
			}
			p, ok := parseResp(n)
			if !ok || seen[p.Name] || p.Backend >= len(e.Backend) {
				continue
			}
			seen[p.Name] = true
			resp = append(resp, p)
		}
	}
	for _, name := range e.propagatedParams() {
		p, ok := ParsePropagatedParam(name)
		if !ok || seen[p.Name] || p.Backend >= len(e.Backend) {
			continue
		}
		seen[p.Name] = true
		resp = append(resp, p)
	}
	sort.SliceStable(resp, func(i, j int) bool { return resp[i].Backend < resp[j].Backend })
	for _, p := range resp {
		p.Slot = len(out)
		out = append(out, p)
	}
	return out
}

// propagatedParams returns the endpoint's
// proxy.sequential_propagated_params when proxy.sequential is true (KrakenD
// reads them on sequential endpoints only), nil otherwise. Its value is
// checked where the proxy namespace is decoded (gateway).
func (e *Endpoint) propagatedParams() []string {
	raw, ok := e.ExtraConfig.raw["proxy"]
	if !ok {
		return nil
	}
	var o struct {
		Sequential bool     `json:"sequential"`
		Params     []string `json:"sequential_propagated_params"`
	}
	if json.Unmarshal(raw, &o) != nil || !o.Sequential {
		return nil
	}
	return o.Params
}

// ParsePropagatedParam reads a name of proxy.sequential_propagated_params
// as KrakenD's schema writes it: respN_field (a dot path in backend N's
// data) or respN (its whole payload), "Resp" spelt either way. The
// placeholder's Name is the url_pattern spelling (resp0_user.id), so that
// a field a url_pattern reads too shares its slot.
func ParsePropagatedParam(name string) (Placeholder, bool) {
	rest, ok := strings.CutPrefix(name, "resp")
	if !ok {
		rest, ok = strings.CutPrefix(name, "Resp")
	}
	if !ok {
		return Placeholder{}, false
	}
	idx, field, hasField := strings.Cut(rest, "_")
	if idx == "" || (hasField && field == "") || strings.ContainsAny(field, " \t\n\r") {
		return Placeholder{}, false
	}
	for _, c := range idx {
		if c < '0' || c > '9' {
			return Placeholder{}, false
		}
	}
	n, err := strconv.Atoi(idx)
	if err != nil {
		return Placeholder{}, false
	}
	return Placeholder{Kind: RespPlaceholder, Name: "resp" + rest, Backend: n, Field: field, Propagated: true}, true
}

// Resolve resolves a placeholder as a url_pattern writes it, without its
// braces: one of e's path params, by its exact name or KrakenD's
// title-cased one, else a JWT claim (JWT.sub), else a response field. It
// reports false for any other name.
func (e *Endpoint) Resolve(name string) (Placeholder, bool) {
	if i, ok := ParamIndex(e.Params, name); ok {
		return Placeholder{Kind: ParamPlaceholder, Name: e.Params[i], Slot: i}, true
	}
	if p, ok := parseClaim(name); ok {
		return p, true
	}
	p, ok := parseResp(name)
	if !ok {
		return Placeholder{}, false
	}
	p.Slot = -1
	for _, q := range e.Placeholders() {
		if q.Kind == RespPlaceholder && q.Name == p.Name {
			p.Slot = q.Slot
		}
	}
	return p, true
}

// ParamIndex returns the index in params of the path param that name
// designates: the one named so, else the one whose KrakenD title-cased
// name it is ({Id} for {id}).
func ParamIndex(params []string, name string) (int, bool) {
	for i, p := range params {
		if p == name {
			return i, true
		}
	}
	for i, p := range params {
		if TitleCase(p) == name {
			return i, true
		}
	}
	return -1, false
}

// TitleCase upper-cases the first letter of a placeholder name, as KrakenD
// exposes path params to backends ({foo_bar} → Foo_bar).
func TitleCase(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		return string(c-'a'+'A') + s[1:]
	}
	return s
}

// parseClaim recognises JWT.claim, with a dot path into nested claims
// (JWT.org.id) and array indexes (JWT.roles.0); no empty segment. A claim
// whose own name holds dots (JWT.http://example.com/custom) is found
// whole before the path is walked.
func parseClaim(name string) (Placeholder, bool) {
	field, ok := strings.CutPrefix(name, ClaimPrefix)
	if !ok || field == "" {
		return Placeholder{}, false
	}
	for _, k := range strings.Split(field, ".") {
		if k == "" {
			return Placeholder{}, false
		}
	}
	return Placeholder{Kind: ClaimPlaceholder, Name: name, Slot: -1, Field: field}, true
}

// parseResp recognises respN_field, or KrakenD's RespN_field; its Slot is
// left to the caller.
func parseResp(name string) (Placeholder, bool) {
	rest, ok := strings.CutPrefix(name, "resp")
	if !ok {
		rest, ok = strings.CutPrefix(name, "Resp")
	}
	if !ok {
		return Placeholder{}, false
	}
	idx, field, ok := strings.Cut(rest, "_")
	if !ok || idx == "" || field == "" {
		return Placeholder{}, false
	}
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 {
		return Placeholder{}, false
	}
	return Placeholder{Kind: RespPlaceholder, Name: "resp" + rest, Backend: n, Field: field}, true
}

// PatternPart is a piece of a url_pattern: literal text, or a placeholder.
type PatternPart struct {
	// Literal is the text of a literal piece.
	Literal string
	// Placeholder is the name of a placeholder, without its braces; ""
	// for a literal piece.
	Placeholder string
}

// SplitURLPattern splits a url_pattern into its literal text and its
// {placeholder}s, in order.
func SplitURLPattern(pattern string) ([]PatternPart, error) {
	var parts []PatternPart
	rest := pattern
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return nil, fmt.Errorf("%q has a } with no {", pattern)
			}
			if rest != "" {
				parts = append(parts, PatternPart{Literal: rest})
			}
			return parts, nil
		}
		if strings.IndexByte(rest[:open], '}') >= 0 {
			return nil, fmt.Errorf("%q has a } with no {", pattern)
		}
		close := strings.IndexByte(rest[open:], '}')
		if close < 0 {
			return nil, fmt.Errorf("%q has a { with no }", pattern)
		}
		name := rest[open+1 : open+close]
		// A claim may be named by a URL ({JWT.http://example.com/roles}),
		// as namespaced claims are; any other name holds no slash.
		if name == "" || strings.ContainsAny(name, "{ ") || (strings.IndexByte(name, '/') >= 0 && !strings.HasPrefix(name, ClaimPrefix)) {
			return nil, fmt.Errorf("%q: placeholder {%s} is not a name", pattern, name)
		}
		if open > 0 {
			parts = append(parts, PatternPart{Literal: rest[:open]})
		}
		parts = append(parts, PatternPart{Placeholder: name})
		rest = rest[open+close+1:]
	}
}

// URLPlaceholders returns the {placeholder} names of a url_pattern, in order.
func URLPlaceholders(pattern string) ([]string, error) {
	parts, err := SplitURLPattern(pattern)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range parts {
		if p.Placeholder != "" {
			names = append(names, p.Placeholder)
		}
	}
	return names, nil
}
