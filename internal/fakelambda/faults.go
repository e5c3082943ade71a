package fakelambda

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// The faults. Each is the name a test calls (a function name or the last
// path segment).
const (
	// OK answers 200 with OKBody.
	OK = "ok"
	// Throttle answers 429 TooManyRequestsException with Retry-After:
	// RetryAfter.
	Throttle = "throttle"
	// ThrottleBare answers 429 TooManyRequestsException without
	// Retry-After.
	ThrottleBare = "throttle-bare"
	// Error500, Error502 and Error503 answer that status with a Lambda
	// service error (ServiceException, EC2UnexpectedException,
	// ServiceUnavailableException).
	Error500 = "error-500"
	Error502 = "error-502"
	Error503 = "error-503"
	// ResetBefore resets the connection (TCP RST) before any byte of the
	// reply.
	ResetBefore = "reset-before"
	// ResetDuring sends the status line, headers and part of the body,
	// then resets the connection.
	ResetDuring = "reset-during"
	// Slow answers OKBody after the server's SlowDelay (longer than the
	// test's endpoint timeout), or gives up when the caller goes away.
	Slow = "slow"
	// Hang never answers: it waits until the caller goes away (or the
	// server closes).
	Hang = "hang"
	// Truncate announces a 100-byte body, sends 10 bytes and closes.
	Truncate = "truncate"
	// InvalidJSON answers 200 with a body that is not JSON.
	InvalidJSON = "invalid-json"
	// Huge answers 200 with a JSON object of HugeBytes (7 MB).
	Huge = "huge"
	// Handled and Unhandled report a function error
	// (X-Amz-Function-Error), with an error payload that holds a stack
	// trace; over plain HTTP they answer 500 with that payload.
	Handled   = "handled"
	Unhandled = "unhandled"
)

// All lists every fault but OK, in a stable order.
var All = []string{
	Throttle, ThrottleBare, Error500, Error502, Error503, ResetBefore, ResetDuring,
	Slow, Hang, Truncate, InvalidJSON, Huge, Handled, Unhandled,
}

// Canned replies.
const (
	// OKBody is the result of OK (and the default result of Start and
	// StartFunc).
	OKBody = `{"ok":true}`
	// RetryAfter is the Retry-After of Throttle.
	RetryAfter = "7"
	// HugeBytes is the size of Huge's body: above Lambda's 6 MB.
	HugeBytes = 7_000_000
	// InvalidJSONBody is InvalidJSON's body.
	InvalidJSONBody = `{"ok": tru`
	// HandledPayload and UnhandledPayload are the function error payloads.
	HandledPayload   = `{"errorMessage":"order 7 is not valid","errorType":"ValidationError","stackTrace":["at validate (/var/task/index.js:12:9)"]}`
	UnhandledPayload = `{"errorMessage":"Cannot read properties of undefined","errorType":"TypeError","stackTrace":["TypeError: Cannot read properties of undefined","    at handler (/var/task/index.js:3:15)"]}`
)

// codeServiceUnavailable is Error503's error code (not one of Lambda's).
const codeServiceUnavailable = "ServiceUnavailableException"

// fault answers the request if name is a fault, and says whether it was.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, name string, lambda bool) bool {
	h := w.Header()
	switch name {
	case OK:
		writeOK(w, lambda, []byte(OKBody))
	case Throttle, ThrottleBare:
		if name == Throttle {
			h.Set("Retry-After", RetryAfter)
		}
		apiError(w, lambda, http.StatusTooManyRequests, lambdaapi.CodeTooManyRequests, "Rate Exceeded.")
	case Error500:
		apiError(w, lambda, http.StatusInternalServerError, lambdaapi.CodeService, "internal failure at 10.0.7.12")
	case Error502:
		apiError(w, lambda, http.StatusBadGateway, lambdaapi.CodeEC2Unexpected, "unexpected EC2 error")
	case Error503:
		apiError(w, lambda, http.StatusServiceUnavailable, codeServiceUnavailable, "service unavailable")
	case ResetBefore:
		reset(w, "")
	case ResetDuring:
		reset(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"partial\":")
	case Slow, Hang:
		var timer <-chan time.Time
		if name == Slow {
			t := time.NewTimer(s.SlowDelay)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-timer:
			writeOK(w, lambda, []byte(OKBody))
		case <-r.Context().Done():
			s.abandoned.Add(1)
		case <-s.quit:
		}
	case Truncate:
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return true
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\":tru")
		buf.Flush()
		conn.Close()
	case InvalidJSON:
		writeOK(w, lambda, []byte(InvalidJSONBody))
	case Huge:
		writeOK(w, lambda, HugeBody())
	case Handled, Unhandled:
		payload, kind := HandledPayload, lambdaapi.FunctionErrorHandled
		if name == Unhandled {
			payload, kind = UnhandledPayload, lambdaapi.FunctionErrorUnhandled
		}
		h.Set("Content-Type", "application/json")
		if !lambda {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, payload)
			return true
		}
		h.Set(lambdaapi.HeaderFunctionError, kind)
		h.Set(lambdaapi.HeaderRequestID, "11111111-2222-3333-4444-555555555555")
		io.WriteString(w, payload)
	default:
		return false
	}
	return true
}

var hugeBody = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.Grow(HugeBytes)
	b.WriteString(`{"blob":"`)
	b.Write(bytes.Repeat([]byte("x"), HugeBytes-len(`{"blob":""}`)))
	b.WriteString(`"}`)
	return b.Bytes()
})

// HugeBody returns Huge's body (shared: do not modify it).
func HugeBody() []byte { return hugeBody() }

// apiError answers as the Invoke API answers its errors (over plain HTTP,
// the same status and body).
func apiError(w http.ResponseWriter, lambda bool, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if lambda {
		h.Set(lambdaapi.HeaderErrorType, code)
		h.Set(lambdaapi.HeaderRequestID, "99999999-0000-0000-0000-000000000000")
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Type": "Service", "message": msg})
	w.Write(b)
}

// reset writes prefix (maybe nothing) on the raw connection, then closes it
// with a TCP RST.
func reset(w http.ResponseWriter, prefix string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("fakelambda: hijack: %v", err))
	}
	if prefix != "" {
		buf.WriteString(prefix)
		buf.Flush()
		// Let the caller read the headers first: the reply is cut in its
		// body, not before it.
		time.Sleep(50 * time.Millisecond)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
