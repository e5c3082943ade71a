package endpoint

import (
	"context"
	"sync"
	"time"
)

// deadlineContext is the context an endpoint's pipeline runs under: its
// parent's values and cancellation, and the endpoint's deadline.
//
// context.WithDeadline arms a timer and links itself to its parent on
// every request, and most requests never wait on Done: the Lambda sender
// reads the deadline and checks Err. deadlineContext therefore starts the real deadline context
// (timer and parent link) only when Done is first called, and answers
// Deadline, Err and Value without it until then.
type deadlineContext struct {
	parent   context.Context
	deadline time.Time

	mu      sync.Mutex
	timed   context.Context // context.WithDeadline(parent, deadline), once Done was called
	cancel  context.CancelFunc
	stopped time.Time // when stop was called; zero before
}

// withDeadline returns a context that ends at deadline, or with parent,
// and the function that ends it (it must be called, as for
// context.WithDeadline).
func withDeadline(parent context.Context, deadline time.Time) (context.Context, func()) {
	if pd, ok := parent.Deadline(); ok && pd.Before(deadline) {
		// The parent ends first: nothing to add.
		return context.WithCancel(parent)
	}
	c := &deadlineContext{parent: parent, deadline: deadline}
	return c, c.stop
}

// Deadline returns the endpoint's deadline.
func (c *deadlineContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done starts the deadline's timer, the first time, and returns the
// channel that closes when the context ends.
func (c *deadlineContext) Done() <-chan struct{} {
	return c.timedContext(true).Done()
}

// timedContext returns the real deadline context: created when create is
// true, nil otherwise if Done was never called.
func (c *deadlineContext) timedContext(create bool) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timed == nil && create {
		c.timed, c.cancel = context.WithDeadline(c.parent, c.deadline)
		if !c.stopped.IsZero() {
			c.cancel()
		}
	}
	return c.timed
}

// Err reports why the context ended, or nil.
func (c *deadlineContext) Err() error {
	if t := c.timedContext(false); t != nil {
		return t.Err()
	}
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if !stopped.IsZero() {
		// As a deadline context would say: canceled, unless its
		// deadline had passed by then.
		if stopped.Before(c.deadline) {
			return context.Canceled
		}
		return context.DeadlineExceeded
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value returns the parent's values. Once the deadline context exists, it
// answers instead, so that contexts derived from this one link to it (the
// context package finds its parent's cancellation through Value).
func (c *deadlineContext) Value(key any) any {
	if t := c.timedContext(false); t != nil {
		return t.Value(key)
	}
	return c.parent.Value(key)
}

// stop ends the context (Canceled) and releases its timer, if any.
func (c *deadlineContext) stop() {
	c.mu.Lock()
	if c.stopped.IsZero() {
		c.stopped = time.Now()
	}
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// String names the context, as the context package's own do.
func (c *deadlineContext) String() string {
	return "endpoint.withDeadline(" + c.deadline.String() + ")"
}
