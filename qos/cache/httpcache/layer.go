package httpcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/qos/cache"
)

// Entry is one stored reply.
type Entry struct {
	status int
	// header is the reply's headers, kept only when the client sees them
	// (no-op); else nil.
	header http.Header
	body   []byte
	// vary holds the request headers the reply varies by (canonical
	// names), values the request's values of them it was made for.
	vary, values []string
	// stream, set only on a reply too large to store (never stored), is
	// its body still to read.
	stream io.ReadCloser
}

// copy copies what a caller may change: the body and the headers.
func (e *Entry) copy() *Entry {
	if e == nil {
		return nil
	}
	c := *e
	c.body = bytes.Clone(e.body)
	c.header = e.header.Clone()
	return &c
}

// matches says whether the entry was made for h's values of its Vary'd
// headers.
func (e *Entry) matches(h http.Header) bool {
	for i, name := range e.vary {
		if joined(h, name) != e.values[i] {
			return false
		}
	}
	return true
}

func (e *Entry) response() *proxy.Response {
	r := &proxy.Response{IsComplete: true, Metadata: proxy.Metadata{StatusCode: e.status, Headers: e.header}}
	if e.stream != nil {
		r.Body = e.stream
	} else {
		r.Raw = e.body
	}
	return r
}

// entryOverhead is what an entry costs besides its body and headers,
// roughly.
const entryOverhead = 256

// Layer serves a backend's GET and HEAD calls from a store.
type Layer struct {
	store *Store
	now   func() time.Time
	// keepHeaders hands the reply's headers back (no-op backends, whose
	// client gets them); else the metadata headers the transport returned
	// for the layer are dropped, so the client sees what it saw without
	// the cache.
	keepHeaders bool
	// redis shares the stored replies with other gateways (nil: none).
	redis *shared
}

// NewLayer returns a layer on store. now is the clock of the freshness
// rules (nil: time.Now); it must be the store's.
func NewLayer(store *Store, now func() time.Time, keepHeaders bool) *Layer {
	if now == nil {
		now = time.Now
	}
	return &Layer{store: store, now: now, keepHeaders: keepHeaders}
}

// Call returns key's stored reply when one is fresh and was made for the
// request headers h (by the reply's Vary), else the reply of send, stored
// when its headers allow it; identical concurrent calls make one send.
// send's reply carries the backend's headers in its metadata: at least
// Cache-Control, Expires, Vary, Date and Age.
func (l *Layer) Call(ctx context.Context, key string, h http.Header, send proxy.Proxy, req *proxy.Request) (*proxy.Response, error) {
	if e, ok := l.store.Get(key); ok {
		if e.matches(h) {
			return e.response(), nil
		}
		// Another variant: under a key of its own.
		key = variantKey(key, e.vary, h)
	}
	mine := false
	e, err := l.store.Fetch(ctx, key, func(ctx context.Context) (cache.Loaded[*Entry], error) {
		mine = true
		if l.redis != nil {
			// Another gateway's reply, when it was made for this
			// request's Vary'd headers.
			if e, size, ttl, ok := l.fromRedis(ctx, key); ok && e.matches(h) {
				l.redis.hits.Add(ctx, 1, l.redis.attrs)
				return cache.Loaded[*Entry]{Value: e, Size: size, TTL: ttl}, nil
			}
			l.redis.misses.Add(ctx, 1, l.redis.attrs)
		}
		resp, err := send(ctx, req)
		if err != nil {
			return cache.Loaded[*Entry]{}, err
		}
		loaded, err := l.load(resp, h)
		if err == nil && l.redis != nil && loaded.TTL > 0 && loaded.Value.stream == nil {
			l.toRedis(ctx, key, loaded.Value, loaded.TTL)
		}
		return loaded, err
	})
	if err != nil {
		var be *proxy.BackendError
		if !mine && errors.As(err, &be) {
			// Shared with the call that sent it: later stages change it.
			c := *be
			err = &c
		}
		return nil, err
	}
	if !mine && !e.matches(h) {
		// A coalesced reply that varies by a header this request has
		// otherwise: not this request's.
		return l.direct(ctx, send, req)
	}
	return e.response(), nil
}

func (l *Layer) direct(ctx context.Context, send proxy.Proxy, req *proxy.Request) (*proxy.Response, error) {
	resp, err := send(ctx, req)
	if resp != nil && !l.keepHeaders {
		resp.Metadata.Headers = nil
	}
	return resp, err
}

// load reads resp into an entry, stored for as long as its headers say
// (a TTL of -1: neither stored nor shared with concurrent callers).
func (l *Layer) load(resp *proxy.Response, h http.Header) (cache.Loaded[*Entry], error) {
	hdr := resp.Metadata.Headers
	e := &Entry{status: resp.Metadata.StatusCode, body: resp.Raw}
	if l.keepHeaders {
		e.header = hdr
	}
	ttl := l.freshness(resp.Metadata.StatusCode, hdr, h)
	if ttl > 0 {
		e.vary = varyNames(hdr)
		e.values = make([]string, len(e.vary))
		for i, name := range e.vary {
			e.values[i] = joined(h, name)
		}
	}
	size := int64(entryOverhead + len(resp.Raw))
	for k, vs := range e.header {
		size += int64(len(k))
		for _, v := range vs {
			size += int64(len(v))
		}
	}
	if resp.Body != nil {
		// Read no more than the store can hold: a larger reply goes on
		// as a stream, not stored.
		limit := l.store.MaxBytes() - size + 1
		if ttl <= 0 || limit <= 0 {
			e.stream, ttl = resp.Body, -1
		} else {
			b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
			if err != nil {
				resp.Body.Close()
				return cache.Loaded[*Entry]{}, err
			}
			if int64(len(b)) >= limit {
				e.stream, ttl = &prefixed{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}, -1
			} else {
				resp.Body.Close()
				e.body = b
				size += int64(len(b))
			}
		}
	}
	if ttl <= 0 {
		ttl = -1
	}
	return cache.Loaded[*Entry]{Value: e, Size: size, TTL: ttl}, nil
}

type prefixed struct {
	io.Reader
	io.Closer
}

// freshness is how long a reply to a request with headers req may be
// reused by a shared cache that never revalidates: zero or less when it
// must not be stored.
func (l *Layer) freshness(status int, hdr, req http.Header) time.Duration {
	if status != http.StatusOK {
		return 0
	}
	cc := parseCacheControl(hdr.Values("Cache-Control"))
	if cc.has("no-store") || cc.has("private") || cc.has("no-cache") {
		return 0
	}
	if req.Get("Authorization") != "" && !cc.has("public") && !cc.has("s-maxage") && !cc.has("must-revalidate") {
		// RFC 9111 3.5: a shared cache does not reuse a reply to an
		// authenticated request unless the backend says it may.
		return 0
	}
	if hdr.Get("Vary") == "*" || len(hdr.Values("Set-Cookie")) > 0 && l.keepHeaders {
		return 0
	}
	now := l.now()
	date, dateErr := http.ParseTime(hdr.Get("Date"))
	var lifetime time.Duration
	switch {
	case cc.has("s-maxage"):
		lifetime = cc.seconds("s-maxage")
	case cc.has("max-age"):
		lifetime = cc.seconds("max-age")
	case hdr.Get("Expires") != "":
		exp, err := http.ParseTime(hdr.Get("Expires"))
		if err != nil {
			return 0 // an invalid Expires is in the past (RFC 9111 5.3)
		}
		base := now
		if dateErr == nil {
			base = date
		}
		lifetime = exp.Sub(base)
	default:
		return 0 // no explicit freshness: nothing to revalidate with
	}
	var age time.Duration
	if dateErr == nil && now.After(date) {
		age = now.Sub(date)
	}
	if a, err := strconv.ParseInt(strings.TrimSpace(hdr.Get("Age")), 10, 64); err == nil && a > 0 && time.Duration(a)*time.Second > age {
		age = time.Duration(a) * time.Second
	}
	return lifetime - age
}

// cacheControl is a parsed Cache-Control header: directive → argument.
type cacheControl map[string]string

func parseCacheControl(values []string) cacheControl {
	cc := cacheControl{}
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			name, arg, _ := strings.Cut(d, "=")
			cc[strings.ToLower(strings.TrimSpace(name))] = strings.Trim(strings.TrimSpace(arg), `"`)
		}
	}
	return cc
}

func (cc cacheControl) has(d string) bool { _, ok := cc[d]; return ok }

// seconds is a delta-seconds argument; an invalid one is zero (stale).
func (cc cacheControl) seconds(d string) time.Duration {
	n, err := strconv.ParseInt(cc[d], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	const max = int64(1<<31 - 1) // RFC 9111 1.2.2
	if n > max {
		n = max
	}
	return time.Duration(n) * time.Second
}

// varyNames lists the canonical names of the reply's Vary header.
func varyNames(hdr http.Header) []string {
	var out []string
	for _, v := range hdr.Values("Vary") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, http.CanonicalHeaderKey(n))
			}
		}
	}
	return out
}

func joined(h http.Header, name string) string {
	return strings.Join(h.Values(name), ", ")
}

// variantKey is the key of the variant of key that h's values of vary
// select.
func variantKey(key string, vary []string, h http.Header) string {
	var b strings.Builder
	b.WriteString(key)
	for _, name := range vary {
		b.WriteByte(0)
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(joined(h, name))
	}
	return b.String()
}
