package endpoint

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

type ctxKey struct{}

// TestDeadlineContext checks withDeadline against what context.WithDeadline
// promises, whether or not Done was called first.
func TestDeadlineContext(t *testing.T) {
	t.Parallel()
	parentWithValue := func() (context.Context, context.CancelFunc) {
		return context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"deadline and values", func(t *testing.T) {
			p, cancelP := parentWithValue()
			defer cancelP()
			d := time.Now().Add(time.Hour)
			ctx, stop := withDeadline(p, d)
			defer stop()
			if got, ok := ctx.Deadline(); !ok || !got.Equal(d) {
				t.Errorf("Deadline = %v, %v; want %v, true", got, ok, d)
			}
			if ctx.Value(ctxKey{}) != "v" || ctx.Err() != nil {
				t.Errorf("Value %v, Err %v", ctx.Value(ctxKey{}), ctx.Err())
			}
			ctx.Done() // starts the timer: the answers stay the same
			if ctx.Value(ctxKey{}) != "v" || ctx.Err() != nil {
				t.Errorf("after Done: Value %v, Err %v", ctx.Value(ctxKey{}), ctx.Err())
			}
		}},
		{"deadline passes, Done never called", func(t *testing.T) {
			ctx, stop := withDeadline(context.Background(), time.Now().Add(20*time.Millisecond))
			defer stop()
			time.Sleep(40 * time.Millisecond)
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("Err = %v, want DeadlineExceeded", ctx.Err())
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
				t.Error("Done not closed after the deadline")
			}
		}},
		{"deadline passes while waiting on Done", func(t *testing.T) {
			ctx, stop := withDeadline(context.Background(), time.Now().Add(20*time.Millisecond))
			defer stop()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
				t.Fatal("Done not closed after the deadline")
			}
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("Err = %v, want DeadlineExceeded", ctx.Err())
			}
		}},
		{"parent canceled", func(t *testing.T) {
			for _, doneFirst := range []bool{false, true} {
				p, cancelP := parentWithValue()
				ctx, stop := withDeadline(p, time.Now().Add(time.Hour))
				if doneFirst {
					ctx.Done()
				}
				cancelP()
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
					t.Errorf("doneFirst=%v: Done not closed with the parent", doneFirst)
				}
				if !errors.Is(ctx.Err(), context.Canceled) {
					t.Errorf("doneFirst=%v: Err = %v, want Canceled", doneFirst, ctx.Err())
				}
				stop()
			}
		}},
		{"stop", func(t *testing.T) {
			for _, doneFirst := range []bool{false, true} {
				ctx, stop := withDeadline(context.Background(), time.Now().Add(time.Hour))
				if doneFirst {
					ctx.Done()
				}
				stop()
				stop() // twice is fine
				if !errors.Is(ctx.Err(), context.Canceled) {
					t.Errorf("doneFirst=%v: Err = %v, want Canceled", doneFirst, ctx.Err())
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
					t.Errorf("doneFirst=%v: Done not closed after stop", doneFirst)
				}
			}
		}},
		{"stop after the deadline says DeadlineExceeded", func(t *testing.T) {
			ctx, stop := withDeadline(context.Background(), time.Now().Add(time.Millisecond))
			time.Sleep(5 * time.Millisecond)
			stop()
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("Err = %v, want DeadlineExceeded", ctx.Err())
			}
		}},
		{"derived contexts end with it", func(t *testing.T) {
			ctx, stop := withDeadline(context.Background(), time.Now().Add(30*time.Millisecond))
			defer stop()
			child, cancelChild := context.WithCancel(ctx)
			defer cancelChild()
			grandchild, cancelGC := context.WithTimeout(child, time.Hour)
			defer cancelGC()
			select {
			case <-grandchild.Done():
			case <-time.After(time.Second):
				t.Fatal("a derived context outlived the deadline")
			}
			if !errors.Is(grandchild.Err(), context.DeadlineExceeded) {
				t.Errorf("derived Err = %v, want DeadlineExceeded", grandchild.Err())
			}
		}},
		{"an earlier parent deadline wins", func(t *testing.T) {
			p, cancelP := context.WithTimeout(context.Background(), time.Minute)
			defer cancelP()
			ctx, stop := withDeadline(p, time.Now().Add(time.Hour))
			defer stop()
			pd, _ := p.Deadline()
			if got, _ := ctx.Deadline(); !got.Equal(pd) {
				t.Errorf("Deadline = %v, want the parent's %v", got, pd)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t)
		})
	}
}

// TestDeadlineContextNoTimerUntilDone: the point of deadlineContext.
func TestDeadlineContextNoTimerUntilDone(t *testing.T) {
	t.Parallel()
	ctx, stop := withDeadline(context.Background(), time.Now().Add(time.Hour))
	defer stop()
	_ = ctx.Err()
	_, _ = ctx.Deadline()
	_ = ctx.Value(ctxKey{})
	if ctx.(*deadlineContext).timedContext(false) != nil {
		t.Error("the timer started before anything waited on Done")
	}
}

// TestDeadlineContextNoLeak: derived contexts and their propagation end
// with stop.
func TestDeadlineContextNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for i := 0; i < 100; i++ {
		ctx, stop := withDeadline(context.Background(), time.Now().Add(time.Hour))
		child, cancelChild := context.WithCancel(ctx)
		go func() { <-child.Done() }()
		stop()
		cancelChild()
	}
}
