package router

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// nopWriter is a ResponseWriter that keeps nothing, so that the benchmarks
// measure the router alone.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header       { return w.h }
func (*nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (*nopWriter) WriteHeader(int)             {}

// BenchmarkServeHTTP measures matching and dispatching one request.
func BenchmarkServeHTTP(b *testing.B) {
	var sink int
	rt := New(Options{})
	for _, p := range []string{"/", "/users", "/users/me", "/users/{id}", "/users/{id}/posts/{post}", "/a/b/c", "/a/{x}/d"} {
		rt.Handle("GET", p, func(_ http.ResponseWriter, _ *http.Request, params []string) { sink += len(params) })
	}
	for _, tc := range []struct{ name, target string }{
		{"static", "/users/me"},
		{"one-param", "/users/42"},
		{"two-params", "/users/42/posts/7"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", tc.target, nil)
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				rt.ServeHTTP(w, r)
			}
		})
	}
}
