package ratelimit

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func testStore(t testing.TB, r rate, o storeOptions) *store {
	t.Helper()
	if o.ticker == nil {
		o.ticker = func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }
	}
	s := newStore(r, o)
	t.Cleanup(s.close)
	return s
}

// A client's bucket is reclaimed once it is full again, and not before:
// reclaiming it never gives a client a token it has not earned back.
func TestCleanupReclaimsIdleClientsOnceTheirBucketIsFull(t *testing.T) {
	t.Parallel()
	clock := newClock()
	// 1 a second, capacity 2: an emptied bucket is full again after 2s.
	s := testStore(t, mustRate(t, 1, 2), storeOptions{shards: 8, now: clock.now})
	for i := range 1000 {
		s.take("client-" + strconv.Itoa(i))
	}
	s.take("busy")
	s.take("busy")
	if n := s.len(); n != 1001 {
		t.Fatalf("%d buckets, want 1001", n)
	}
	clock.advance(999 * time.Millisecond)
	s.sweepAll(clock.now())
	if n := s.len(); n != 1001 {
		t.Fatalf("after 999ms: %d buckets, want all 1001 (none is full yet)", n)
	}
	// The busy client has not earned its second token back: its bucket
	// stays, and still refuses a second request.
	clock.advance(time.Millisecond)
	s.sweepAll(clock.now())
	if n := s.len(); n != 1 {
		t.Fatalf("after 1s: %d buckets, want only the busy client's", n)
	}
	if _, ok := s.take("busy"); !ok {
		t.Fatal("busy: the token earned back in 1s was refused")
	}
	if _, ok := s.take("busy"); ok {
		t.Fatal("busy: a second token after 1s: its bucket was reclaimed too early")
	}
	clock.advance(2 * time.Second)
	s.sweepAll(clock.now())
	if n := s.len(); n != 0 {
		t.Fatalf("after 3s: %d buckets, want none", n)
	}
	for i := range s.shards {
		if s.shards[i].tats != nil {
			t.Fatalf("shard %d keeps an empty map", i)
		}
	}
}

// The cleanup goroutines sweep every shard on each tick, and stop on
// close.
func TestCleanupGoroutinesSweepOnEachTickAndStop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := newClock()
	var ticks []chan time.Time
	s := newStore(mustRate(t, 1, 1), storeOptions{shards: 5, cleanupGo: 2, now: clock.now,
		ticker: func(time.Duration) (<-chan time.Time, func()) {
			c := make(chan time.Time)
			ticks = append(ticks, c)
			return c, func() {}
		}})
	for i := range 100 {
		s.take(strconv.Itoa(i))
	}
	clock.advance(time.Second)
	ticks[0] <- time.Time{} // shards 0, 2, 4
	ticks[0] <- time.Time{} // the first sweep is done once this one is taken
	if n := s.len(); n == 0 || n == 100 {
		t.Fatalf("after one goroutine's sweep: %d buckets, want the other's shards' only", n)
	}
	ticks[1] <- time.Time{}
	ticks[1] <- time.Time{}
	if n := s.len(); n != 0 {
		t.Fatalf("after both sweeps: %d buckets", n)
	}
	s.close()
	s.close() // twice is harmless
}

// rss returns the process's resident set size in bytes, from
// /proc/self/status (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// A flood of a million distinct clients costs a bounded amount of memory
// per client, and the memory comes back once their buckets are full again.
// The figures are logged (go test -run Million -v) and reported in
// docs/BENCHMARKS.md.
func TestMillionClientsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million clients: not in -short")
	}
	const clients = 1_000_000
	clock := newClock()
	before, rssBefore := heapInUse(), rss()
	s := testStore(t, mustRate(t, 1, 1), storeOptions{shards: DefaultNumShards, now: clock.now})
	start := time.Now()
	var buf []byte
	for i := range clients {
		// Addresses as the ip strategy sees them: 10.x.y.z.
		buf = strconv.AppendInt(append(buf[:0], "10."...), int64(i>>16), 10)
		buf = strconv.AppendInt(append(buf, '.'), int64(i>>8&0xff), 10)
		buf = strconv.AppendInt(append(buf, '.'), int64(i&0xff), 10)
		if _, ok := s.take(string(buf)); !ok {
			t.Fatalf("client %d refused its first request", i)
		}
	}
	took := time.Since(start)
	if n := s.len(); n != clients {
		t.Fatalf("%d buckets, want %d", n, clients)
	}
	full, rssFull := heapInUse(), rss()
	perClient := float64(full-before) / clients
	clock.advance(time.Second)
	start = time.Now()
	s.sweepAll(clock.now())
	swept := time.Since(start)
	after, rssAfter := heapInUse(), rss()
	debug.FreeOSMemory()
	rssFreed := rss()
	t.Logf("%d clients inserted in %v (%.0f ns each); heap in use %.1f MB → %.1f MB (%.1f bytes a client), RSS %.1f MB → %.1f MB",
		clients, took.Round(time.Millisecond), float64(took.Nanoseconds())/clients, mb(before), mb(full), perClient, mb(rssBefore), mb(rssFull))
	t.Logf("swept in %v once full again: %d buckets left; heap in use %.1f MB, RSS %.1f MB (%.1f MB once the runtime returns the freed pages: debug.FreeOSMemory)",
		swept.Round(time.Millisecond), s.len(), mb(after), mb(rssAfter), mb(rssFreed))
	if perClient > 64 {
		t.Errorf("%.1f bytes a client, want at most 64", perClient)
	}
	if s.len() != 0 || after > before+8<<20 {
		t.Errorf("after the sweep: %d buckets, heap %.1f MB (before the flood %.1f MB)", s.len(), mb(after), mb(before))
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
