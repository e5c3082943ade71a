package cache

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a test clock: it moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newStore(c *clock, items int, bytes int64) *Store[[]byte] {
	return New(Options[[]byte]{MaxItems: items, MaxBytes: bytes, Now: c.Now, Copy: func(b []byte) []byte { return append([]byte(nil), b...) }})
}

// loader counts its calls and returns value with ttl.
func loader(calls *atomic.Int64, value string, ttl time.Duration) Loader[[]byte] {
	return func(context.Context) (Loaded[[]byte], error) {
		calls.Add(1)
		return Loaded[[]byte]{Value: []byte(value), Size: int64(len(value)), TTL: ttl}, nil
	}
}

func TestTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		ttl       time.Duration
		after     time.Duration
		wantCalls int64
	}{
		{"fresh", time.Minute, 59 * time.Second, 1},
		{"expired at its ttl", time.Minute, time.Minute, 2},
		{"expired", time.Minute, time.Hour, 2},
		{"ttl 0 stores nothing", 0, 0, 2},
		{"ttl below 0 stores nothing", -1, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{now: time.Unix(1000, 0)}
			s := newStore(c, 10, 1<<20)
			var calls atomic.Int64
			for i := range 2 {
				v, err := s.Fetch(context.Background(), "k", loader(&calls, "v", tt.ttl))
				if err != nil || string(v) != "v" {
					t.Fatalf("fetch %d: %q %v", i, v, err)
				}
				c.advance(tt.after)
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("%d loads, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestBoundsEvict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		items     int
		bytes     int64
		sizes     []int // each a key "0", "1", ... of that many bytes
		wantKept  []string
		wantGone  []string
		wantBytes int64
	}{
		{"max_items evicts the least recently used", 2, 1 << 20, []int{1, 1, 1}, []string{"1", "2"}, []string{"0"}, 2},
		{"max_size evicts the least recently used", 10, 10, []int{4, 4, 4}, []string{"1", "2"}, []string{"0"}, 8},
		{"a value above max_size is not stored", 10, 10, []int{4, 11}, []string{"0"}, []string{"1"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(&clock{}, tt.items, tt.bytes)
			for i, n := range tt.sizes {
				s.Set(strconv.Itoa(i), make([]byte, n), int64(n), time.Hour)
			}
			for _, k := range tt.wantKept {
				if _, ok := s.Get(k); !ok {
					t.Errorf("%s evicted", k)
				}
			}
			for _, k := range tt.wantGone {
				if _, ok := s.Get(k); ok {
					t.Errorf("%s kept", k)
				}
			}
			if b := s.Bytes(); b != tt.wantBytes {
				t.Errorf("%d bytes held, want %d", b, tt.wantBytes)
			}
		})
	}
}

// A read makes an entry the most recently used: the other one goes.
func TestGetRefreshesRecency(t *testing.T) {
	t.Parallel()
	s := newStore(&clock{}, 2, 1<<20)
	s.Set("a", []byte("a"), 1, time.Hour)
	s.Set("b", []byte("b"), 1, time.Hour)
	s.Get("a")
	s.Set("c", []byte("c"), 1, time.Hour)
	if _, ok := s.Get("a"); !ok {
		t.Error("a, just read, was evicted")
	}
	if _, ok := s.Get("b"); ok {
		t.Error("b, the least recently used, was kept")
	}
}

// N identical concurrent fetches make one load, whatever its TTL (0: shared
// but not stored); a TTL below zero makes every caller load its own.
func TestCoalescing(t *testing.T) {
	t.Parallel()
	const n = 50
	tests := []struct {
		name      string
		ttl       time.Duration
		err       error
		wantLoads int64
	}{
		{"stored", time.Minute, nil, 1},
		{"shared, not stored", 0, nil, 1},
		{"an error is shared", time.Minute, errors.New("down"), 1},
		{"not shared", -1, nil, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(&clock{}, 10, 1<<20)
			var loads atomic.Int64
			release := make(chan struct{})
			var waiting sync.WaitGroup
			waiting.Add(n)
			load := func(context.Context) (Loaded[[]byte], error) {
				if loads.Add(1) == 1 {
					<-release
				}
				return Loaded[[]byte]{Value: []byte("v"), Size: 1, TTL: tt.ttl}, tt.err
			}
			var done sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				done.Go(func() {
					waiting.Done()
					_, errs[i] = s.Fetch(context.Background(), "k", load)
				})
			}
			waiting.Wait()
			time.Sleep(20 * time.Millisecond) // let them all reach the group
			close(release)
			done.Wait()
			if got := loads.Load(); got != tt.wantLoads {
				t.Errorf("%d loads, want %d", got, tt.wantLoads)
			}
			for i, err := range errs {
				if !errors.Is(err, tt.err) {
					t.Errorf("caller %d: %v, want %v", i, err, tt.err)
				}
			}
		})
	}
}

// Every caller gets its own copy: changing it changes neither the stored
// value nor another caller's.
func TestValuesAreCopied(t *testing.T) {
	t.Parallel()
	s := newStore(&clock{}, 10, 1<<20)
	var calls atomic.Int64
	a, _ := s.Fetch(context.Background(), "k", loader(&calls, "value", time.Hour))
	a[0] = 'X'
	b, _ := s.Fetch(context.Background(), "k", loader(&calls, "value", time.Hour))
	if string(b) != "value" {
		t.Errorf("second caller got %q after the first changed its copy", b)
	}
}

// The first caller giving up does not fail the others: they load again.
func TestFirstCallerCanceled(t *testing.T) {
	t.Parallel()
	s := newStore(&clock{}, 10, 1<<20)
	firstCtx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var loads atomic.Int64
	load := func(ctx context.Context) (Loaded[[]byte], error) {
		if loads.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			return Loaded[[]byte]{}, ctx.Err()
		}
		return Loaded[[]byte]{Value: []byte("v"), Size: 1, TTL: time.Minute}, nil
	}
	var wg sync.WaitGroup
	var firstErr error
	wg.Go(func() { _, firstErr = s.Fetch(firstCtx, "k", load) })
	<-started
	var second []byte
	var secondErr error
	wg.Go(func() { second, secondErr = s.Fetch(context.Background(), "k", load) })
	time.Sleep(20 * time.Millisecond)
	cancel()
	wg.Wait()
	if !errors.Is(firstErr, context.Canceled) {
		t.Errorf("first caller: %v, want canceled", firstErr)
	}
	if secondErr != nil || string(second) != "v" {
		t.Errorf("second caller: %q %v, want its own load's value", second, secondErr)
	}
}
