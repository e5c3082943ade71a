package ratelimit

import (
	"math"
	"strconv"
	"sync/atomic"
	"time"
)

// Clock returns the time as nanoseconds on a monotonic scale; only
// differences matter. Tests inject their own.
type Clock func() int64

// epoch is the origin of the default clock's scale.
var epoch = time.Now()

// monotonic is the default Clock: nanoseconds since the process started,
// read from the monotonic clock.
func monotonic() int64 { return int64(time.Since(epoch)) }

// rate is a token bucket as KrakenD defines it (rate tokens a second,
// capacity tokens at most, full at the start), kept as a generic cell rate
// algorithm: a bucket's whole state is its theoretical arrival time (tat),
// the time at which it would be full again. A bucket takes a request at
// now when tat is at most tolerance ahead of now, and then moves tat one
// interval on.
type rate struct {
	// interval is the time one token takes to come back, in nanoseconds.
	interval int64
	// tolerance is (capacity-1) intervals: how far ahead of now tat may be
	// for a request to be taken.
	tolerance int64
}

// maxRefill bounds the time a bucket takes to fill (capacity intervals),
// so that its arithmetic cannot overflow.
const maxRefill = 100 * 365 * 24 * time.Hour

// newRate returns the rate of perSecond tokens a second and capacity
// tokens at most (at least 1), and false when its bucket would take longer
// than maxRefill to fill.
func newRate(perSecond float64, capacity int) (rate, bool) {
	capacity = max(capacity, 1)
	interval := math.Round(float64(time.Second) / perSecond)
	if math.IsNaN(interval) || interval*float64(capacity) > float64(maxRefill) {
		return rate{}, false
	}
	r := rate{interval: max(int64(interval), 1)}
	r.tolerance = r.interval * int64(capacity-1)
	return r, true
}

// take returns the bucket's new tat when it takes a request at now, or how
// long until it would (and false).
func (r rate) take(tat, now int64) (next, wait int64, ok bool) {
	tat = max(tat, now)
	if ahead := tat - now; ahead > r.tolerance {
		return tat, ahead - r.tolerance, false
	}
	return tat + r.interval, 0, true
}

// bucket is one token bucket shared by every request (an endpoint's or a
// backend's limit), taken without a lock.
type bucket struct {
	rate rate
	tat  atomic.Int64
	now  Clock
}

// take takes a request from the bucket, or returns how long until it could.
func (b *bucket) take() (wait int64, ok bool) {
	now := b.now()
	for {
		tat := b.tat.Load()
		next, wait, ok := b.rate.take(tat, now)
		if !ok {
			return wait, false
		}
		if b.tat.CompareAndSwap(tat, next) {
			return 0, true
		}
	}
}

// retryAfter gives the value of the Retry-After header for a wait: whole
// seconds, rounded up, at least 1. The value of the last wait is kept, so
// that the refusals of a flood, whose waits mostly round to the same second,
// share one header value instead of allocating one each.
type retryAfter struct {
	last atomic.Pointer[retryValue]
}

type retryValue struct {
	seconds int64
	header  []string
}

func (ra *retryAfter) header(wait int64) []string {
	seconds := max((wait+int64(time.Second)-1)/int64(time.Second), 1)
	if v := ra.last.Load(); v != nil && v.seconds == seconds {
		return v.header
	}
	v := &retryValue{seconds: seconds, header: []string{strconv.FormatInt(seconds, 10)}}
	ra.last.Store(v)
	return v.header
}
