package lambdalocal

import (
	"os/exec"
	"runtime"
	"sync"
	"time"
)

// spawner starts the function processes of one Server, all from a few
// goroutines (spawnThreads), each locked to its OS thread for the Server's
// whole life, so that cold starts of several processes run side by side.
//
// Why such threads: on Linux each process is started with a parent-death
// signal (SysProcAttr.Pdeathsig = SIGKILL, see setProcessGroup), so that a
// gateway that dies without its shutdown path (SIGKILL, an out-of-memory
// kill, a crash) takes its function processes with it. The kernel sends
// that signal when the *thread* that forked the child exits, not the
// process; Go may end an idle thread of its own (after a goroutine that
// locked it exits), and a process started from an ordinary goroutine would
// then be killed at a random moment. The spawner's goroutine calls
// runtime.LockOSThread and never unlocks: no other goroutine runs on its
// thread, and the thread lives until the goroutine returns, at Close, when
// every process of the Server has been killed already. Elsewhere (no
// Pdeathsig) it changes nothing but where Start is called.
type spawner struct {
	reqs chan spawnRequest
	quit chan struct{} // closed by stop
	done sync.WaitGroup
}

// spawnThreads is how many processes a Server may be starting at once.
const spawnThreads = 4

type spawnRequest struct {
	cmd *exec.Cmd
	err chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnRequest), quit: make(chan struct{})}
	for range spawnThreads {
		s.done.Go(s.loop)
	}
	return s
}

func (s *spawner) loop() {
	// Never unlocked: when loop returns, Go ends the thread with it. But
	// Go never ends the main thread (it is kept when a goroutine locked to
	// it exits), so a process started from it would outlive stop: take
	// another thread.
	runtime.LockOSThread()
	for isMainThread() {
		runtime.UnlockOSThread()
		time.Sleep(time.Millisecond)
		runtime.LockOSThread()
	}
	for {
		select {
		case r := <-s.reqs:
			r.err <- r.cmd.Start()
		case <-s.quit:
			return
		}
	}
}

// start starts cmd on one of the spawner's threads; errClosed after stop.
func (s *spawner) start(cmd *exec.Cmd) error {
	r := spawnRequest{cmd: cmd, err: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.err
	case <-s.quit:
		return errClosed
	}
}

// stop ends the spawner's goroutines (and their threads) and waits for
// them.
func (s *spawner) stop() {
	close(s.quit)
	s.done.Wait()
}
