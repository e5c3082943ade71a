// Package router matches a request's method and path to an endpoint, with
// KrakenD's path rules: {placeholder} segments, 404 and 405 answers, and
// 301/307 redirects for paths that differ from a route only in letter case
// or a trailing slash.
//
// A Route carries what the layers before its handler need to know of it
// (its body limit), so that a request is matched once: by ServeHTTP, or
// by the server's header hook (Preroute), which names the route in the
// request's Pattern for ServeHTTP.
//
// Path parameters are checked here, once, before any handler runs: a value
// that is URL-encoded (and so could hide /, ?, #, NUL or invalid UTF-8), or
// that is "." or "..", gets 400 and never reaches a backend URL or a
// function name. This package must not know what an endpoint does.
package router

import (
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
)

// Handler serves a matched route. params holds the values of the route's
// placeholders, in the order they appear in its pattern; it is the
// request's own, and the handler may keep it.
type Handler func(w http.ResponseWriter, r *http.Request, params []string)

// Route is one route: what serves it, and what the layers that run before
// its handler need to know of it. Those layers (body limits today; CORS,
// auth or rate limits later) add their fields here, so that a request is
// matched once and every layer reads its route.
type Route struct {
	// Method is the HTTP method the route serves ("GET").
	Method string
	// Pattern is the path, with {placeholder} segments ("/users/{id}").
	Pattern string
	// Handler serves the route's requests.
	Handler Handler
	// MaxBodyBytes bounds the route's request bodies; 0 leaves the
	// server's limit.
	MaxBodyBytes int64

	// name is "Method Pattern", as a pre-routed request's Pattern holds it.
	name string
	// params are the indexes of the placeholder segments, in order.
	params []int
	// segments is the number of segments of Pattern.
	segments int
}

// Options are the router's switches: KrakenD's "router" namespace names.
type Options struct {
	// DisableRedirectFixedPath stops redirecting paths that differ from a
	// route only in letter case or in . and .. segments.
	DisableRedirectFixedPath bool
	// DisableRedirectTrailingSlash stops redirecting /a/ to /a and back.
	DisableRedirectTrailingSlash bool
	// DisableMethodNotAllowed answers 404 instead of 405 for a known path
	// with another method.
	DisableMethodNotAllowed bool
	// RemoveExtraSlash matches a path with empty segments ("//") or . and
	// .. segments as its cleaned form, without redirecting (KrakenD's
	// remove_extra_slash, gin's RemoveExtraSlash).
	RemoveExtraSlash bool
	// DisablePathDecoding lets URL-encoded path parameter values through
	// to the handler instead of answering 400 (KrakenD's
	// disable_path_decoding). The . and .. values are refused still.
	DisablePathDecoding bool
	// NotFoundBody and MethodNotAllowedBody, when set, are the JSON bodies
	// of 404 and 405 answers (KrakenD's error_body), written as
	// application/json instead of the default text.
	NotFoundBody, MethodNotAllowedBody []byte
}

// Router is a tree of routes. Build it with Add or Handle, then serve with
// it; routes must not be added once it serves.
type Router struct {
	opts   Options
	root   *node
	byName map[string]*Route
	// onWalk, when set, is called on every match of a method and path
	// (tests count them).
	onWalk func()
}

type node struct {
	static map[string]*node
	lower  map[string]*node // static children by lower-cased segment
	param  *node
	routes map[string]*Route // by method
}

// New returns an empty Router.
func New(opts Options) *Router {
	return &Router{opts: opts, root: &node{}, byName: map[string]*Route{}}
}

// Handle adds the route of method and pattern ("/users/{id}"), served by
// h, with no metadata of its own.
func (rt *Router) Handle(method, pattern string, h Handler) {
	rt.Add(Route{Method: method, Pattern: pattern, Handler: h})
}

// Add adds a route; a route of the same method and pattern is replaced.
// Placeholders must be whole segments; the config package has checked
// that.
func (rt *Router) Add(r Route) {
	route := &r
	segs := segments(r.Pattern)
	route.name, route.params, route.segments = r.Method+" "+r.Pattern, nil, len(segs)
	n := rt.root
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
			route.params = append(route.params, i)
			continue
		}
		if n.static == nil {
			n.static = map[string]*node{}
			n.lower = map[string]*node{}
		}
		child, ok := n.static[seg]
		if !ok {
			child = &node{}
			n.static[seg] = child
			if _, taken := n.lower[strings.ToLower(seg)]; !taken {
				n.lower[strings.ToLower(seg)] = child
			}
		}
		n = child
	}
	if n.routes == nil {
		n.routes = map[string]*Route{}
	}
	n.routes[r.Method] = route
	rt.byName[route.name] = route
}

// AddAutoOptions adds, for every path that has routes but no OPTIONS one,
// an OPTIONS route answering 200 with an Allow header listing the path's
// methods (KrakenD's auto_options). Call it once every route is added.
func (rt *Router) AddAutoOptions() {
	var walk func(n *node)
	var add []Route
	walk = func(n *node) {
		if n.routes != nil && n.routes[http.MethodOptions] == nil {
			methods := make([]string, 0, len(n.routes))
			var pattern string
			for m, r := range n.routes {
				methods = append(methods, m)
				pattern = r.Pattern
			}
			sort.Strings(methods)
			allow := []string{strings.Join(methods, ", ")}
			add = append(add, Route{Method: http.MethodOptions, Pattern: pattern, Handler: func(w http.ResponseWriter, _ *http.Request, _ []string) {
				w.Header()["Allow"] = allow
				w.WriteHeader(http.StatusOK)
			}})
		}
		for _, c := range n.static {
			walk(c)
		}
		if n.param != nil {
			walk(n.param)
		}
	}
	walk(rt.root)
	for _, r := range add {
		rt.Add(r)
	}
}

// Lookup returns the route that serves method on the escaped path p, as
// ServeHTTP matches it (no redirects).
func (rt *Router) Lookup(method, p string) (*Route, bool) {
	n := match(rt, p, method)
	if n == nil {
		return nil, false
	}
	return n.routes[method], true
}

// Preroute matches a request from its method and escaped path (without
// the query) before its body is read, for a server's header hook such as
// fastserver's Config.Route. It returns the route's name, its method and
// pattern as net/http's ServeMux patterns are written ("GET /users/{id}"),
// and its body limit; "" and 0 when no route serves the request. A request
// whose Pattern is set to that name is served by the route without being
// matched again.
func (rt *Router) Preroute(method, path []byte) (string, int64) {
	n := match(rt, path, method)
	if n == nil {
		return "", 0
	}
	r := n.routes[string(method)]
	return r.name, r.MaxBodyBytes
}

// segments splits a path after its leading slash; "/" has one empty segment.
func segments(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// escapedPath is what the tree is walked over: an escaped path as a
// string, or as the bytes of a request line.
type escapedPath interface{ ~string | ~[]byte }

func trimSlash[P escapedPath](p P) P {
	if len(p) > 0 && p[0] == '/' {
		return p[1:]
	}
	return p
}

// match returns the node whose routes serve method ("": any) on the
// escaped path p, without redirects, or nil.
func match[P escapedPath](rt *Router, p, method P) *node {
	if rt.onWalk != nil {
		rt.onWalk()
	}
	return walk(rt.root, trimSlash(p), false, false, method)
}

// walk matches rest, the segments below n (the path after the slash that
// ends n's segment; done when no segment is left). Static children win
// over placeholders; when a static branch leads nowhere the placeholder
// branch is tried. With a method, only a route serving that method matches
// (GET /users/me does not hide POST /users/{id}); with "" any route does.
// fold also matches static segments in another letter case.
func walk[P escapedPath](n *node, rest P, done, fold bool, method P) *node {
	if done {
		if n.routes != nil && (len(method) == 0 || n.routes[string(method)] != nil) {
			return n
		}
		return nil
	}
	seg, next, last := rest, rest[len(rest):], true
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' {
			seg, next, last = rest[:i], rest[i+1:], false
			break
		}
	}
	if child, ok := n.static[string(seg)]; ok {
		if m := walk(child, next, last, fold, method); m != nil {
			return m
		}
	}
	if fold {
		if child, ok := n.lower[strings.ToLower(string(seg))]; ok {
			if m := walk(child, next, last, fold, method); m != nil {
				return m
			}
		}
	}
	if n.param != nil && len(seg) > 0 {
		return walk(n.param, next, last, fold, method)
	}
	return nil
}

// paramsOf cuts the route's placeholder values out of the escaped path p.
// It reports false when p does not have the route's number of segments,
// or has an empty one where the route has a placeholder.
func (r *Route) paramsOf(p string) ([]string, bool) {
	var params []string
	if len(r.params) > 0 {
		params = make([]string, 0, len(r.params))
	}
	rest, seg := trimSlash(p), 0
	for {
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if len(params) < len(r.params) && r.params[len(params)] == seg {
			if end == 0 {
				return nil, false
			}
			params = append(params, rest[:end])
		}
		seg++
		if end == len(rest) {
			break
		}
		rest = rest[end+1:]
	}
	return params, seg == r.segments
}

// fixedPath rebuilds the route's spelling of a path matched with fold, for
// a route serving method.
func (n *node) fixedPath(segs []string, out []string, method string) ([]string, bool) {
	if len(segs) == 0 {
		return out, n.routes[method] != nil
	}
	seg := segs[0]
	if child, ok := n.static[seg]; ok {
		if p, ok := child.fixedPath(segs[1:], append(out, seg), method); ok {
			return p, true
		}
	}
	if child, ok := n.lower[strings.ToLower(seg)]; ok {
		for name, c := range n.static {
			if c == child {
				if p, ok := child.fixedPath(segs[1:], append(out, name), method); ok {
					return p, true
				}
			}
		}
	}
	if n.param != nil && seg != "" {
		return n.param.fixedPath(segs[1:], append(out, seg), method)
	}
	return nil, false
}

// ServeHTTP dispatches r to its route's handler, or answers 400, 404, 405
// or a redirect. A request whose Pattern names a route (see Preroute) is
// served by that route without being matched again.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	if rt.opts.RemoveExtraSlash {
		raw = cleanPath(raw)
	}
	if route := rt.byName[r.Pattern]; route != nil && route.Method == r.Method {
		if params, ok := route.paramsOf(raw); ok {
			rt.serve(w, r, route, params)
			return
		}
	}
	n := match(rt, raw, r.Method)
	if n == nil {
		// A route of another method makes a 405.
		n = match(rt, raw, "")
	}
	if n != nil {
		route := n.routes[r.Method]
		if route == nil {
			rt.methodNotAllowed(w, n)
			return
		}
		params, _ := route.paramsOf(raw)
		rt.serve(w, r, route, params)
		return
	}
	if target, ok := rt.redirect(raw, r.Method); ok {
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet {
			code = http.StatusTemporaryRedirect
		}
		http.Redirect(w, r, target, code)
		return
	}
	rt.notFound(w)
}

// cleanPath drops empty, . and .. segments from p, keeping its trailing
// slash, as gin does with RemoveExtraSlash.
func cleanPath(p string) string {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// notFound answers 404: error_body's JSON when set, else KrakenD's text.
func (rt *Router) notFound(w http.ResponseWriter) {
	if rt.opts.NotFoundBody != nil {
		jsonError(w, http.StatusNotFound, rt.opts.NotFoundBody)
		return
	}
	notFound(w)
}

var applicationJSON = []string{"application/json; charset=utf-8"}

func jsonError(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = applicationJSON
	h["X-Krakend-Completed"] = completedFalse
	w.WriteHeader(status)
	w.Write(body)
}

// The bodies of the router's own answers, as KrakenD's engine writes them:
// text/plain, no charset, no trailing newline, and X-Krakend-Completed
// false (KrakenD's router marks every answer it gives itself incomplete).
var (
	notFoundBody         = []byte("404 page not found")
	methodNotAllowedBody = []byte("405 method not allowed")
	textPlain            = []string{"text/plain"}
	completedFalse       = []string{"false"}
)

// notFound answers 404 with KrakenD's bytes.
func notFound(w http.ResponseWriter) {
	plainError(w, http.StatusNotFound, notFoundBody)
}

func plainError(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["X-Krakend-Completed"] = completedFalse
	w.WriteHeader(status)
	w.Write(body)
}

// serve checks the params of a matched request and runs its route.
func (rt *Router) serve(w http.ResponseWriter, r *http.Request, route *Route, params []string) {
	for i, v := range params {
		if rt.opts.DisablePathDecoding {
			d, ok := decodedParam(v)
			if !ok {
				http.Error(w, "400 bad request: a path parameter decodes to a forbidden character", http.StatusBadRequest)
				return
			}
			params[i] = d
			continue
		}
		if !validParam(v) {
			http.Error(w, "400 bad request: a path parameter is URL-encoded or holds a forbidden character", http.StatusBadRequest)
			return
		}
	}
	route.Handler(w, r, params)
}

func (rt *Router) methodNotAllowed(w http.ResponseWriter, n *node) {
	if rt.opts.DisableMethodNotAllowed {
		rt.notFound(w)
		return
	}
	allow := make([]string, 0, len(n.routes))
	for m := range n.routes {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	if rt.opts.MethodNotAllowedBody != nil {
		jsonError(w, http.StatusMethodNotAllowed, rt.opts.MethodNotAllowedBody)
		return
	}
	plainError(w, http.StatusMethodNotAllowed, methodNotAllowedBody)
}

// redirect finds the route a near-miss path means: with or without its
// trailing slash, or spelled in another letter case.
func (rt *Router) redirect(raw, method string) (string, bool) {
	if raw == "/" {
		return "", false
	}
	try := func(p string) (string, bool) {
		if match(rt, p, method) != nil {
			return p, true
		}
		return "", false
	}
	if !rt.opts.DisableRedirectTrailingSlash {
		alt := raw + "/"
		if strings.HasSuffix(raw, "/") {
			alt = strings.TrimSuffix(raw, "/")
		}
		if p, ok := try(alt); ok {
			return p, true
		}
	}
	if !rt.opts.DisableRedirectFixedPath {
		clean := path.Clean(raw)
		var candidates []string
		switch {
		case !rt.opts.DisableRedirectTrailingSlash && clean != "/":
			candidates = []string{clean, clean + "/"}
		case rt.opts.DisableRedirectTrailingSlash && clean != "/" && strings.HasSuffix(raw, "/"):
			// Cleaning drops the trailing slash; keep it, since
			// trailing-slash redirects are off.
			candidates = []string{clean + "/"}
		default:
			candidates = []string{clean}
		}
		for _, c := range candidates {
			if p, ok := try(c); ok && p != raw {
				return p, true
			}
			if walk(rt.root, trimSlash(c), false, true, method) == nil {
				continue
			}
			if fixed, ok := rt.root.fixedPath(segments(c), nil, method); ok {
				return "/" + strings.Join(fixed, "/"), true
			}
		}
	}
	return "", false
}

// decodedParam decodes an escaped value once, for DisablePathDecoding:
// what it decodes to must not be . or .., nor hold /, ?, #, NUL or another
// control byte (gin, which matches decoded paths, would not have matched a
// decoded /).
func decodedParam(v string) (string, bool) {
	d, err := url.PathUnescape(v)
	if err != nil || d == "." || d == ".." {
		return "", false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; c == '/' || c == '?' || c == '#' || c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	return d, true
}

// validParam refuses values that are URL-encoded (they could hide /, ?, #,
// NUL or invalid UTF-8 once decoded) and the . and .. segments.
func validParam(v string) bool {
	if v == "." || v == ".." {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' || c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}
