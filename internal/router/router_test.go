package router

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// echo is a handler that writes its name and params.
func echo(name string) Handler {
	return func(w http.ResponseWriter, _ *http.Request, params []string) {
		w.Write([]byte(name + " " + strings.Join(params, ",")))
	}
}

func newTestRouter(opts Options) *Router {
	rt := New(opts)
	rt.Handle("GET", "/", echo("root"))
	rt.Handle("GET", "/users", echo("users"))
	rt.Handle("GET", "/users/me", echo("me"))
	rt.Handle("GET", "/users/{id}", echo("user"))
	rt.Handle("POST", "/users/{id}", echo("post-user"))
	rt.Handle("DELETE", "/users/{id}", echo("delete-user"))
	rt.Handle("GET", "/users/{id}/posts/{post}", echo("post"))
	rt.Handle("GET", "/a/b/c", echo("abc"))
	rt.Handle("GET", "/a/{x}/d", echo("axd"))
	rt.Handle("GET", "/slash/", echo("slash"))
	rt.Handle("PUT", "/Items", echo("items"))
	return rt
}

type want struct {
	status   int
	body     string
	location string
	allow    string
}

func serve(rt *Router, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func check(t *testing.T, w *httptest.ResponseRecorder, want want) {
	t.Helper()
	if w.Code != want.status {
		t.Errorf("status = %d, want %d (body %q)", w.Code, want.status, w.Body.String())
	}
	if want.body != "" && w.Body.String() != want.body {
		t.Errorf("body = %q, want %q", w.Body.String(), want.body)
	}
	if got := w.Header().Get("Location"); got != want.location {
		t.Errorf("Location = %q, want %q", got, want.location)
	}
	if got := w.Header().Get("Allow"); got != want.allow {
		t.Errorf("Allow = %q, want %q", got, want.allow)
	}
}

func TestRouter(t *testing.T) {
	t.Parallel()
	rt := newTestRouter(Options{})
	tests := []struct {
		method, target string
		want           want
	}{
		{"GET", "/", want{status: 200, body: "root "}},
		{"GET", "/users", want{status: 200, body: "users "}},
		{"GET", "/users/me", want{status: 200, body: "me "}},
		{"GET", "/users/42", want{status: 200, body: "user 42"}},
		{"GET", "/users/42/posts/7", want{status: 200, body: "post 42,7"}},
		{"GET", "/users/a-b_c~d.e", want{status: 200, body: "user a-b_c~d.e"}},
		{"GET", "/users/42?x=1", want{status: 200, body: "user 42"}},
		{"POST", "/users/42", want{status: 200, body: "post-user 42"}},
		// Static wins, but a static branch that leads nowhere falls back.
		{"GET", "/a/b/c", want{status: 200, body: "abc "}},
		{"GET", "/a/b/d", want{status: 200, body: "axd b"}},
		{"GET", "/a/z/d", want{status: 200, body: "axd z"}},
		// The static /users/me has no POST: the placeholder route serves it.
		{"POST", "/users/me", want{status: 200, body: "post-user me"}},
		// Not found.
		{"GET", "/nope", want{status: 404, body: "404 page not found"}},
		{"GET", "/users/42/posts", want{status: 404, body: "404 page not found"}},
		{"GET", "/users/42/extra/segments/here", want{status: 404, body: "404 page not found"}},
		// Wrong method.
		{"PATCH", "/users/42", want{status: 405, body: "405 method not allowed", allow: "DELETE, GET, POST"}},
		{"POST", "/users", want{status: 405, body: "405 method not allowed", allow: "GET"}},
		// Trailing slash.
		{"GET", "/users/", want{status: 301, location: "/users"}},
		{"GET", "/users/42/", want{status: 301, location: "/users/42"}},
		{"GET", "/slash", want{status: 301, location: "/slash/"}},
		{"POST", "/users/42/", want{status: 307, location: "/users/42"}},
		{"GET", "/users/42/?q=1&r=2", want{status: 301, location: "/users/42?q=1&r=2"}},
		// Letter case.
		{"GET", "/USERS/me", want{status: 301, location: "/users/me"}},
		{"GET", "/Users/Ann", want{status: 301, location: "/users/Ann"}},
		{"GET", "/USERS/42/POSTS/7?a=b", want{status: 301, location: "/users/42/posts/7?a=b"}},
		{"PUT", "/items", want{status: 307, location: "/Items"}},
		{"GET", "/Users/", want{status: 301, location: "/users"}},
		{"GET", "/A/B/C", want{status: 301, location: "/a/b/c"}},
		// Dot segments.
		{"GET", "/users/me/../me", want{status: 301, location: "/users/me"}},
		// Bad params.
		{"GET", "/users/a%2Fb", want{status: 400}},
		{"GET", "/users/%41", want{status: 400}},
		{"GET", "/users/a%3Fb", want{status: 400}},
		{"GET", "/users/a%23b", want{status: 400}},
		{"GET", "/users/%00", want{status: 400}},
		{"GET", "/users/..", want{status: 400}},
		{"GET", "/users/.", want{status: 400}},
		{"GET", "/users/caf%C3%A9", want{status: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			t.Parallel()
			w := serve(rt, tt.method, tt.target)
			check(t, w, tt.want)
			switch tt.want.status {
			case 404, 405:
				// KrakenD's engine's bytes: text/plain without a charset,
				// no trailing newline, X-Krakend-Completed false.
				if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
					t.Errorf("Content-Type = %q, want text/plain", ct)
				}
				if c := w.Header().Get("X-Krakend-Completed"); c != "false" {
					t.Errorf("X-Krakend-Completed = %q, want false", c)
				}
				if n := w.Header().Get("X-Content-Type-Options"); n != "" {
					t.Errorf("X-Content-Type-Options = %q, want none", n)
				}
			case 400:
				if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q, want text/plain; charset=utf-8", ct)
				}
			}
		})
	}
}

func TestRouterOptions(t *testing.T) {
	t.Parallel()
	nf := want{status: 404, body: "404 page not found"}
	tests := []struct {
		name           string
		opts           Options
		method, target string
		want           want
	}{
		{"no trailing-slash redirect", Options{DisableRedirectTrailingSlash: true}, "GET", "/users/42/", nf},
		{"no trailing-slash redirect to slash", Options{DisableRedirectTrailingSlash: true}, "GET", "/slash", nf},
		{"case redirect kept", Options{DisableRedirectTrailingSlash: true}, "GET", "/USERS", want{status: 301, location: "/users"}},
		{"no fixed-path redirect", Options{DisableRedirectFixedPath: true}, "GET", "/USERS/me", nf},
		{"no fixed-path redirect for dots", Options{DisableRedirectFixedPath: true}, "GET", "/users/me/../me", nf},
		{"trailing slash kept", Options{DisableRedirectFixedPath: true}, "GET", "/users/", want{status: 301, location: "/users"}},
		{"both off", Options{DisableRedirectFixedPath: true, DisableRedirectTrailingSlash: true}, "GET", "/Users/", nf},
		{"no 405", Options{DisableMethodNotAllowed: true}, "PATCH", "/users/42", nf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, serve(newTestRouter(tt.opts), tt.method, tt.target), tt.want)
		})
	}
}

func TestRouterEmpty(t *testing.T) {
	t.Parallel()
	check(t, serve(New(Options{}), "GET", "/"), want{status: 404, body: "404 page not found"})
}

func TestValidParam(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"abc": true, "a.b": true, "...": true, "a b": true, "a+b": true, "@x": true, "a;b": true,
		".": false, "..": false, "%41": false, "a\x00": false, "a\x7f": false, "é": false, "\t": false,
	}
	for v, want := range tests {
		if got := validParam(v); got != want {
			t.Errorf("validParam(%q) = %v, want %v", v, got, want)
		}
	}
}

// FuzzRouter sends random paths: the router must never panic, and a
// handler only ever sees params that pass validParam.
func FuzzRouter(f *testing.F) {
	for _, s := range []string{"/", "/users/42", "/USERS/me/", "/users/%2e%2e", "/a/b/d/", "//", "/users/../x", "/users/%zz", "/é"} {
		f.Add("GET", s)
	}
	f.Add("POST", "/users/me")
	f.Add("PUT", "/items/")
	f.Add("", "/") // no method: 405
	f.Fuzz(func(t *testing.T, method, target string) {
		rt := New(Options{})
		served := ""
		h := func(name string) Handler {
			return func(w http.ResponseWriter, _ *http.Request, params []string) {
				served = name
				for _, p := range params {
					if !validParam(p) {
						t.Fatalf("handler %s got param %q", name, p)
					}
				}
			}
		}
		rt.Handle("GET", "/", h("root"))
		rt.Handle("GET", "/users/me", h("me"))
		rt.Handle("GET", "/users/{id}", h("user"))
		rt.Handle("POST", "/users/{id}", h("post-user"))
		rt.Handle("GET", "/users/{id}/posts/{post}", h("post"))
		rt.Handle("PUT", "/Items/", h("items"))
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, &http.Request{Method: method, URL: u, Header: http.Header{}})
		switch w.Code {
		case 200:
			if served == "" {
				t.Fatalf("200 without a handler for %s %q", method, target)
			}
		case 301, 307:
			loc := w.Header().Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Fatalf("redirect of %q to %q leaves the gateway", target, loc)
			}
		case 400, 404, 405:
		default:
			t.Fatalf("status %d for %s %q", w.Code, method, target)
		}
	})
}

func TestLookup(t *testing.T) {
	t.Parallel()
	rt := New(Options{})
	noop := func(http.ResponseWriter, *http.Request, []string) {}
	rt.Handle("GET", "/users/{id}", noop)
	rt.Handle("POST", "/users/{name}", noop)
	rt.Handle("GET", "/users/me", noop)
	for _, tc := range []struct {
		method, path, want string
		ok                 bool
	}{
		{"GET", "/users/42", "/users/{id}", true},
		{"POST", "/users/42", "/users/{name}", true},
		{"GET", "/users/me", "/users/me", true},
		{"POST", "/users/me", "/users/{name}", true},
		{"GET", "/Users/42", "", false}, // a redirect, not a route
		{"PUT", "/users/42", "", false},
		{"GET", "/nothing", "", false},
	} {
		r, ok := rt.Lookup(tc.method, tc.path)
		got := ""
		if ok {
			got = r.Pattern
		}
		if got != tc.want || ok != tc.ok {
			t.Errorf("Route(%s %s) = %q, %v; want %q, %v", tc.method, tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

// TestRouterKrakenDOptions checks remove_extra_slash,
// disable_path_decoding, error_body and auto_options.
func TestRouterKrakenDOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		opts           Options
		auto           bool
		method, target string
		want           want
		contentType    string
	}{
		{"extra slashes redirected by default", Options{}, false, "GET", "/users//42", want{status: 301, location: "/users/42"}, ""},
		{"remove_extra_slash serves at once", Options{RemoveExtraSlash: true}, false, "GET", "/users//42", want{status: 200, body: "user 42"}, ""},
		{"remove_extra_slash: dot segments", Options{RemoveExtraSlash: true}, false, "GET", "/a/./b/../b/c", want{status: 200, body: "abc "}, ""},
		{"remove_extra_slash keeps the trailing slash", Options{RemoveExtraSlash: true, DisableRedirectTrailingSlash: true}, false, "GET", "//slash/", want{status: 200, body: "slash "}, ""},
		{"encoded param refused by default", Options{}, false, "GET", "/users/caf%C3%A9", want{status: 400}, ""},
		{"disable_path_decoding: decoded once", Options{DisablePathDecoding: true}, false, "GET", "/users/caf%C3%A9", want{status: 200, body: "user café"}, ""},
		{"disable_path_decoding: double-encoded slash kept encoded once", Options{DisablePathDecoding: true}, false, "GET", "/users/a%252Fb", want{status: 200, body: "user a%2Fb"}, ""},
		{"disable_path_decoding: encoded slash refused", Options{DisablePathDecoding: true}, false, "GET", "/users/a%2Fb", want{status: 400}, ""},
		{"disable_path_decoding: dot-dot refused", Options{DisablePathDecoding: true}, false, "GET", "/users/%2E%2E", want{status: 400}, ""},
		{"error_body 404", Options{NotFoundBody: []byte(`{"msg":"Unknown endpoint","status":404}`)}, false, "GET", "/nope",
			want{status: 404, body: `{"msg":"Unknown endpoint","status":404}`}, "application/json; charset=utf-8"},
		{"error_body 405", Options{MethodNotAllowedBody: []byte(`{"oh":"no"}`)}, false, "PATCH", "/users/42",
			want{status: 405, body: `{"oh":"no"}`, allow: "DELETE, GET, POST"}, "application/json; charset=utf-8"},
		{"no auto_options: 405", Options{}, false, "OPTIONS", "/users/42", want{status: 405, allow: "DELETE, GET, POST"}, ""},
		{"auto_options", Options{}, true, "OPTIONS", "/users/42", want{status: 200, allow: "DELETE, GET, POST"}, ""},
		{"auto_options on a static path", Options{}, true, "OPTIONS", "/users", want{status: 200, allow: "GET"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := newTestRouter(tt.opts)
			if tt.auto {
				rt.AddAutoOptions()
			}
			w := serve(rt, tt.method, tt.target)
			check(t, w, tt.want)
			if tt.contentType != "" && w.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", w.Header().Get("Content-Type"), tt.contentType)
			}
		})
	}
}

// FuzzRouterKrakenDOptions sends random paths to a router with
// remove_extra_slash, disable_path_decoding and auto_options: it must
// never panic, and a handler never sees a param that decodes to a path
// separator or a dot segment.
func FuzzRouterKrakenDOptions(f *testing.F) {
	for _, s := range []string{"/users//42", "/users/%252F", "/users/%2F", "/a/./b/../b/c", "//", "/users/%zz", "/users/caf%C3%A9"} {
		f.Add("GET", s)
	}
	f.Add("OPTIONS", "/users/1")
	f.Fuzz(func(t *testing.T, method, target string) {
		rt := New(Options{RemoveExtraSlash: true, DisablePathDecoding: true})
		h := func(w http.ResponseWriter, _ *http.Request, params []string) {
			for _, p := range params {
				if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/?#\x00") {
					t.Fatalf("handler got param %q", p)
				}
			}
		}
		rt.Handle("GET", "/users/{id}", h)
		rt.Handle("GET", "/a/b/c", h)
		rt.AddAutoOptions()
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, &http.Request{Method: method, URL: u, Header: http.Header{}})
		if loc := w.Header().Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//")) {
			t.Fatalf("redirect of %q to %q leaves the gateway", target, loc)
		}
	})
}
