package lambdalocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// initTimeout bounds a process's start-up, from exec to its first request
// for work, as Lambda bounds the init phase.
const initTimeout = 10 * time.Second

// sandbox is one function process with its own Runtime API endpoint on a
// loopback port of its own (AWS_LAMBDA_RUNTIME_API), so that every request
// the API receives is known to come from this process. It runs one
// invocation at a time.
type sandbox struct {
	pool    *pool
	fn      *function
	logger  *slog.Logger // with the function's name
	cmd     *exec.Cmd
	api     *http.Server
	out     *output
	started time.Time

	work    chan *invocation // unbuffered: taken by the process's next call
	initErr chan []byte      // body of a POST to /runtime/init/error
	exited  chan struct{}    // closed once the process has exited and its output is read
	exitErr error            // how it exited; read after exited is closed

	mu       sync.Mutex
	current  *invocation // handed to the process, not answered yet
	ready    bool        // the process has asked for work at least once
	initTook time.Duration
	used     bool // an invocation was given to this process
	lastUsed time.Time
	memoryMB int // last "Max Memory Used" measured
}

// startSandbox starts one process of p's function, for inv: its start-up
// output goes to inv's log. It does not wait for the process to be ready:
// the first invocation does.
func startSandbox(p *pool, inv *invocation) (*sandbox, error) {
	fn, s := p.fn, p.srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("function %s: listening on loopback for its Runtime API: %w", fn.name, err)
	}
	logger := s.logger.With("function", fn.name)
	out, w, err := newOutput(logger, inv)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("function %s: creating the output pipe: %w", fn.name, err)
	}
	sb := &sandbox{
		pool:    p,
		fn:      fn,
		logger:  logger,
		out:     out,
		work:    make(chan *invocation),
		initErr: make(chan []byte, 1),
		exited:  make(chan struct{}),
	}
	logStream := time.Now().UTC().Format("2006/01/02") + "/[" + latestVersion + "]" + randomHex(16)
	sb.cmd = exec.Command(fn.argv[0], fn.argv[1:]...)
	sb.cmd.Dir = fn.dir
	sb.cmd.Env = s.processEnv(fn, ln.Addr().String(), logStream)
	sb.cmd.Stdout = w
	sb.cmd.Stderr = w
	setProcessGroup(sb.cmd)
	sb.api = &http.Server{
		Handler:           sb.runtimeAPI(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	go func() { _ = sb.api.Serve(ln) }()
	// Under mu: the Runtime API's first request for work reads it, and
	// nothing orders that request after this goroutine (the process is
	// started by the spawner's).
	sb.mu.Lock()
	sb.started = time.Now()
	sb.mu.Unlock()
	if err := s.spawn.start(sb.cmd); err != nil {
		w.Close()
		sb.api.Close()
		out.close()
		return nil, fmt.Errorf("%s: starting %s: %w", fn.dir, fn.argv[0], err)
	}
	w.Close()
	go sb.wait()
	logger.Debug("process started", "pid", sb.cmd.Process.Pid, "runtime_api", ln.Addr().String())
	return sb, nil
}

// wait reaps the process and releases what it held.
func (sb *sandbox) wait() {
	sb.exitErr = sb.cmd.Wait()
	sb.out.close()
	close(sb.exited)
	sb.api.Close()
	sb.pool.forget(sb)
	sb.logger.Debug("process exited", "pid", sb.cmd.Process.Pid, "status", exitDescription(sb.exitErr))
}

// kill stops the process (and its group) at once; wait does the rest.
func (sb *sandbox) kill() { killProcessGroup(sb.cmd.Process) }

// alive reports whether the process is still running.
func (sb *sandbox) alive() bool {
	select {
	case <-sb.exited:
		return false
	default:
		return true
	}
}

// invoke runs inv on this process and returns its result. final is false
// only when a process that had served before was found dead before it took
// inv: the call did not start, and the pool may run it on a fresh process.
func (sb *sandbox) invoke(inv *invocation) (res invokeResult, final bool) {
	sb.mu.Lock()
	cold := !sb.used
	sb.used = true
	sb.mu.Unlock()

	// From here the process's output (its start-up output, on a cold start)
	// belongs to inv's log.
	sb.out.setSink(inv, nil)
	// A new process must ask for work within initTimeout; a warm one, which
	// should be waiting already, within the function's timeout.
	wait := sb.fn.timeout
	if cold {
		wait = initTimeout
	}
	takeTimer := time.NewTimer(wait)
	defer takeTimer.Stop()
	start := time.Now()
	select {
	case sb.work <- inv:
		<-inv.delivered
	case body := <-sb.initErr:
		sb.kill()
		<-sb.exited
		return sb.end(inv, initFailure(body), start, true), true
	case <-sb.exited:
		select {
		case body := <-sb.initErr:
			return sb.end(inv, initFailure(body), start, true), true
		default:
		}
		if !cold {
			sb.out.setSink(nil, nil)
			return invokeResult{}, false
		}
		return sb.end(inv, sandboxError(inv, "Runtime.ExitError", "Runtime exited with error: %s", exitDescription(sb.exitErr)), start, true), true
	case <-takeTimer.C:
		sb.kill()
		<-sb.exited
		if cold {
			return sb.end(inv, sandboxError(inv, "Sandbox.Timedout", "Init phase did not complete within %.2f seconds", initTimeout.Seconds()), start, true), true
		}
		return sb.end(inv, sandboxError(inv, "Sandbox.Timedout", "Task timed out after %.2f seconds (the runtime never asked for the invocation)", sb.fn.timeout.Seconds()), start, false), true
	}

	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case <-inv.done:
	case <-sb.exited:
		inv.finish(sandboxError(inv, "Runtime.ExitError", "Runtime exited with error: %s", exitDescription(sb.exitErr)))
	case <-timer.C:
		sb.kill()
		<-sb.exited
		inv.finish(sandboxError(inv, "Sandbox.Timedout", "Task timed out after %.2f seconds", sb.fn.timeout.Seconds()))
	}
	<-inv.done
	sb.mu.Lock()
	if sb.current == inv {
		sb.current = nil
	}
	sb.mu.Unlock()
	return sb.end(inv, inv.result, inv.deliveredAt, cold), true
}

// end writes the end of inv's log (the runtime's own error lines, END and
// REPORT) after the function's last output, and returns r.
func (sb *sandbox) end(inv *invocation, r invokeResult, start time.Time, cold bool) invokeResult {
	inv.finish(r) // for the paths that did not hand inv over
	duration := time.Since(start)
	sb.mu.Lock()
	if mem := peakMemoryMB(sb.cmd.Process.Pid); mem > 0 && sb.alive() {
		sb.memoryMB = mem
	}
	memory, initTook := sb.memoryMB, time.Duration(0)
	if cold {
		initTook = sb.initTook
	}
	sb.lastUsed = time.Now()
	sb.mu.Unlock()

	var lines []string
	switch r.errorType {
	case "Sandbox.Timedout":
		_, what, _ := strings.Cut(errorMessageOf(r.payload), " Error: ")
		lines = append(lines, fmt.Sprintf("%s %s %s", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, what))
		sb.logger.Warn("function timed out; its process was stopped", "request_id", inv.id, "error", what)
	case "Runtime.ExitError":
		lines = append(lines, fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, exitDescription(sb.exitErr)), "Runtime.ExitError")
		sb.logger.Warn("function process exited during an invocation", "request_id", inv.id, "status", exitDescription(sb.exitErr))
	}
	lines = append(lines, endLine(inv), reportLine(inv, r, duration, initTook, memory))
	sb.out.setSink(nil, func() {
		for _, l := range lines {
			inv.log.writeString(l)
		}
	})
	level := slog.LevelInfo
	if r.functionError != "" {
		level = slog.LevelWarn
	}
	attrs := []any{"request_id", inv.id, "duration", duration.Round(10 * time.Microsecond)}
	if initTook > 0 {
		attrs = append(attrs, "init_duration", initTook.Round(10*time.Microsecond))
	}
	if r.functionError != "" {
		attrs = append(attrs, "function_error", r.functionError, "error_type", r.errorType)
	}
	sb.logger.Log(context.Background(), level, "invocation finished", attrs...)
	return r
}

// exitDescription says how a process ended, as Lambda words it
// ("exit status 1", "signal: killed").
func exitDescription(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &ee):
		return ee.String()
	default:
		return err.Error()
	}
}
