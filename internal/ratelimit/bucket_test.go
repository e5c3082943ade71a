package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(int64(time.Hour)) // any start: only differences matter
	return c
}

func (c *fakeClock) now() int64              { return c.ns.Load() }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func mustRate(t *testing.T, perSecond float64, capacity int) rate {
	t.Helper()
	r, ok := newRate(perSecond, capacity)
	if !ok {
		t.Fatalf("newRate(%v, %d) refused", perSecond, capacity)
	}
	return r
}

// takeN takes n requests from b and returns how many it took.
func takeN(b *bucket, n int) int {
	took := 0
	for range n {
		if _, ok := b.take(); ok {
			took++
		}
	}
	return took
}

func TestBucketIsFullAtTheStartAndRefillsAtItsRate(t *testing.T) {
	t.Parallel()
	clock := newClock()
	b := &bucket{rate: mustRate(t, 2, 3), now: clock.now}
	if got := takeN(b, 5); got != 3 {
		t.Fatalf("a new bucket of capacity 3 took %d of 5 requests", got)
	}
	wait, ok := b.take()
	if ok || wait != int64(500*time.Millisecond) {
		t.Fatalf("empty bucket: ok %v, wait %v; want a refusal and 500ms (2 a second)", ok, time.Duration(wait))
	}
	clock.advance(499 * time.Millisecond)
	if _, ok := b.take(); ok {
		t.Fatal("took a request 1ms before a token came back")
	}
	clock.advance(time.Millisecond)
	if got := takeN(b, 2); got != 1 {
		t.Fatalf("after one interval it took %d requests, want 1", got)
	}
	// Idle for long: full again, never fuller than its capacity.
	clock.advance(time.Hour)
	if got := takeN(b, 5); got != 3 {
		t.Fatalf("after an hour idle it took %d, want its capacity 3", got)
	}
}

// Concurrent takes never hand out more tokens than the bucket holds.
func TestBucketTakesAtomically(t *testing.T) {
	t.Parallel()
	clock := newClock()
	b := &bucket{rate: mustRate(t, 1, 1000), now: clock.now}
	var took atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { took.Add(int64(takeN(b, 500))) })
	}
	wg.Wait()
	if took.Load() != 1000 {
		t.Fatalf("took %d, want exactly the capacity 1000", took.Load())
	}
}

func TestRateRefusesBucketsThatCouldOverflow(t *testing.T) {
	t.Parallel()
	if _, ok := newRate(1e-12, 1); ok {
		t.Error("a rate of one token every 31,700 years was accepted")
	}
	if r, ok := newRate(1e12, 1); !ok || r.interval != 1 {
		t.Errorf("a huge rate: %+v, %v; want an interval of 1ns", r, ok)
	}
}

func TestRetryAfterIsWholeSecondsRoundedUp(t *testing.T) {
	var ra retryAfter
	for _, c := range []struct {
		wait time.Duration
		want string
	}{
		{time.Nanosecond, "1"}, {500 * time.Millisecond, "1"}, {time.Second, "1"},
		{time.Second + time.Nanosecond, "2"}, {30 * time.Second, "30"}, {time.Hour, "3600"},
	} {
		if got := ra.header(int64(c.wait)); len(got) != 1 || got[0] != c.want {
			t.Errorf("wait %v: Retry-After %q, want %q", c.wait, got, c.want)
		}
	}
	// The same second again shares the value: no allocation.
	if n := testing.AllocsPerRun(100, func() { ra.header(int64(time.Hour)) }); n != 0 {
		t.Errorf("repeated Retry-After: %v allocations", n)
	}
}
