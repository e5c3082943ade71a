package lambdainvoke

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/invoketest"
)

func TestAttemptsFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ retries, sdk, want int }{
		{0, 0, 1}, {2, 0, 3}, {-1, 0, 3}, {-1, 5, 5}, {1, 5, 2},
	} {
		if got := AttemptsFor(tc.retries, tc.sdk); got != tc.want {
			t.Errorf("AttemptsFor(%d, %d) = %d, want %d", tc.retries, tc.sdk, got, tc.want)
		}
	}
}

func TestMaxRetries(t *testing.T) {
	t.Parallel()
	throttle := invoketest.APIError(429, "TooManyRequestsException", "Rate exceeded")
	throttleRetryAfter := func(w http.ResponseWriter, c call, n int) {
		w.Header().Set("Retry-After", "7")
		throttle(w, c, n)
	}
	service := invoketest.APIError(500, "ServiceException", "internal")
	funcErr := func(w http.ResponseWriter, _ call, _ int) {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
	}
	ok := invoketest.JSON(`{"ok":true}`)
	failThen := invoketest.FailThen
	cases := []struct {
		name         string
		maxRetries   int
		reply        fakelambda.Reply
		wantAttempts int
		// wantStatus and wantCode are the last attempt's Invoke API
		// error; 0: a Result, of the function's error wantFunctionError
		// or else {"ok":true}.
		wantStatus        int
		wantCode          string
		wantFunctionError string
	}{
		{"0 retries: one attempt", 0, failThen(1, throttle, ok), 1, 429, "TooManyRequestsException", ""},
		{"2 retries recover from 2 throttles", 2, failThen(2, throttle, ok), 3, 0, "", ""},
		{"2 retries give up after 3 attempts", 2, failThen(9, throttleRetryAfter, ok), 3, 429, "TooManyRequestsException", ""},
		{"-1: the SDK's 3 attempts", -1, failThen(9, service, ok), 3, 500, "ServiceException", ""},
		{"-1 recovers", -1, failThen(2, service, ok), 3, 0, "", ""},
		{"transport errors are retried", 2, failThen(2, invoketest.Drop, ok), 3, 0, "", ""},
		{"function errors are never retried", 2, failThen(9, funcErr, ok), 1, 0, "", "Unhandled"},
		{"not found is not retried", 2, failThen(9, invoketest.APIError(404, "ResourceNotFoundException", "no"), ok), 1, 404, "ResourceNotFoundException", ""},
		{"bad requests are not retried", 5, failThen(9, invoketest.APIError(400, "InvalidRequestContentException", "no"), ok), 1, 400, "InvalidRequestContentException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f := startClient(t, Key{}, tc.reply)
			inv := WithRetries(c, AttemptsFor(tc.maxRetries, c.SDKMaxAttempts()), invoketest.FastBackoff)
			res, err := inv.Invoke(ctxT(t), invocation("fn"))
			if f.Requests() != tc.wantAttempts {
				t.Errorf("attempts %d, want %d", f.Requests(), tc.wantAttempts)
			}
			if tc.wantStatus != 0 {
				var api *APIError
				if !errors.As(err, &api) || api.StatusCode != tc.wantStatus || api.Code != tc.wantCode {
					t.Fatalf("res %+v err %v, want %s (HTTP %d)", res, err, tc.wantCode, tc.wantStatus)
				}
				return
			}
			if err != nil || res.FunctionError != tc.wantFunctionError {
				t.Fatalf("res %+v err %v", res, err)
			}
			if tc.wantFunctionError == "" && string(res.Payload) != `{"ok":true}` {
				t.Fatalf("payload %s", res.Payload)
			}
		})
	}
}

// TestMaxRetriesBoundedByDeadline: a backoff that would outlast the
// context's deadline is not waited for.
func TestMaxRetriesBoundedByDeadline(t *testing.T) {
	t.Parallel()
	c, f := startClient(t, Key{}, invoketest.APIError(429, "TooManyRequestsException", "slow down"))
	inv := WithRetries(c, AttemptsFor(3, 0), invoketest.Backoff(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := inv.Invoke(ctx, invocation("fn"))
	if time.Since(start) > time.Second {
		t.Errorf("waited %v for a backoff that could not finish before the deadline", time.Since(start))
	}
	var api *APIError
	if !errors.As(err, &api) || api.StatusCode != 429 || f.Requests() != 1 {
		t.Errorf("err %v attempts %d", err, f.Requests())
	}
}

// retryLog records what Invocation.Retries is told.
type retryLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *retryLog) Retried(_ context.Context, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// TestRetriesReported: Invocation.Retries hears of each attempt made
// again, with its error, and not of the last one.
func TestRetriesReported(t *testing.T) {
	t.Parallel()
	c, _ := startClient(t, Key{}, invoketest.FailThen(2, invoketest.APIError(429, "TooManyRequestsException", "slow down"), invoketest.JSON(`{}`)))
	log := &retryLog{}
	in := invocation("fn")
	in.Retries = log
	if _, err := WithRetries(c, 5, invoketest.FastBackoff).Invoke(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	if len(log.errs) != 2 {
		t.Fatalf("%d retries reported, want 2", len(log.errs))
	}
	for _, err := range log.errs {
		var api *APIError
		if !errors.As(err, &api) || api.StatusCode != 429 {
			t.Errorf("retry reported with %v", err)
		}
	}
}
