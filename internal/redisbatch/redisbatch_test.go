package redisbatch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// incr counts its calls in KEYS[1]: its replies say in which order the
// server ran them.
var incr = redis.NewScript(`return redis.call('INCR', KEYS[1])`)

// slow keeps the server busy for about ARGV[1] milliseconds (a Lua busy
// loop on Redis's clock), then answers 1: a round trip held in flight.
var slow = redis.NewScript(`
local t = redis.call('TIME')
local stop = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1]) * 1000
repeat
  t = redis.call('TIME')
until tonumber(t[1]) * 1000000 + tonumber(t[2]) >= stop
return 1
`)

func newBatcher(t *testing.T, addr string, maxBatch int) *Batcher {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 4, ContextTimeoutEnabled: true, Protocol: 2, DisableIdentity: true})
	b := New(c, maxBatch)
	t.Cleanup(func() {
		b.Close()
		c.Close()
	})
	return b
}

// queued waits until n calls wait in b's queue.
func queued(t *testing.T, b *Batcher, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		l := len(b.queue)
		b.mu.Unlock()
		if l >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d calls queued after 5s", n)
}

// Many concurrent calls give what a serial run gives: every INCR ran once,
// atomically (the replies are 1..n, each once), and they went out in
// fewer round trips than calls, no batch above its bound.
func TestConcurrentCallsCountAsSerial(t *testing.T) {
	srv := redistest.Start(t)
	for _, c := range []struct {
		name     string
		maxBatch int
		callers  int
	}{
		{"default batch", 0, 400},
		{"batches of 4", 4, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBatcher(t, srv.Addr(), c.maxBatch)
			key := "count:" + c.name
			// A slow call in flight first, so the callers queue behind it.
			held := make(chan error, 1)
			go func() { held <- b.Run(context.Background(), slow, nil, 50).Err() }()
			waitBusy(t, b)
			replies := make([]int64, c.callers)
			errs := make([]error, c.callers)
			var wg sync.WaitGroup
			for i := range c.callers {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					replies[i], errs[i] = b.Run(ctx, incr, []string{key}).Int64()
				})
			}
			wg.Wait()
			if err := <-held; err != nil {
				t.Fatalf("the held call: %v", err)
			}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			slices.Sort(replies)
			for i, r := range replies {
				if r != int64(i+1) {
					t.Fatalf("sorted replies[%d] = %d, want %d: some INCR ran twice or never", i, r, i+1)
				}
			}
			if n, err := b.Client().Get(context.Background(), key).Int64(); err != nil || n != int64(c.callers) {
				t.Fatalf("%s = %d, %v; want %d", key, n, err, c.callers)
			}
			rounds, calls := b.Stats()
			if calls != uint64(c.callers)+1 {
				t.Errorf("Stats calls = %d, want %d", calls, c.callers+1)
			}
			maxBatch := DefaultMaxBatch
			if c.maxBatch > 0 {
				maxBatch = c.maxBatch
			}
			if min := 1 + uint64((c.callers+maxBatch-1)/maxBatch); rounds < min {
				t.Errorf("%d rounds for %d calls: a batch went over %d", rounds, calls, maxBatch)
			}
			if rounds >= calls/2 {
				t.Errorf("%d rounds for %d calls: the queued calls were not batched", rounds, calls)
			}
		})
	}
}

// waitBusy waits until b has a round trip in flight.
func waitBusy(t *testing.T, b *Batcher) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		busy := b.busy
		b.mu.Unlock()
		if busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no round trip in flight after 5s")
}

// A batched call of a script the server does not know is loaded and run
// once (NOSCRIPT means it did not run).
func TestBatchLoadsUnknownScript(t *testing.T) {
	srv := redistest.Start(t)
	b := newBatcher(t, srv.Addr(), 0)
	if err := b.Client().ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() { held <- b.Run(context.Background(), slow, nil, 50).Err() }()
	waitBusy(t, b)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { errs[i] = b.Run(context.Background(), incr, []string{"k"}).Err() })
	}
	wg.Wait()
	<-held
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if n, _ := b.Client().Get(context.Background(), "k").Int64(); n != 10 {
		t.Errorf("k = %d, want 10", n)
	}
}

// Redis stopped while a batch is in flight and more calls wait: every call
// fails within its own timeout, none hangs; Redis back, calls answer again.
// A server that never answers: each call ends at its own deadline.
func TestRedisFailsMidBatch(t *testing.T) {
	const timeout = 300 * time.Millisecond
	const slack = 200 * time.Millisecond
	run := func(t *testing.T, b *Batcher, n int, stop func()) {
		held := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			held <- b.Run(ctx, slow, nil, 1000).Err()
		}()
		waitBusy(t, b)
		type result struct {
			err     error
			elapsed time.Duration
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				t0 := time.Now()
				err := b.Run(ctx, incr, []string{"k"}).Err()
				results[i] = result{err, time.Since(t0)}
			})
		}
		queued(t, b, n)
		stop()
		wg.Wait()
		if err := <-held; err == nil {
			t.Error("the call in flight when Redis stopped succeeded")
		}
		for i, r := range results {
			if r.err == nil {
				t.Errorf("call %d succeeded with Redis stopped", i)
			}
			if r.elapsed > timeout+slack {
				t.Errorf("call %d took %v, its timeout is %v", i, r.elapsed, timeout)
			}
		}
	}
	t.Run("stopped", func(t *testing.T) {
		srv := redistest.Start(t)
		b := newBatcher(t, srv.Addr(), 0)
		run(t, b, 50, srv.Stop)
		srv.Restart()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if n, err := b.Run(ctx, incr, []string{"k"}).Int64(); err != nil || n != 1 {
			t.Errorf("Redis back: %d, %v; want 1 (a new, empty server)", n, err)
		}
	})
	t.Run("never answers", func(t *testing.T) {
		b := newBatcher(t, redistest.BlackHole(t), 0)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		// Only the deadlines end these calls: stop does nothing.
		held := make(chan error, 1)
		go func() { held <- b.Run(ctx, incr, []string{"k"}).Err() }()
		waitBusy(t, b)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				t0 := time.Now()
				err := b.Run(ctx, incr, []string{"k"}).Err()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("call %d: %v, want the deadline's error", i, err)
				}
				if d := time.Since(t0); d > timeout+slack {
					t.Errorf("call %d took %v, its timeout is %v", i, d, timeout)
				}
			})
		}
		wg.Wait()
		if err := <-held; err == nil {
			t.Error("the call to a server that never answers succeeded")
		}
	})
}

// A queued caller whose context is cancelled returns at once, and its call
// is not sent.
func TestCancelledCallerLeavesQueue(t *testing.T) {
	srv := redistest.Start(t)
	b := newBatcher(t, srv.Addr(), 0)
	held := make(chan error, 1)
	go func() { held <- b.Run(context.Background(), slow, nil, 200).Err() }()
	waitBusy(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, incr, []string{"k"}).Err() }()
	queued(t, b, 1)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call: %v, want context.Canceled", err)
		}
	case <-time.After(100 * time.Millisecond):
		t.Fatal("the cancelled call did not return within 100ms while its batch was held")
	}
	<-held
	b.Close()
	if n, err := b.Client().Exists(context.Background(), "k").Result(); err != nil || n != 0 {
		t.Errorf("k exists %d, %v: the cancelled call was sent", n, err)
	}
}
