package lambdalocal

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// latestVersion is the only version the local runtime has.
const latestVersion = lambdaapi.LatestVersion

// tailBytes is how much of an invocation's log X-Amz-Log-Result carries.
const tailBytes = 4096

// Values of X-Amz-Function-Error, as the Invoke API reference defines them:
// Handled when the runtime caught the function's error and reported it
// through the Runtime API, Unhandled when the runtime could not (timeout,
// crash, failed start, invalid response).
const (
	functionErrorHandled   = lambdaapi.FunctionErrorHandled
	functionErrorUnhandled = lambdaapi.FunctionErrorUnhandled
)

// invocation is one call of a function, from the Invoke API to the reply.
type invocation struct {
	id            string // request id: Lambda-Runtime-Aws-Request-Id
	fn            *function
	payload       []byte
	invokedARN    string // the ARN as invoked, with the qualifier if one was given
	clientContext string // decoded X-Amz-Client-Context (JSON), or empty
	traceID       string
	log           tailLog
	// stream, for an InvokeWithResponseStream call, takes a response the
	// runtime streams; nil for Invoke.
	stream *streamSink

	// Set by the Runtime API's next handler before it closes delivered.
	delivered   chan struct{}
	deliveredAt time.Time
	deadline    time.Time

	once   sync.Once
	done   chan struct{} // closed by finish
	result invokeResult  // set by finish, read after done
}

// invokeResult is what the caller gets.
type invokeResult struct {
	payload       []byte
	functionError string // "", Handled or Unhandled
	errorType     string // for the REPORT line when the call failed
	status        string // REPORT "Status:" value: "", "error" or "timeout"
}

func newInvocation(fn *function, payload []byte, invokedARN string) *invocation {
	return &invocation{
		id:         newRequestID(),
		fn:         fn,
		payload:    payload,
		invokedARN: invokedARN,
		traceID:    newTraceID(),
		delivered:  make(chan struct{}),
		done:       make(chan struct{}),
	}
}

// finish records the result; only the first call counts. It reports
// whether this call was the first.
func (inv *invocation) finish(r invokeResult) bool {
	first := false
	inv.once.Do(func() {
		inv.result = r
		close(inv.done)
		first = true
	})
	return first
}

// sandboxError is a function error the runtime itself reports (timeouts,
// crashes), shaped as Lambda shapes it.
func sandboxError(inv *invocation, errorType, format string, args ...any) invokeResult {
	msg := fmt.Sprintf("RequestId: %s Error: %s", inv.id, fmt.Sprintf(format, args...))
	body, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, msg})
	status := "error"
	if errorType == "Sandbox.Timedout" {
		status = "timeout"
	}
	return invokeResult{payload: body, functionError: functionErrorUnhandled, errorType: errorType, status: status}
}

// tailLog keeps the end of one invocation's log: the START line, the
// function's output and the END and REPORT lines.
type tailLog struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailLog) writeLine(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line...)
	t.buf = append(t.buf, '\n')
	if len(t.buf) > 4*tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
}

func (t *tailLog) writeString(s string) { t.writeLine([]byte(strings.TrimSuffix(s, "\n"))) }

// tail returns the last tailBytes bytes, not starting inside a UTF-8
// character.
func (t *tailLog) tail() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
			b = b[1:]
		}
	}
	return append([]byte(nil), b...)
}

// startLine, endLine and reportLine are written as Lambda writes them.
func startLine(inv *invocation) string {
	return fmt.Sprintf("START RequestId: %s Version: %s", inv.id, latestVersion)
}

func endLine(inv *invocation) string { return "END RequestId: " + inv.id }

// reportLine: tab-separated fields, with a trailing tab, as in CloudWatch.
func reportLine(inv *invocation, r invokeResult, duration, initDuration time.Duration, maxMemoryMB int) string {
	ms := float64(duration) / float64(time.Millisecond)
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		inv.id, ms, int64(math.Ceil(ms)), inv.fn.memoryMB, maxMemoryMB)
	if initDuration > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", float64(initDuration)/float64(time.Millisecond))
	}
	if r.status != "" {
		fmt.Fprintf(&b, "Status: %s\t", r.status)
		if r.status == "error" && r.errorType != "" {
			fmt.Fprintf(&b, "Error Type: %s\t", r.errorType)
		}
	}
	return b.String()
}
