// Package cache is the node-local store of the backend layers that cache
// replies and coalesce identical concurrent calls: the qos/http-cache
// namespace of HTTP backends (qos/cache/httpcache) and the cache_ttl
// option of Lambda backends (backend/lambda).
//
// A Store is an LRU bounded by a number of entries and a number of bytes,
// each entry fresh for its own time to live, read with an injectable
// clock. Fetch returns a key's fresh value, or loads it once for all the
// callers asking for the same key at the same time (a singleflight group):
// N identical concurrent calls make one call, and the other N-1 share its
// result. Every value Fetch returns goes through the store's Copy, so
// that a caller changing what it got cannot change what another caller or
// the store holds.
//
// This package must not know any kind of backend nor any namespace.
package cache

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Options bound and tune a Store.
type Options[V any] struct {
	// MaxItems is the most entries the store holds; above it the least
	// recently used ones are evicted. Must be above zero.
	MaxItems int
	// MaxBytes is the most bytes (the sizes the loaders report) the store
	// holds; above it the least recently used entries are evicted, and a
	// value larger than MaxBytes is never stored. Must be above zero.
	MaxBytes int64
	// Copy returns a copy of a value that its caller may change freely.
	// Nil returns values as they are (for values nobody changes).
	Copy func(V) V
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Loaded is what a loader returns besides its error.
type Loaded[V any] struct {
	Value V
	// Size is the bytes the value holds, counted against MaxBytes.
	Size int64
	// TTL is how long the value stays fresh: above zero, it is stored for
	// that long and shared with the callers waiting for it; zero, it is
	// shared with them but not stored; below zero, it is neither (each
	// waiting caller loads its own: a reply meant for one client).
	TTL time.Duration
}

// Loader loads a key's value with the context of the call that asked first.
type Loader[V any] func(ctx context.Context) (Loaded[V], error)

// Store is one bounded cache with its coalescing group. Safe for
// concurrent use.
type Store[V any] struct {
	opts  Options[V]
	now   func() time.Time
	group singleflight.Group

	mu    sync.Mutex
	lru   list.List // of *entry[V], most recently used first
	items map[string]*list.Element
	bytes int64
}

type entry[V any] struct {
	key     string
	value   V
	size    int64
	expires time.Time
}

// New returns an empty store.
func New[V any](opts Options[V]) *Store[V] {
	s := &Store[V]{opts: opts, now: opts.Now, items: map[string]*list.Element{}}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Len returns the number of entries held, fresh or not.
func (s *Store[V]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// MaxBytes returns the store's bound in bytes.
func (s *Store[V]) MaxBytes() int64 { return s.opts.MaxBytes }

// Bytes returns the bytes held.
func (s *Store[V]) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Get returns the fresh value of key.
func (s *Store[V]) Get(key string) (V, bool) {
	v, ok := s.get(key)
	if ok {
		v = s.copy(v)
	}
	return v, ok
}

func (s *Store[V]) get(key string) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero V
	el, ok := s.items[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[V])
	if !s.now().Before(e.expires) {
		s.remove(el)
		return zero, false
	}
	s.lru.MoveToFront(el)
	return e.value, true
}

// Set stores v under key for ttl, evicting the least recently used entries
// beyond the bounds. A ttl of zero or less, or a size above MaxBytes,
// stores nothing (and drops what key held).
func (s *Store[V]) Set(key string, v V, size int64, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[key]; ok {
		s.remove(el)
	}
	if ttl <= 0 || size > s.opts.MaxBytes {
		return
	}
	e := &entry[V]{key: key, value: v, size: size, expires: s.now().Add(ttl)}
	s.items[key] = s.lru.PushFront(e)
	s.bytes += size
	for s.lru.Len() > s.opts.MaxItems || s.bytes > s.opts.MaxBytes {
		s.remove(s.lru.Back())
	}
}

func (s *Store[V]) remove(el *list.Element) {
	e := s.lru.Remove(el).(*entry[V])
	delete(s.items, e.key)
	s.bytes -= e.size
}

func (s *Store[V]) copy(v V) V {
	if s.opts.Copy == nil {
		return v
	}
	return s.opts.Copy(v)
}

// result is what one load gives the callers that shared it.
type result[V any] struct {
	loaded Loaded[V]
}

// Fetch returns key's fresh value, or loads it: one load for all the
// callers of key at the same time, which share its value (unless its TTL
// is below zero) and its error. A caller whose context is still live when
// the shared load failed on its first caller's context (canceled, or its
// deadline) loads again on its own.
func (s *Store[V]) Fetch(ctx context.Context, key string, load Loader[V]) (V, error) {
	if v, ok := s.get(key); ok {
		return s.copy(v), nil
	}
	first := false
	shared, err, _ := s.group.Do(key, func() (any, error) {
		first = true
		l, err := load(ctx)
		if err == nil {
			s.Set(key, l.Value, l.Size, l.TTL)
		}
		return result[V]{l}, err
	})
	if !first && ctx.Err() == nil && (isContextError(err) || err == nil && shared.(result[V]).loaded.TTL < 0) {
		l, err := load(ctx)
		return l.Value, err
	}
	var v V
	if shared != nil {
		v = s.copy(shared.(result[V]).loaded.Value)
	}
	return v, err
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
