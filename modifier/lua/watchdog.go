package lua

import (
	"context"
	"errors"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMemoryBudget is how much the gateway's live heap may grow while
// one script runs before the watchdog stops the script (Spec.MemoryBudget
// changes it).
const DefaultMemoryBudget = 64 << 20

// watchEvery is how often the watchdog reads the heap while scripts run.
const watchEvery = 5 * time.Millisecond

// errMemory is the cause of a script stopped by the watchdog.
var errMemory = errors.New("the gateway's memory grew past the script's budget while it ran")

// watchdog bounds what scripts allocate: gopher-lua counts no allocations,
// so while any script runs one goroutine reads the process's live heap
// every watchEvery and stops (through its context) every script that has
// seen the heap grow by more than its budget since it started. The cost
// for a script is its registration; the goroutine exists only while
// scripts run.
type watchdog struct {
	mu     sync.Mutex
	runs   map[*watched]struct{}
	active bool
	heap   atomic.Uint64 // the live heap at the last reading
}

// watched is one running script.
type watched struct {
	cancel context.CancelCauseFunc
	start  uint64 // the heap when it started, as last read
	budget uint64
}

var dog = &watchdog{runs: map[*watched]struct{}{}}

// watch registers a script about to run under ctx and returns its
// context and the function that unregisters it.
func (d *watchdog) watch(ctx context.Context, budget int64) (context.Context, *watched) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watched{cancel: cancel, budget: uint64(budget)}
	d.mu.Lock()
	if !d.active {
		d.active = true
		d.heap.Store(liveHeap())
		go d.loop()
	}
	w.start = d.heap.Load()
	d.runs[w] = struct{}{}
	d.mu.Unlock()
	return ctx, w
}

// done unregisters w.
func (d *watchdog) done(w *watched) {
	d.mu.Lock()
	delete(d.runs, w)
	d.mu.Unlock()
	w.cancel(nil)
}

// loop reads the heap while scripts run, and ends when none does.
func (d *watchdog) loop() {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for range t.C {
		heap := liveHeap()
		d.heap.Store(heap)
		d.mu.Lock()
		if len(d.runs) == 0 {
			d.active = false
			d.mu.Unlock()
			return
		}
		for w := range d.runs {
			if heap > w.start && heap-w.start > w.budget {
				w.cancel(errMemory)
				delete(d.runs, w)
			}
		}
		d.mu.Unlock()
	}
}

const heapMetric = "/memory/classes/heap/objects:bytes"

// liveHeap is the bytes of the heap's objects, live or not yet swept.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
