// Package router matches a request's method and path to an endpoint, with
// KrakenD's path rules: {placeholder} segments, 404 and 405 answers, and
// 301/307 redirects for paths that differ from a route only in letter case
// or a trailing slash.
//
// Path parameters are checked here, once, before any handler runs: a value
// that is URL-encoded (and so could hide /, ?, #, NUL or invalid UTF-8), or
// that is "." or "..", gets 400 and never reaches a backend URL or a
// function name. This package must not know what an endpoint does.
package router

import (
	"net/http"
	"path"
	"sort"
	"strings"
)

// Handler serves a matched route. params holds the values of the route's
// placeholders, in the order they appear in its pattern.
type Handler func(w http.ResponseWriter, r *http.Request, params []string)

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
}

// Router is a tree of routes. Build it with Handle, then serve with it;
// Handle must not be called once it serves.
type Router struct {
	opts Options
	root *node
}

type node struct {
	static   map[string]*node
	lower    map[string]*node // static children by lower-cased segment
	param    *node
	handlers map[string]Handler
	patterns map[string]string // by method, as registered
}

// New returns an empty Router.
func New(opts Options) *Router {
	return &Router{opts: opts, root: &node{}}
}

// Handle registers h for method and pattern ("/users/{id}"). Placeholders
// must be whole segments; the config package has checked that.
func (rt *Router) Handle(method, pattern string, h Handler) {
	n := rt.root
	for _, seg := range segments(pattern) {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
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
	if n.handlers == nil {
		n.handlers = map[string]Handler{}
		n.patterns = map[string]string{}
	}
	n.handlers[method] = h
	n.patterns[method] = pattern
}

// Route returns the pattern of the route that serves method on the escaped
// path p, as ServeHTTP would match it (no redirects).
func (rt *Router) Route(method, p string) (string, bool) {
	n, _ := rt.root.match(segments(p), nil, false, method)
	if n == nil {
		return "", false
	}
	return n.patterns[method], true
}

// segments splits a path after its leading slash; "/" has one empty segment.
func segments(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// match walks the tree. Static children win over placeholders; when a
// static branch leads nowhere the placeholder branch is tried. With a
// method, only a route serving that method matches (GET /users/me does not
// hide POST /users/{id}); with "" any route does.
func (n *node) match(segs []string, params []string, fold bool, method string) (*node, []string) {
	if len(segs) == 0 {
		if n.handlers != nil && (method == "" || n.handlers[method] != nil) {
			return n, params
		}
		return nil, nil
	}
	seg := segs[0]
	if child, ok := n.static[seg]; ok {
		if m, p := child.match(segs[1:], params, fold, method); m != nil {
			return m, p
		}
	}
	if fold {
		if child, ok := n.lower[strings.ToLower(seg)]; ok {
			if m, p := child.match(segs[1:], params, fold, method); m != nil {
				return m, p
			}
		}
	}
	if n.param != nil && seg != "" {
		if m, p := n.param.match(segs[1:], append(params, seg), fold, method); m != nil {
			return m, p
		}
	}
	return nil, nil
}

// fixedPath rebuilds the route's spelling of a path matched with fold, for
// a route serving method.
func (n *node) fixedPath(segs []string, out []string, method string) ([]string, bool) {
	if len(segs) == 0 {
		return out, n.handlers[method] != nil
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
// or a redirect.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	segs := segments(raw)
	n, params := rt.root.match(segs, make([]string, 0, 4), false, r.Method)
	if n == nil {
		// A route of another method makes a 405.
		n, params = rt.root.match(segs, params[:0], false, "")
	}
	if n != nil {
		h, ok := n.handlers[r.Method]
		if !ok {
			rt.methodNotAllowed(w, r, n)
			return
		}
		for _, v := range params {
			if !validParam(v) {
				http.Error(w, "400 bad request: a path parameter is URL-encoded or holds a forbidden character", http.StatusBadRequest)
				return
			}
		}
		h(w, r, params)
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
	http.NotFound(w, r)
}

func (rt *Router) methodNotAllowed(w http.ResponseWriter, r *http.Request, n *node) {
	if rt.opts.DisableMethodNotAllowed {
		http.NotFound(w, r)
		return
	}
	allow := make([]string, 0, len(n.handlers))
	for m := range n.handlers {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
}

// redirect finds the route a near-miss path means: with or without its
// trailing slash, or spelled in another letter case.
func (rt *Router) redirect(raw, method string) (string, bool) {
	if raw == "/" {
		return "", false
	}
	try := func(p string) (string, bool) {
		if n, _ := rt.root.match(segments(p), nil, false, method); n != nil {
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
			segs := segments(c)
			if n, _ := rt.root.match(segs, nil, true, method); n == nil {
				continue
			}
			if fixed, ok := rt.root.fixedPath(segs, nil, method); ok {
				return "/" + strings.Join(fixed, "/"), true
			}
		}
	}
	return "", false
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
