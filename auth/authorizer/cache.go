package authorizer

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// cacheKey identifies a request's identity: the SHA-256 of its identity
// sources' values, each prefixed with its length so that no two lists of
// values share a key. Hashing keeps entries small whatever the tokens'
// size, and keeps no token in memory.
type cacheKey [sha256.Size]byte

// keyOf returns the cache key of values. Up to keyBuffer bytes it builds
// the hashed text on the stack.
func keyOf(values []string) cacheKey {
	if len(values) == 1 && len(values[0]) <= keyBuffer {
		var buf [keyBuffer]byte
		return sha256.Sum256(append(buf[:0], values[0]...))
	}
	n := 0
	for _, v := range values {
		n += 4 + len(v)
	}
	var buf [keyBuffer]byte
	b := buf[:0]
	if n > keyBuffer {
		b = make([]byte, 0, n)
	}
	for _, v := range values {
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return sha256.Sum256(b)
}

// keyBuffer is the size of the stack buffer keys are hashed from.
const keyBuffer = 2048

// cache holds one endpoint's answers for a fixed TTL, at most max of
// them. Entries are dropped oldest first when a new one needs room: with
// one TTL for all, the oldest is the next to expire. Expired entries are
// never returned, and are overwritten in turn.
type cache struct {
	ttl time.Duration
	max int

	mu sync.RWMutex
	m  map[cacheKey]*cached
	// ring holds the entries in the order they were put, up to max; next
	// is where the next one goes once it is full.
	ring []*cached
	next int
}

// cached is one answer and when it expires.
type cached struct {
	key     cacheKey
	answer  *answer
	expires time.Time
}

func newCache(ttl time.Duration, max int) *cache {
	return &cache{ttl: ttl, max: max, m: map[cacheKey]*cached{}}
}

// get returns the answer cached for key, nil when there is none or it
// expired by now.
func (c *cache) get(key cacheKey, now time.Time) *answer {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil || !now.Before(e.expires) {
		return nil
	}
	return e.answer
}

// put caches a for key from now, dropping the oldest entry when the cache
// is full.
func (c *cache) put(key cacheKey, a *answer, now time.Time) {
	e := &cached{key: key, answer: a, expires: now.Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ring) < c.max {
		c.ring = append(c.ring, e)
	} else {
		// The slot's entry goes, unless a newer answer for its key
		// replaced it in the map already.
		if old := c.ring[c.next]; c.m[old.key] == old {
			delete(c.m, old.key)
		}
		c.ring[c.next] = e
		c.next = (c.next + 1) % c.max
	}
	c.m[key] = e
}
