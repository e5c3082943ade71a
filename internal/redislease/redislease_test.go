package redislease

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Two processes' semaphores of one key (two clients): 40 goroutines each
// take and release leases 10 times; at no moment are more than 3 held, and
// every place is given back.
func TestAtMostMaxAcrossClients(t *testing.T) {
	srv := redistest.Start(t)
	const max = 3
	sems := []*Semaphore{New(client(t, srv.Addr()), "k", max, time.Minute), New(client(t, srv.Addr()), "k", max, time.Minute)}
	ctx := ctxT(t)
	var held, most, granted, refused atomic.Int64
	var wg sync.WaitGroup
	for g := range 40 {
		s := sems[g%2]
		wg.Go(func() {
			for range 10 {
				l, ok, err := s.Acquire(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					refused.Add(1)
					continue
				}
				granted.Add(1)
				n := held.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Millisecond)
				held.Add(-1)
				if err := s.Release(ctx, l); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if most.Load() > max || most.Load() == 0 {
		t.Errorf("%d leases held at once, want 1 to %d", most.Load(), max)
	}
	if refused.Load() == 0 || granted.Load() == 0 {
		t.Errorf("%d granted, %d refused: want both", granted.Load(), refused.Load())
	}
	if n, err := sems[0].Held(ctx); err != nil || n != 0 {
		t.Errorf("after every release: %d held (%v), want 0", n, err)
	}
}

// A holder that dies without releasing (its client closed) keeps its
// places until the leases' time to live has passed; then they are
// granted again. Without the expiry, the key would stay full.
func TestDeadHoldersLeasesExpire(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxT(t)
	const ttl = 600 * time.Millisecond
	dead := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true})
	holder := New(dead, "fn", 2, ttl)
	for range 2 {
		if _, ok, err := holder.Acquire(ctx); !ok || err != nil {
			t.Fatalf("holder: %v %v", ok, err)
		}
	}
	dead.Close() // killed: nothing released
	other := New(client(t, srv.Addr()), "fn", 2, ttl)
	start := time.Now()
	if _, ok, err := other.Acquire(ctx); ok || err != nil {
		t.Fatalf("while the dead holder's leases live: granted %v (%v), want refused", ok, err)
	}
	var l Lease
	for {
		var ok bool
		var err error
		if l, ok, err = other.Acquire(ctx); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the dead holder's leases never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := time.Since(start); d < ttl/2 {
		t.Errorf("granted %v after, before the leases' %v could pass", d, ttl)
	}
	if _, ok, _ := other.Acquire(ctx); !ok {
		t.Error("both dead leases expired, but the second place was refused")
	}
	if err := other.Release(ctx, l); err != nil {
		t.Error(err)
	}
	// The set itself expires with its last lease.
	if pttl := client(t, srv.Addr()).PTTL(ctx, "fn").Val(); pttl <= 0 || pttl > ttl {
		t.Errorf("the key's time to live is %v, want within the lease's %v", pttl, ttl)
	}
}

// A dead holder's lease expires by itself while others keep taking and
// giving back leases of the key (each grant keeps the key alive, so the
// key's own expiry never comes): after the lease's time to live, both
// places are the live holder's.
func TestDeadLeaseExpiresUnderTraffic(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxT(t)
	const ttl = 500 * time.Millisecond
	dead := New(client(t, srv.Addr()), "fn", 2, ttl)
	if _, ok, err := dead.Acquire(ctx); !ok || err != nil {
		t.Fatalf("holder: %v %v", ok, err)
	}
	live := New(client(t, srv.Addr()), "fn", 2, ttl)
	start := time.Now()
	for {
		l1, ok1, err := live.Acquire(ctx)
		if err != nil || !ok1 {
			t.Fatalf("one place of two is free, yet: %v %v", ok1, err)
		}
		l2, ok2, err := live.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		live.Release(ctx, l1)
		if ok2 {
			live.Release(ctx, l2)
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the dead holder's lease never expired under traffic")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := time.Since(start); d < ttl/2 {
		t.Errorf("the second place was granted %v after, before the dead lease's %v could pass", d, ttl)
	}
}

// Redis stopped or hanging: Acquire returns an error within its context,
// never a lease; Redis back: leases again.
func TestRedisDownIsAnError(t *testing.T) {
	srv := redistest.Start(t)
	s := New(client(t, srv.Addr()), "k", 1, time.Minute)
	hung := New(client(t, redistest.BlackHole(t)), "k", 1, time.Minute)
	srv.Stop()
	for name, s := range map[string]*Semaphore{"stopped": s, "hanging": hung} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		_, ok, err := s.Acquire(ctx)
		cancel()
		if err == nil || ok {
			t.Errorf("%s: granted %v, error %v; want an error", name, ok, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: Acquire took %v past its 200ms context", name, d)
		}
	}
	srv.Restart()
	if _, ok, err := s.Acquire(ctxT(t)); !ok || err != nil {
		t.Errorf("Redis back: %v %v", ok, err)
	}
}

// BenchmarkAcquireRelease is one lease taken and given back on a real
// redis-server on loopback: two round trips.
func BenchmarkAcquireRelease(b *testing.B) {
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true})
	defer c.Close()
	s := New(c, "bench", 1000, time.Minute)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, ok, err := s.Acquire(ctx)
		if !ok || err != nil {
			b.Fatal(ok, err)
		}
		if err := s.Release(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}
