//go:build !unix

package lambdalocal

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing where process groups do not exist.
func setProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup kills the process.
func killProcessGroup(p *os.Process) { _ = p.Kill() }

// peakMemoryMB is unknown here.
func peakMemoryMB(pid int) int { return 0 }

// isMainThread reports false: without a parent-death signal, which thread
// starts a process does not matter.
func isMainThread() bool { return false }
