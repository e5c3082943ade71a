package lua

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/proxy"
)

// A script that allocates without end is stopped by the watchdog long
// before its (hour-long) deadline, fails its layer (a 500 for that request,
// ErrScript), and what it held is freed; a string.rep past the budget is a
// Lua error at once; a script that allocates little runs as before.
func TestMemoryBudget(t *testing.T) {
	const budget = 32 << 20
	run := func(t *testing.T, pre string) (time.Duration, error) {
		s, err := New(&Options{Pre: pre}, Spec{Path: "p", MemoryBudget: budget})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		_, err = s.Middleware()(func(context.Context, *proxy.Request) (*proxy.Response, error) {
			return &proxy.Response{IsComplete: true}, nil
		})(ctx, baseRequest())
		return time.Since(start), err
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	took, err := run(t, `local t = {}; local i = 0; while true do i = i + 1; t[i] = string.rep("x", 1000) .. i end`)
	var se *ScriptError
	if !errors.As(err, &se) || !errors.Is(err, ErrScript) || !strings.Contains(se.Msg, "memory grew by more than the script's budget (32 MiB)") {
		t.Fatalf("err = %v", err)
	}
	if took > 30*time.Second {
		t.Errorf("stopped after %s", took)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > budget {
		t.Errorf("the heap kept %d MiB after the script failed", grew>>20)
	}
	if _, err := run(t, `local s = string.rep("x", 1e12)`); err == nil || !strings.Contains(err.Error(), "string.rep: the result (1000000000000 bytes) is larger than the script's memory budget") {
		t.Errorf("string.rep: %v", err)
	}
	if _, err := run(t, `local t = {}; for i = 1, 1000 do t[i] = string.rep("y", 100) end`); err != nil {
		t.Errorf("a small script: %v", err)
	}
}
