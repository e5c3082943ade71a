// Package redislease is a counting semaphore kept in Redis: at most N
// leases of one key are held at once by every process that uses the same
// Redis server. A lease expires after its time to live, so that a process
// that dies holding leases frees their places once the time has passed.
//
// The leases of a key are a sorted set: each member a lease's unique id,
// its score the lease's expiry in milliseconds on Redis's clock. Acquiring
// is one atomic script (one round trip): drop the expired leases, grant
// when fewer than N remain. Releasing is one ZREM. The package only talks
// to Redis; what to do when Redis fails is the caller's choice.
package redislease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// acquire is the server-side grant: KEYS[1] the key's sorted set; ARGV
// the most leases, the new lease's id and its time to live in
// milliseconds. It drops the leases whose expiry has passed (on Redis's
// clock, so that the processes' clocks never matter), then adds the lease
// when fewer than the most are held, and keeps the set itself for as long
// as its last lease. 1: granted; 0: refused, nothing written. Redis runs
// a script atomically: two processes never both take the last place.
var acquire = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// Semaphore is at most Max leases of one Redis key at once.
type Semaphore struct {
	client *redis.Client
	key    string
	max    int
	ttlMS  int64
	// prefix starts this semaphore's lease ids: random, so that ids of
	// two processes (or two semaphores of one) never collide; seq ends
	// them.
	prefix string
	seq    atomic.Uint64
}

// New returns the semaphore of key on client: at most n leases held at
// once, each expiring ttl after it was granted unless released before.
func New(client *redis.Client, key string, n int, ttl time.Duration) *Semaphore {
	var b [8]byte
	rand.Read(b[:])
	return &Semaphore{client: client, key: key, max: n, ttlMS: max(ttl.Milliseconds(), 1), prefix: hex.EncodeToString(b[:]) + ":"}
}

// Key is the sorted set's key.
func (s *Semaphore) Key() string { return s.key }

// Lease is a granted place, to release when done.
type Lease struct{ id string }

// errReply is a script reply of an unexpected shape.
var errReply = errors.New("unexpected reply of the lease script")

// Acquire asks Redis for a lease within ctx: granted (ok) or refused
// because Max are held; err when Redis did not answer (ctx bounds the
// dial, the wait for a connection and the round trip).
func (s *Semaphore) Acquire(ctx context.Context) (Lease, bool, error) {
	id := s.prefix + strconv.FormatUint(s.seq.Add(1), 36)
	n, err := acquire.Run(ctx, s.client, []string{s.key}, s.max, id, s.ttlMS).Int64()
	switch {
	case err != nil:
		return Lease{}, false, err
	case n == 1:
		return Lease{id: id}, true, nil
	case n == 0:
		return Lease{}, false, nil
	}
	return Lease{}, false, errReply
}

// Release gives l's place back within ctx. A release Redis does not get
// leaves the lease to expire.
func (s *Semaphore) Release(ctx context.Context, l Lease) error {
	if l.id == "" {
		return nil
	}
	return s.client.ZRem(ctx, s.key, l.id).Err()
}

// Held counts the leases not expired yet (tests, diagnostics).
func (s *Semaphore) Held(ctx context.Context) (int64, error) {
	t, err := s.client.Time(ctx).Result()
	if err != nil {
		return 0, err
	}
	return s.client.ZCount(ctx, s.key, "("+strconv.FormatInt(t.UnixMilli(), 10), "+inf").Result()
}
