//go:build unix

package lambdalocal

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// setProcessGroup puts the process in a group of its own, so that killing
// it also kills what it started (a bootstrap shell script's child, say),
// and on Linux ties its life to the gateway's (parentDeath).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	parentDeath(cmd.SysProcAttr)
}

// killProcessGroup kills the process and everything in its group.
func killProcessGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}

// peakMemoryMB is the peak resident memory of a running process in MB, for
// REPORT's "Max Memory Used", or 0 when the system does not say (only
// Linux's /proc does).
func peakMemoryMB(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return 0
			}
			return (kb + 1023) / 1024
		}
	}
	return 0
}
