// Package redisbatch runs the Lua scripts of concurrent callers on one
// Redis server in pipelines. A script goes out at once, on the caller's
// goroutine, when no round trip of the Batcher is in flight; while one is,
// the next calls wait and go out together, in one pipelined write, as soon
// as it returns (natural batching: no added delay, at most MaxBatch calls
// a round trip). Each call is still one EVALSHA, run atomically by the
// server, and keeps its own context: a caller whose deadline passes
// returns the context's error at once, whatever its batch does.
package redisbatch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultMaxBatch bounds a pipeline's calls when New is given 0.
const DefaultMaxBatch = 128

// Batcher batches the script runs of one Redis client. It is safe for
// concurrent use; its zero value is not usable (see New).
type Batcher struct {
	client   *redis.Client
	maxBatch int

	mu    sync.Mutex
	busy  bool // a round trip is in flight
	queue []*call
	wg    sync.WaitGroup // the goroutines sending batches

	rounds, calls atomic.Uint64
}

// call is one caller's script run waiting in the queue.
type call struct {
	ctx    context.Context
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	done   chan struct{}
}

// New returns a Batcher on client, at most maxBatch calls a round trip
// (0: DefaultMaxBatch).
func New(client *redis.Client, maxBatch int) *Batcher {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	return &Batcher{client: client, maxBatch: maxBatch}
}

// Client is the Redis client the Batcher sends on.
func (b *Batcher) Client() *redis.Client { return b.client }

// Run runs script on keys and args, as script.Run does (EVALSHA, EVAL when
// the server does not know the script), in a pipeline with the calls of
// other goroutines when a round trip is already in flight. It returns when
// the reply is there or ctx is done, whichever is first; the returned
// command then holds ctx's error.
func (b *Batcher) Run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	b.mu.Lock()
	if !b.busy {
		// Nothing in flight: this call is the round trip, on its own
		// goroutine and context, as an unbatched client's.
		b.busy = true
		b.mu.Unlock()
		b.rounds.Add(1)
		b.calls.Add(1)
		cmd := script.Run(ctx, b.client, keys, args...)
		if next := b.next(); next != nil {
			b.wg.Add(1)
			go b.send(next)
		}
		return cmd
	}
	c := &call{ctx: ctx, script: script, keys: keys, args: args, done: make(chan struct{})}
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.cmd
	case <-ctx.Done():
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ctx.Err())
		return cmd
	}
}

// next ends a round trip: it returns the calls queued meanwhile (at most
// maxBatch), or marks the Batcher idle and returns nil.
func (b *Batcher) next() []*call {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.busy = false
		return nil
	}
	n := min(len(b.queue), b.maxBatch)
	batch := make([]*call, n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return batch
}

// send sends batch, then each batch queued meanwhile, until the queue is
// empty.
func (b *Batcher) send(batch []*call) {
	defer b.wg.Done()
	for batch != nil {
		b.exec(batch)
		batch = b.next()
	}
}

// exec runs batch's live calls in one pipeline, on a context that ends at
// the latest of their deadlines and is cancelled by none of them, and
// wakes every caller. Calls whose server did not know their script go
// out again after loading it: NOSCRIPT means the script did not run.
func (b *Batcher) exec(batch []*call) {
	live := batch[:0:0]
	var deadline time.Time
	bounded := true
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.cmd = redis.NewCmd(c.ctx)
			c.cmd.SetErr(err)
			close(c.done)
			continue
		}
		live = append(live, c)
		if d, ok := c.ctx.Deadline(); !ok {
			bounded = false
		} else if d.After(deadline) {
			deadline = d
		}
	}
	if len(live) == 0 {
		return
	}
	b.rounds.Add(1)
	b.calls.Add(uint64(len(live)))
	ctx := context.Background()
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	b.pipeline(ctx, live)
	var again []*call
	for _, c := range live {
		if err := c.cmd.Err(); errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT") {
			again = append(again, c)
		}
	}
	if len(again) > 0 {
		loaded := map[*redis.Script]bool{}
		for _, c := range again {
			if !loaded[c.script] {
				loaded[c.script] = true
				c.script.Load(ctx, b.client)
			}
		}
		b.pipeline(ctx, again)
	}
	for _, c := range live {
		close(c.done)
	}
}

// pipeline sends one EVALSHA per call in one pipeline and sets each call's
// command.
func (b *Batcher) pipeline(ctx context.Context, calls []*call) {
	pipe := b.client.Pipeline()
	for _, c := range calls {
		c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	// Each command holds its own error; Exec's is the first of them.
	_, _ = pipe.Exec(ctx)
}

// Stats returns the round trips the Batcher made and the calls they
// carried: calls/rounds is the mean batch size.
func (b *Batcher) Stats() (rounds, calls uint64) {
	return b.rounds.Load(), b.calls.Load()
}

// Close waits for the batches in flight to end (each within its calls'
// latest deadline). It does not close the client.
func (b *Batcher) Close() { b.wg.Wait() }
