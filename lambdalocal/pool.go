package lambdalocal

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// errClosed is returned once the server is shutting down.
var errClosed = errors.New("the local Lambda runtime is shutting down")

// pool holds one function's processes. Its slots are the function's
// concurrency: an invocation holds a slot while it runs, so at most
// concurrency processes ever exist; idle ones wait for reuse until reaped.
type pool struct {
	fn    *function
	srv   *Server
	slots chan struct{}
	// metrics is nil until Server.Instrument.
	metrics atomic.Pointer[poolMetrics]

	mu     sync.Mutex
	idle   []*sandbox // most recently used last
	live   map[*sandbox]struct{}
	closed bool
	// retired is set once a Rescan replaced the pool: processes are
	// stopped when their invocation ends instead of being kept warm.
	retired bool
}

func newPool(s *Server, fn *function) *pool {
	return &pool{fn: fn, srv: s, slots: make(chan struct{}, fn.concurrency), live: map[*sandbox]struct{}{}}
}

// tryAcquire takes a slot if one is free.
func (p *pool) tryAcquire() bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// acquire waits for a slot.
func (p *pool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives a slot back.
func (p *pool) release() { <-p.slots }

// invoke runs inv on a warm process, or on a new one if none is idle. The
// caller holds a slot.
func (p *pool) invoke(inv *invocation) (invokeResult, error) {
	for attempt := 0; ; attempt++ {
		sb, err := p.get(inv)
		if errors.Is(err, errClosed) {
			return invokeResult{}, err
		}
		if err != nil {
			p.srv.logger.Error("cannot start function process", "function", p.fn.name, "request_id", inv.id, "error", err)
			r := invokeResult{payload: errorJSON("Runtime.InvalidEntrypoint", err.Error()), functionError: functionErrorUnhandled,
				errorType: "Runtime.InvalidEntrypoint", status: "error"}
			inv.finish(r)
			return r, nil
		}
		r, final := sb.invoke(inv)
		if !final && attempt == 0 {
			continue // a warm process died between calls: use a fresh one
		}
		p.put(sb)
		return r, nil
	}
}

// get returns an idle process, or starts one for inv.
func (p *pool) get(inv *invocation) (*sandbox, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	for len(p.idle) > 0 {
		sb := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if sb.alive() {
			p.mu.Unlock()
			return sb, nil
		}
	}
	p.mu.Unlock()

	sb, err := startSandbox(p, inv)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		sb.kill()
		<-sb.exited
		return nil, errClosed
	}
	if sb.alive() {
		p.live[sb] = struct{}{}
	}
	p.mu.Unlock()
	p.coldStart()
	return sb, nil
}

// put returns a process after an invocation: to the idle list if it lives.
func (p *pool) put(sb *sandbox) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.retired {
		sb.kill()
		return
	}
	if sb.alive() {
		p.idle = append(p.idle, sb)
	}
}

// retire stops p's idle processes and lets the busy ones finish their
// invocation, after which put stops them too.
func (p *pool) retire() {
	p.mu.Lock()
	p.retired = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, sb := range idle {
		sb.kill()
	}
}

// forget drops a process that exited.
func (p *pool) forget(sb *sandbox) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, sb)
	for i, s := range p.idle {
		if s == sb {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
}

// reap stops the processes idle since before cutoff.
func (p *pool) reap(cutoff time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.idle[:0]
	for _, sb := range p.idle {
		sb.mu.Lock()
		last := sb.lastUsed
		sb.mu.Unlock()
		if last.Before(cutoff) {
			p.srv.logger.Debug("stopping idle function process", "function", p.fn.name, "pid", sb.cmd.Process.Pid)
			sb.kill()
			continue
		}
		kept = append(kept, sb)
	}
	clear(p.idle[len(kept):])
	p.idle = kept
}

// processes counts the live processes (for tests and logs).
func (p *pool) processes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live)
}

// close kills every process and waits for them to exit.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := make([]*sandbox, 0, len(p.live))
	for sb := range p.live {
		all = append(all, sb)
	}
	p.idle = nil
	p.mu.Unlock()
	for _, sb := range all {
		sb.kill()
	}
	for _, sb := range all {
		<-sb.exited
	}
	// A process's own goroutine forgets it after it exits; do it here too,
	// so that a closed pool counts no process once close returns.
	p.mu.Lock()
	for _, sb := range all {
		delete(p.live, sb)
	}
	p.mu.Unlock()
}
