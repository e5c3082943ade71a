package lambdalocal

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"time"
)

// maxLineBytes bounds a line held while waiting for its newline; a longer
// one is passed on in pieces.
const maxLineBytes = 64 << 10

// output is one function process's stdout and stderr, which share a pipe so
// that their lines keep the order in which they were written. It splits the
// bytes into lines and hands each to the gateway's logger (attributed with
// the function name and request id) and to the Tail log of the invocation
// running at the time.
//
// Ordering matters: a function writes a line and then posts its response,
// so when the response arrives the line is already in the pipe. sync reads
// whatever the pipe holds before the START, END and REPORT lines are added,
// so every line lands in the right invocation's log.
type output struct {
	r      *os.File // read end of the pipe
	logger *slog.Logger
	done   chan struct{} // closed when the reader goroutine has returned

	mu      sync.Mutex
	partial []byte      // the start of a line whose newline has not come yet
	sink    *invocation // whose Tail log receives lines; nil between invocations
	buf     []byte      // read buffer, used under mu
}

// newOutput creates the pipe and starts reading it. The caller gives w to
// the process as stdout and stderr and closes its own copy once the process
// has started.
// Lines go to sink (which may be nil) until setSink says otherwise.
func newOutput(logger *slog.Logger, sink *invocation) (o *output, w *os.File, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	o = &output{r: r, logger: logger, sink: sink, done: make(chan struct{}), buf: make([]byte, 32<<10)}
	go o.readLoop()
	return o, w, nil
}

// locked catches up with the pipe and then runs f, both under the lock, so
// that f's writes to a Tail log come after every line written before.
func (o *output) locked(f func()) {
	if syncDelay > 0 {
		time.Sleep(syncDelay)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.drainLocked()
	o.flushPartialLocked()
	if f != nil {
		f()
	}
}

// setSink makes inv (or nobody, if nil) the receiver of the lines that
// follow, after the lines written so far went to the previous receiver.
func (o *output) setSink(inv *invocation, before func()) {
	o.locked(func() {
		if before != nil {
			before()
		}
		o.sink = inv
	})
}

// close reads what is left, stops the reader and releases the pipe. Call it
// once the process has exited.
func (o *output) close() {
	o.locked(nil)
	o.r.Close()
	<-o.done
}

// feedLocked splits p into lines.
func (o *output) feedLocked(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			o.partial = append(o.partial, p...)
			if len(o.partial) >= maxLineBytes {
				o.flushPartialLocked()
			}
			return
		}
		if len(o.partial) > 0 {
			o.partial = append(o.partial, p[:i]...)
			o.emitLocked(o.partial)
			o.partial = o.partial[:0]
		} else {
			o.emitLocked(p[:i])
		}
		p = p[i+1:]
	}
}

func (o *output) flushPartialLocked() {
	if len(o.partial) > 0 {
		o.emitLocked(o.partial)
		o.partial = o.partial[:0]
	}
}

// emitLocked passes one line on.
func (o *output) emitLocked(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if o.sink == nil {
		o.logger.LogAttrs(context.Background(), slog.LevelInfo, string(line))
		return
	}
	o.sink.log.writeLine(line)
	o.logger.LogAttrs(context.Background(), slog.LevelInfo, string(line), slog.String("request_id", o.sink.id))
}
