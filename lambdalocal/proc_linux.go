//go:build linux

package lambdalocal

import (
	"os"
	"syscall"
)

// parentDeath has the kernel SIGKILL the process when the thread that
// started it exits: a spawner thread, which lives as long as the
// Server, or the whole gateway when it dies without closing the Server.
func parentDeath(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// isMainThread reports whether the calling goroutine runs on the
// process's first thread.
func isMainThread() bool { return syscall.Gettid() == os.Getpid() }
