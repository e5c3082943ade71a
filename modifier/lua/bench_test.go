package lua

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/proxy"
)

// BenchmarkScript is a Lua modifier's cost per request with a pooled VM,
// around a layer that answers at once.
func BenchmarkScript(b *testing.B) {
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"trivial pre", Options{Pre: `local r = request.load(); r:headers("X-Lua", "1")`}},
		{"pre and post", Options{Pre: `local r = request.load(); r:params("Id", "v2")`, Post: `local d = response.load():data(); d:set("n", d:get("a") + 1)`}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := newScript(b, c.o, "Id", "Name")
			p := s.Middleware()(func(context.Context, *proxy.Request) (*proxy.Response, error) {
				return &proxy.Response{IsComplete: true, Data: map[string]any{"a": 1.0}}, nil
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			req := baseRequest()
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := p(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time: on a shared machine
// the wall time per op overstates the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
