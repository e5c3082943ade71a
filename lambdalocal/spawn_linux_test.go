//go:build linux

package lambdalocal

import (
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// TestSpawnerThread: a process started through the spawner, asked for by
// a goroutine whose OS thread then ends, lives on (its parent-death signal
// is tied to a spawner thread), and is killed by that signal when the
// spawner's threads end (it fails without Pdeathsig, or when the process is
// started from another thread).
func TestSpawnerThread(t *testing.T) {
	sp := newSpawner()
	defer func() {
		select {
		case <-sp.quit:
		default:
			sp.stop()
		}
	}()
	cmd := exec.Command("sleep", "30")
	setProcessGroup(cmd)
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: this thread ends with the goroutine.
		runtime.LockOSThread()
		errc <- sp.start(cmd)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer cmd.Process.Kill()
	select {
	case <-exited:
		t.Fatal("the process died with the thread of the goroutine that asked for it")
	case <-time.After(500 * time.Millisecond):
	}
	sp.stop()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the process outlived the spawner's threads by 5s: no parent-death signal")
	}
}
