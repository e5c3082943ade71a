package cel

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/proxy"
)

// BenchmarkRequestCheck is the cost of one endpoint's request checks: two
// checks reading a path param and a header, around a backend that answers
// at once.
func BenchmarkRequestCheck(b *testing.B) {
	resp := &proxy.Response{IsComplete: true}
	next := func(context.Context, *proxy.Request) (*proxy.Response, error) { return resp, nil }
	for _, c := range []struct {
		name  string
		exprs []string
	}{
		{"one check", []string{"req_method == 'GET'"}},
		{"param and header", []string{"'something' in req_headers['X-Header']", "int(req_params.Id) % 2 == 0"}},
		{"response data", []string{"resp_metadata_status == 200 && resp_data.ok == true"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := set(b, c.exprs...).Middleware([]string{"Id"}, nil)(next)
			resp.Data = map[string]any{"ok": true}
			resp.Metadata.StatusCode = 200
			req := &proxy.Request{Method: "GET", Path: "/a/42", Params: proxy.Params{"42"}, Headers: http.Header{"X-Header": {"something"}}}
			ctx := context.Background()
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := p(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			// On a shared machine the wall time per op overstates the
			// cost: the process's CPU time per op is reported too.
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
