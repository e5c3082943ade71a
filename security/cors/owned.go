package cors

import (
	"net/http"
	"slices"
	"strings"
	"sync"
)

// owned serves next with a ResponseWriter that keeps the response's
// Access-Control-* headers the layer's: when the response's header is
// written, every Access-Control-* header set behind the layer (a no-op
// endpoint's backend headers, an unwrapped Lambda result's) is dropped and
// the layer's own are put back, and Vary keeps the layer's values. Without
// this, a backend that sets Access-Control-Allow-Origin itself would
// replace the policy's value, or add a second one, which browsers refuse.
func owned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := guards.Get().(*guard)
		g.ResponseWriter, g.done = w, false
		g.save(w.Header())
		next.ServeHTTP(g, r)
		// A handler that wrote nothing: the server writes the header.
		g.settle()
		*g = guard{}
		guards.Put(g)
	})
}

var guards = sync.Pool{New: func() any { return new(guard) }}

// guard is owned's ResponseWriter.
type guard struct {
	http.ResponseWriter
	done bool
	// saved are the layer's Access-Control-* headers (rs/cors sets at most
	// six), n of them; vary is the layer's Vary.
	saved [8]savedHeader
	n     int
	vary  []string
}

type savedHeader struct {
	key    string
	values []string
}

// save remembers the layer's headers, set in h before next runs.
func (g *guard) save(h http.Header) {
	for k, vs := range h {
		if isCORS(k) && g.n < len(g.saved) {
			g.saved[g.n] = savedHeader{k, vs}
			g.n++
		}
	}
	g.vary = h["Vary"]
}

// settle puts the layer's headers back, once, before the header is written.
func (g *guard) settle() {
	if g.done {
		return
	}
	g.done = true
	h := g.ResponseWriter.Header()
	var seen uint8 // bit i: saved[i] is in h
	for k, vs := range h {
		if i := g.savedIndex(k); i >= 0 {
			seen |= 1 << i
			if s := g.saved[i].values; len(vs) != len(s) || len(s) > 0 && &vs[0] != &s[0] {
				h[k] = s
			}
		} else if isCORS(k) {
			delete(h, k)
		}
	}
	for i, s := range g.saved[:g.n] {
		if seen&(1<<i) == 0 {
			h[s.key] = s.values
		}
	}
	for _, v := range g.vary {
		if vs := h["Vary"]; !slices.Contains(vs, v) {
			h["Vary"] = append(vs[:len(vs):len(vs)], v)
		}
	}
}

// savedIndex returns the index in saved of the layer's header k, or -1.
func (g *guard) savedIndex(k string) int {
	for i, s := range g.saved[:g.n] {
		if s.key == k {
			return i
		}
	}
	return -1
}

// isCORS reports whether k names a CORS response header (any letter case:
// handlers may set keys without canonicalizing them).
func isCORS(k string) bool {
	const prefix = "Access-Control-"
	if len(k) <= len(prefix) {
		return false
	}
	return k[:len(prefix)] == prefix || k[0]|0x20 == 'a' && strings.EqualFold(k[:len(prefix)], prefix)
}

// WriteHeader settles the header, then writes it.
func (g *guard) WriteHeader(code int) {
	g.settle()
	g.ResponseWriter.WriteHeader(code)
}

// Write settles the header before the first write.
func (g *guard) Write(b []byte) (int, error) {
	g.settle()
	return g.ResponseWriter.Write(b)
}

// Flush settles the header and passes the flush on, when the underlying
// writer can.
func (g *guard) Flush() {
	g.settle()
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (g *guard) Unwrap() http.ResponseWriter { return g.ResponseWriter }
