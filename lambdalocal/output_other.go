//go:build !unix

package lambdalocal

import "time"

// syncDelay gives the reader goroutine a moment to catch up before a START,
// END or REPORT line is written: without non-blocking pipe reads this is the
// best available, and a line written just before a response may land after
// the END line.
const syncDelay = 20 * time.Millisecond

// readLoop reads the pipe until it is closed.
func (o *output) readLoop() {
	defer close(o.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := o.r.Read(buf)
		o.mu.Lock()
		o.feedLocked(buf[:n])
		if err != nil {
			o.flushPartialLocked()
		}
		o.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// drainLocked has nothing to do: the reader goroutine does all reading.
func (o *output) drainLocked() {}
