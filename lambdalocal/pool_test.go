package lambdalocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pidOf reads the "pid" a test function returns.
func pidOf(t *testing.T, out *lambda.InvokeOutput) float64 {
	t.Helper()
	var v struct{ Pid float64 }
	if err := json.Unmarshal(out.Payload, &v); err != nil || v.Pid == 0 || out.FunctionError != nil {
		t.Fatalf("no pid in %s (function error %q)", out.Payload, aws.ToString(out.FunctionError))
	}
	return v.Pid
}

// TestConcurrency: sleeper has concurrency 3. Three invocations that each
// sleep run side by side in about one sleep, on three processes; a fourth
// while they run is refused with 429 TooManyRequestsException, not queued.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	const n, sleep = 3, 800 * time.Millisecond
	client := newClient(shared, noRetries)
	p := shared.cat.Load().pool("sleeper")
	if p.fn.concurrency != n {
		t.Fatalf("sleeper's concurrency is %d, want %d from its function.json", p.fn.concurrency, n)
	}
	run := func(ms time.Duration) []float64 {
		var wg sync.WaitGroup
		pids := make([]float64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				out, err := client.Invoke(context.Background(), &lambda.InvokeInput{
					FunctionName: aws.String("sleeper"), Payload: []byte(`{"ms":` + jsonNumber(ms.Milliseconds()) + `}`)})
				if errs[i] = err; err == nil {
					pids[i] = pidOf(t, out)
				}
			})
		}
		if ms > 0 {
			waitFor(t, 5*time.Second, "every slot to be taken", func() bool { return len(p.slots) == n })
			_, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("sleeper"), Payload: []byte(`{}`)})
			var throttled *types.TooManyRequestsException
			if !errors.As(err, &throttled) || throttled.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
				t.Errorf("invocation %d of %d: got %v, want TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded)", n+1, n, err)
			}
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("parallel invocation: %v", err)
			}
		}
		return pids
	}
	run(0) // warm the processes, so the timing below is the sleeps alone

	start := time.Now()
	pids := run(sleep)
	elapsed := time.Since(start)
	if elapsed > 2*sleep-sleep/4 {
		t.Errorf("%d parallel invocations sleeping %s took %s: they did not run side by side", n, sleep, elapsed)
	}
	distinct := map[float64]bool{}
	for _, pid := range pids {
		distinct[pid] = true
	}
	if len(distinct) != n {
		t.Errorf("parallel invocations ran on processes %v, want %d different ones", pids, n)
	}
	if got := p.processes(); got > n {
		t.Errorf("%d sleeper processes, want at most its concurrency %d", got, n)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestTimeoutRecovery: slow's timeout is 0.4 s. A call that sleeps longer
// is cut off with Sandbox.Timedout, its process killed, and the next call
// works on a fresh process.
func TestTimeoutRecovery(t *testing.T) {
	t.Parallel()
	first := pidOf(t, invoke(t, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(`{"ms":0}`)}))

	start := time.Now()
	out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(`{"ms":5000}`), LogType: types.LogTypeTail})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a 0.4 s timeout took %s to fire", took)
	}
	got := decodeJSON(t, out.Payload)
	if aws.ToString(out.FunctionError) != "Unhandled" || got["errorType"] != "Sandbox.Timedout" ||
		!strings.Contains(got["errorMessage"].(string), "Task timed out after 0.40 seconds") {
		t.Fatalf("X-Amz-Function-Error %q, payload %s; want Unhandled, Sandbox.Timedout", aws.ToString(out.FunctionError), out.Payload)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !strings.Contains(string(logs), "slow sleeping 5000") || !strings.Contains(string(logs), "Task timed out after 0.40 seconds") ||
		!strings.Contains(string(logs), "Status: timeout") {
		t.Errorf("Tail log lacks the output, the timeout line or Status: timeout:\n%s", logs)
	}

	next := pidOf(t, invoke(t, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(`{"ms":0}`)}))
	if next == first {
		t.Errorf("the timed-out process %v served again; it should have been killed", first)
	}
}

// TestCrashRecovery: a process that dies mid-call gives Runtime.ExitError;
// one that dies after answering (a Go panic) is replaced unnoticed.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, function, payload string
		wantError, wantType     string
	}{
		{"node exits", "nodeecho", `{"crash":7}`, "Unhandled", "Runtime.ExitError"},
		{"go exits", "goecho", `{"exit":4}`, "Unhandled", "Runtime.ExitError"},
		{"go panics", "goecho", `{"panic":true}`, "Handled", "string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(tt.payload), LogType: types.LogTypeTail})
			got := decodeJSON(t, out.Payload)
			if aws.ToString(out.FunctionError) != tt.wantError || got["errorType"] != tt.wantType {
				t.Fatalf("X-Amz-Function-Error %q, payload %s; want %s, %s", aws.ToString(out.FunctionError), out.Payload, tt.wantError, tt.wantType)
			}
			for range 3 {
				out := invoke(t, &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(`{"after":"crash"}`)})
				if out.FunctionError != nil {
					t.Fatalf("the call after the crash failed: %s", out.Payload)
				}
			}
		})
	}
}

// TestIdleProcessesAreReaped runs its own server with a short idle timeout.
func TestIdleProcessesAreReaped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fnDir := filepath.Join(dir, "idle")
	if err := os.Mkdir(fnDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "exports.handler = async () => ({ pid: process.pid });\n"
	if err := os.WriteFile(filepath.Join(fnDir, "index.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(context.Background(), Options{FunctionsDir: dir, CacheDir: testCache, IdleTimeout: 150 * time.Millisecond, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	client := newClient(srv)
	call := func() float64 {
		out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("idle")})
		if err != nil {
			t.Fatal(err)
		}
		return pidOf(t, out)
	}
	first := call()
	if second := call(); second != first {
		t.Errorf("back-to-back calls ran on processes %v and %v: the warm one was not reused", first, second)
	}
	waitFor(t, 5*time.Second, "the idle process to be stopped", func() bool { return srv.processes() == 0 })
	if third := call(); third == first {
		t.Errorf("a call after the idle timeout ran on the reaped process %v", first)
	}
}

// TestCloseStopsRunningInvocations: Close does not wait for a function's
// timeout; the call in progress ends with Runtime.ExitError.
func TestCloseStopsRunningInvocations(t *testing.T) {
	t.Parallel()
	srv, err := Start(context.Background(), Options{FunctionsDir: "testdata/functions", CacheDir: testCache, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(srv, noRetries)
	done := make(chan *lambda.InvokeOutput, 1)
	go func() {
		out, _ := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("sleeper"), Payload: []byte(`{"ms":8000}`)})
		done <- out
	}()
	waitFor(t, 5*time.Second, "the call to start", func() bool { return len(srv.cat.Load().pool("sleeper").slots) == 1 && srv.processes() == 1 })
	time.Sleep(100 * time.Millisecond) // let the process take the call
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Close took %s", took)
	}
	if out := <-done; out != nil && aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("the interrupted call answered %s without a function error", out.Payload)
	}
	if srv.processes() != 0 {
		t.Errorf("%d processes left after Close", srv.processes())
	}
	if err := srv.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestEventInvocationsQueue: while a function's only process is busy, an
// Event invocation is accepted (202) and runs once the process is free,
// where a RequestResponse one would be refused.
func TestEventInvocationsQueue(t *testing.T) {
	t.Parallel()
	client := newClient(shared, noRetries)
	p := shared.cat.Load().pool("single")
	busy := make(chan *lambda.InvokeOutput, 1)
	go func() {
		out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("single"), Payload: []byte(`{"ms":500}`)})
		if err != nil {
			t.Error(err)
		}
		busy <- out
	}()
	waitFor(t, 5*time.Second, "the first call to take the only slot", func() bool { return len(p.slots) == 1 })

	_, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("single"), Payload: []byte(`{}`)})
	var throttled *types.TooManyRequestsException
	if !errors.As(err, &throttled) {
		t.Errorf("a RequestResponse call while busy: got %v, want TooManyRequestsException", err)
	}
	marker := "queued-" + randomHex(6)
	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("single"),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"marker":"` + marker + `"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("an Event call while busy: %v, want 202", err)
	}
	first := <-busy
	var firstDone struct{ Finished float64 }
	if first != nil {
		_ = json.Unmarshal(first.Payload, &firstDone)
	}
	var started time.Time
	waitFor(t, 5*time.Second, "the queued Event invocation to run", func() bool {
		for _, l := range sharedLogs.lines() {
			if strings.Contains(l.msg, marker) {
				started = l.time
				return true
			}
		}
		return false
	})
	if ms := float64(started.UnixMilli()); firstDone.Finished == 0 || ms < firstDone.Finished {
		t.Errorf("the Event invocation started at %v, before the busy call finished at %v", ms, firstDone.Finished)
	}
}
