//go:build unix && !linux

package lambdalocal

import "syscall"

// parentDeath does nothing: only Linux has a parent-death signal. A
// function process then ends when its runtime client finds the Runtime API
// gone.
func parentDeath(*syscall.SysProcAttr) {}
