//go:build unix && !linux

package lambdalocal

import "syscall"

// parentDeath does nothing: only Linux has a parent-death signal. A
// function process then ends when its runtime client finds the Runtime API
// gone.
func parentDeath(*syscall.SysProcAttr) {}

// isMainThread reports false: without a parent-death signal, which thread
// starts a process does not matter.
func isMainThread() bool { return false }
