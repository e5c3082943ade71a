// Package wirenames keeps the spelling of a request's header names as the
// client sent them, which the http.Header map loses by canonicalising
// them (a client's "day" is the map's "Day"). API Gateway's REST API events
// (payload 1.0) show the client's spelling, and functions written for them
// read it: the server records the names that differ from their canonical
// form, the endpoint takes a copy for the backends.
//
// It records nothing for names sent canonical, so most requests cost
// nothing; it must not hold values, only names.
package wirenames

import (
	"bytes"
	"context"
	"net/http"
	"strings"
)

// Names holds the header names of one request whose spelling on the wire
// differs from their canonical form. The zero value holds none.
type Names struct {
	pairs []string // canonical, as sent, canonical, as sent…
}

// Reset forgets every name, keeping the storage.
func (n *Names) Reset() { n.pairs = n.pairs[:0] }

// Len is the number of names recorded.
func (n *Names) Len() int { return len(n.pairs) / 2 }

// Add records that the header canonical was sent as raw. The first
// spelling of a name wins (API Gateway keeps one name per header).
func (n *Names) Add(canonical, raw string) {
	for i := 0; i < len(n.pairs); i += 2 {
		if n.pairs[i] == canonical {
			return
		}
	}
	n.pairs = append(n.pairs, canonical, raw)
}

// Spelling returns the name the client sent for the canonical header name:
// canonical itself when none was recorded. A nil Names records none.
func (n *Names) Spelling(canonical string) string {
	if n == nil {
		return canonical
	}
	for i := 0; i < len(n.pairs); i += 2 {
		if n.pairs[i] == canonical {
			return n.pairs[i+1]
		}
	}
	return canonical
}

// Copy returns a copy of n that outlives the request, or nil when n holds
// no name.
func (n *Names) Copy() *Names {
	if n == nil || len(n.pairs) == 0 {
		return nil
	}
	return &Names{pairs: append([]string(nil), n.pairs...)}
}

// Lower spells every name in lower case: the names of an HTTP/2 or HTTP/3
// request, which the protocol sends lower-cased (RFC 9113, section 8.2.1).
type Lower struct{}

// Spelling returns canonical in lower case.
func (Lower) Spelling(canonical string) string { return strings.ToLower(canonical) }

type ctxKey struct{}

// NewContext returns a copy of ctx that carries n.
func NewContext(ctx context.Context, n *Names) context.Context {
	return context.WithValue(ctx, ctxKey{}, n)
}

// FromContext returns the Names ctx carries, nil if none.
func FromContext(ctx context.Context) *Names {
	n, _ := ctx.Value(ctxKey{}).(*Names)
	return n
}

// Canonical reports whether b is spelled as http.CanonicalHeaderKey spells
// it: a letter upper-case at the start and after each '-', lower-case
// elsewhere. A name with bytes that are not a token's is left as it is by
// the canonicaliser, so it reports true for those too.
func Canonical(b []byte) bool {
	canonical, upper := true, true
	for _, c := range b {
		if !tokenBytes[c] {
			return true
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	return canonical
}

// tokenBytes marks the bytes of a token (RFC 9110, section 5.6.2).
var tokenBytes = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] = true
		}
	}
	for _, c := range []byte("!#$%&'*+-.^_`|~") {
		t[c] = true
	}
	return t
}()

// Record adds to n the names of the raw header block b ("Name: value"
// lines, CRLF or LF ended, as the request carried them) that are not sent
// canonical. Continuation lines are skipped.
func (n *Names) Record(b []byte) {
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' || line[0] == '\r' {
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name := line[:colon]
		for len(name) > 0 && (name[len(name)-1] == ' ' || name[len(name)-1] == '\t') {
			name = name[:len(name)-1]
		}
		if len(name) == 0 || Canonical(name) {
			continue
		}
		raw := string(name)
		if canonical := http.CanonicalHeaderKey(raw); canonical != raw {
			n.Add(canonical, raw)
		}
	}
}
