package jwtauth

import (
	"crypto/sha256"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Bounds of a verifiedCache.
const (
	// maxVerified bounds the tokens one key set remembers. Only tokens
	// whose signature verified get in, so a client cannot fill it with
	// forgeries; past the bound an arbitrary entry makes room.
	maxVerified = 4096
	// verifiedTTL bounds how long a token without exp is remembered.
	verifiedTTL = 5 * time.Minute
)

// verifiedCache remembers the tokens whose signature a key set verified,
// by their SHA-256, so that a client sending the same token again costs a
// hash and a lookup, not a signature check (RS256: tens of µs). What
// depends on time or on the endpoint (exp, nbf, iss, aud, roles, scopes)
// is checked again on every request; a refresh that changes the keys
// starts an empty cache.
type verifiedCache struct {
	mu sync.RWMutex
	m  map[[32]byte]*verifiedToken
}

// verifiedToken is a token whose signature verified.
type verifiedToken struct {
	// alg and strategy are the validator's that verified it: a validator
	// of the same key set with another algorithm or key strategy checks
	// the token itself.
	alg      jose.SignatureAlgorithm
	strategy string
	claims   map[string]any
	reg      registered
	// until is when the entry stops being used, for tokens without exp.
	until time.Time
}

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{m: map[[32]byte]*verifiedToken{}}
}

func tokenDigest(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// get returns the entry of a token digest, nil when there is none or it
// is too old.
func (c *verifiedCache) get(d [32]byte, now time.Time) *verifiedToken {
	c.mu.RLock()
	t := c.m[d]
	c.mu.RUnlock()
	if t == nil || (!t.until.IsZero() && now.After(t.until)) {
		return nil
	}
	return t
}

// put remembers a verified token.
func (c *verifiedCache) put(d [32]byte, t *verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxVerified {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[d] = t
}

// drop forgets a token (one that expired).
func (c *verifiedCache) drop(d [32]byte) {
	c.mu.Lock()
	delete(c.m, d)
	c.mu.Unlock()
}
