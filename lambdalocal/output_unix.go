//go:build unix

package lambdalocal

import (
	"errors"
	"syscall"
)

// syncDelay is how long sync waits before reading the pipe. On Unix the
// pipe is read without blocking under the lock, which is exact, so none.
const syncDelay = 0

// maxDrainBytes bounds one catch-up read, so that a process that writes
// without pause cannot hold an invocation's end forever.
const maxDrainBytes = 4 << 20

// readLoop reads the pipe until every writer has closed it or close closes
// it. Each chunk is read and processed under the lock, so drainLocked can
// know that nothing read is still on its way.
func (o *output) readLoop() {
	defer close(o.done)
	rc, err := o.r.SyscallConn()
	if err != nil {
		o.logger.Error("cannot read function output", "error", err)
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		for {
			o.mu.Lock()
			n, eof, err := o.readOnceLocked(int(fd))
			if eof || err != nil {
				o.flushPartialLocked()
			}
			o.mu.Unlock()
			switch {
			case eof || err != nil:
				return true // stop reading
			case n == 0:
				return false // nothing to read: wait until there is
			}
		}
	})
}

// drainLocked reads whatever the pipe holds now, without waiting.
func (o *output) drainLocked() {
	rc, err := o.r.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		for total := 0; total < maxDrainBytes; {
			n, eof, err := o.readOnceLocked(int(fd))
			if n == 0 || eof || err != nil {
				return
			}
			total += n
		}
	})
}

// readOnceLocked does one non-blocking read and feeds what came. n == 0 with
// no eof and no error means the pipe is empty for now.
func (o *output) readOnceLocked(fd int) (n int, eof bool, err error) {
	for {
		n, err = syscall.Read(fd, o.buf)
		if n > 0 {
			o.feedLocked(o.buf[:n])
			return n, false, nil
		}
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return 0, false, nil
		case err != nil:
			return 0, false, err
		}
		return 0, true, nil
	}
}
