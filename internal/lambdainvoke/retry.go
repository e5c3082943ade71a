package lambdainvoke

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// retrying is WithRetries' loop. A function that ran and failed is a
// Result, not an error, so it is never retried.
type retrying struct {
	next        Invoker
	maxAttempts int
	policy      *retry.Standard
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// AttemptsFor turns a number of retries into a number of attempts: 0 → 1,
// N → N+1, -1 → the SDK's default (sdkMaxAttempts when set, see
// Client.SDKMaxAttempts, else 3).
func AttemptsFor(maxRetries, sdkMaxAttempts int) int {
	switch {
	case maxRetries >= 0:
		return maxRetries + 1
	case sdkMaxAttempts > 0:
		return sdkMaxAttempts
	}
	return retry.DefaultMaxAttempts
}

// WithRetries returns next when one attempt is all there is, else next
// wrapped by a retry loop making up to attempts attempts: it retries what
// the AWS SDK's standard retry rules call retryable (throttling, Lambda
// service errors, transport errors before any reply), waiting as backoff
// says (the SDK's when nil), and tells Invocation.Retries of each retry.
func WithRetries(next Invoker, attempts int, backoff retry.BackoffDelayer) Invoker {
	if attempts <= 1 {
		return next
	}
	policy := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		if backoff != nil {
			o.Backoff = backoff
		}
	})
	return &retrying{next: next, maxAttempts: attempts, policy: policy, sleep: sleepCtx}
}

// Invoke calls next until it succeeds, fails in a way not worth retrying,
// runs out of attempts, or the backoff would outlast ctx; the last error is
// returned.
func (r *retrying) Invoke(ctx context.Context, in *Invocation) (*Result, error) {
	for attempt := 1; ; attempt++ {
		res, err := r.next.Invoke(ctx, in)
		if err == nil || attempt >= r.maxAttempts || ctx.Err() != nil || !r.policy.IsErrorRetryable(err) {
			return res, err
		}
		d, derr := r.policy.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
			// The next attempt could not finish in time: answer now with
			// what the last one said (a throttle stays a 429).
			return nil, err
		}
		if r.sleep(ctx, d) != nil {
			return nil, err
		}
		// Only a retried attempt is reported here; the last one is the
		// caller's to record.
		if in.Retries != nil {
			in.Retries.Retried(ctx, err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
