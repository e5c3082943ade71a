package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"
)

// store holds one bucket per client, in shards that each have their own
// lock, and reclaims the buckets of idle clients.
//
// A client is its key's 64-bit hash (maphash, with a seed of the store's
// own): the store keeps no key, so a bucket costs the same for a 15-byte
// address and a 2 KB token, and inserting one allocates nothing but the
// map's growth. Two keys share a bucket only if their hashes collide, one
// chance in 2^64 per pair, and the seed is not known outside the process.
//
// A bucket is reclaimed once it is full again (its tat has passed): it is
// then the same as a bucket never used, so reclaiming it changes no answer.
// Every cleanup period, cleanup goroutines sweep the shards and drop such
// buckets; a shard whose map has shrunk to a quarter of its peak is copied
// into a smaller map, since Go's maps keep their memory when emptied. A
// flood of distinct clients is therefore held for at most one refill time
// (capacity intervals) plus one cleanup period.
type store struct {
	rate   rate
	seed   maphash.Seed
	shards []shard
	now    Clock

	// stop ends the cleanup goroutines, once; wg waits for them.
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

type shard struct {
	mu sync.Mutex
	// tats holds the tat of each client by its key's hash; nil until the
	// shard's first client.
	tats map[uint64]int64
	// peak is the size of tats when it was last allocated or swept, for
	// shrinking it.
	peak int
}

// storeOptions are a store's sizes and cleanup.
type storeOptions struct {
	shards        int
	cleanupPeriod time.Duration
	cleanupGo     int
	now           Clock
	// ticker makes the cleanup goroutines' ticks; nil means time.Ticker's.
	ticker func(time.Duration) (<-chan time.Time, func())
}

// newStore returns a store of buckets of rate r, and starts its cleanup
// goroutines; close stops them.
func newStore(r rate, o storeOptions) *store {
	s := &store{rate: r, seed: maphash.MakeSeed(), shards: make([]shard, max(o.shards, 1)), now: o.now, stop: make(chan struct{})}
	ticker := o.ticker
	if ticker == nil {
		ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	workers := min(max(o.cleanupGo, 1), len(s.shards))
	for w := range workers {
		tick, stopTicker := ticker(o.cleanupPeriod)
		s.wg.Go(func() {
			defer stopTicker()
			for {
				select {
				case <-s.stop:
					return
				case <-tick:
					for i := w; i < len(s.shards); i += workers {
						s.shards[i].sweep(s.now())
					}
				}
			}
		})
	}
	return s
}

// take takes a request from key's bucket, or returns how long until it
// could.
func (s *store) take(key string) (wait int64, ok bool) {
	h := maphash.String(s.seed, key)
	sh := &s.shards[h%uint64(len(s.shards))]
	now := s.now()
	sh.mu.Lock()
	next, wait, ok := s.rate.take(sh.tats[h], now)
	if ok {
		if sh.tats == nil {
			sh.tats = map[uint64]int64{}
		}
		sh.tats[h] = next
	}
	sh.mu.Unlock()
	return wait, ok
}

// sweep drops the buckets that are full again at now, and moves the rest
// to a smaller map when the shard's map holds a quarter of its peak or
// less.
func (sh *shard) sweep(now int64) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.peak = max(sh.peak, len(sh.tats))
	for h, tat := range sh.tats {
		if tat <= now {
			delete(sh.tats, h)
		}
	}
	if n := len(sh.tats); n <= sh.peak/4 {
		var m map[uint64]int64
		if n > 0 {
			m = make(map[uint64]int64, n)
			for h, tat := range sh.tats {
				m[h] = tat
			}
		}
		sh.tats, sh.peak = m, n
	}
}

// sweepAll sweeps every shard at now.
func (s *store) sweepAll(now int64) {
	for i := range s.shards {
		s.shards[i].sweep(now)
	}
}

// len returns the number of buckets held.
func (s *store) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.tats)
		sh.mu.Unlock()
	}
	return n
}

// close stops the cleanup goroutines and waits for them.
func (s *store) close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}
