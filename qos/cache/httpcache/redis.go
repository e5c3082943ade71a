package httpcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisTimeout bounds each read or write of the Redis-shared cache; past
// it, the layer goes on as if Redis had no entry (a read) or drops the
// write.
const RedisTimeout = 250 * time.Millisecond

// redisKeyPrefix starts the Redis keys of shared replies; the rest is the
// SHA-256 of the layer's key (which holds the method, hosts, URL and the
// Vary'd headers' values).
const redisKeyPrefix = "lambdagate:httpcache:"

// ShareThrough makes the layer share its stored replies through the Redis
// client c: a reply this gateway stores is written there too, for as long
// as it is fresh, and a local miss reads there before calling the backend.
// The local store stays in front (hits, coalescing).
func (l *Layer) ShareThrough(c *redis.Client) { l.redis = c }

// sharedEntry is an Entry as written to Redis.
type sharedEntry struct {
	Status  int         `json:"s"`
	Header  http.Header `json:"h,omitempty"`
	Body    []byte      `json:"b"`
	Vary    []string    `json:"v,omitempty"`
	Values  []string    `json:"vv,omitempty"`
	Expires int64       `json:"x"` // Unix ms, on the layer's clock
}

func redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return redisKeyPrefix + hex.EncodeToString(sum[:])
}

// fromRedis returns key's shared entry, its size and time to live, when
// Redis holds a fresh one; any failure is a miss.
func (l *Layer) fromRedis(ctx context.Context, key string) (*Entry, int64, time.Duration, bool) {
	ctx, cancel := context.WithTimeout(ctx, RedisTimeout)
	defer cancel()
	b, err := l.redis.Get(ctx, redisKey(key)).Bytes()
	if err != nil {
		return nil, 0, 0, false
	}
	var se sharedEntry
	if json.Unmarshal(b, &se) != nil || len(se.Vary) != len(se.Values) {
		return nil, 0, 0, false
	}
	ttl := time.UnixMilli(se.Expires).Sub(l.now())
	if ttl <= 0 {
		return nil, 0, 0, false
	}
	e := &Entry{status: se.Status, body: se.Body, vary: se.Vary, values: se.Values}
	if l.keepHeaders {
		e.header = se.Header
	}
	return e, int64(entryOverhead + len(b)), ttl, true
}

// toRedis writes a stored entry under key for ttl; a failure only means
// other gateways do not see it.
func (l *Layer) toRedis(ctx context.Context, key string, e *Entry, ttl time.Duration) {
	b, err := json.Marshal(sharedEntry{Status: e.status, Header: e.header, Body: e.body, Vary: e.vary, Values: e.values,
		Expires: l.now().Add(ttl).UnixMilli()})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RedisTimeout)
	defer cancel()
	l.redis.Set(ctx, redisKey(key), b, ttl)
}
