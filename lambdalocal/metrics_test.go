package lambdalocal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// soloFunction sleeps event.ms and returns the trace it runs in; one
// process at most.
const soloFunction = `exports.handler = async (event) => {
  await new Promise((r) => setTimeout(r, event.ms || 0));
  return { trace: process.env._X_AMZN_TRACE_ID || null };
};
`

// localMetric reads one series (function=fn) of one instrument.
func localMetric(t *testing.T, r *sdkmetric.ManualReader, name, fn string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	want := attribute.NewSet(attribute.String(AttrFunction, fn))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					if dp.Attributes.Equals(&want) {
						return dp.Value
					}
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					if dp.Attributes.Equals(&want) {
						return dp.Value
					}
				}
			}
		}
	}
	return 0
}

// TestLocalMetrics drives one function with a single process through a
// cold start, a warm call, a refused call and a queued Event invocation,
// and checks each metric; then that a caller's X-Amzn-Trace-Id reaches the
// function.
func TestLocalMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "solo"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"index.js": soloFunction, "function.json": `{"concurrency": 1}`} {
		if err := os.WriteFile(filepath.Join(dir, "solo", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := Start(ctx, Options{FunctionsDir: dir, Logger: discardLogger(), CacheDir: testCache, IdleTimeout: -1, Meter: mp.Meter("test")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		srv.Close(cctx)
	})
	if err := srv.Instrument(mp.Meter("again")); err == nil {
		t.Error("a second Instrument was accepted")
	}
	metric := func(name string) int64 { return localMetric(t, reader, name, "solo") }

	if got := metric(MetricWarmProcesses); got != 0 {
		t.Errorf("warm processes before any call = %d", got)
	}
	client := newClient(srv, noRetries)
	for i := 0; i < 2; i++ {
		if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("solo")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := metric(MetricColdStarts); got != 1 {
		t.Errorf("cold starts after two calls = %d, want 1", got)
	}
	if got := metric(MetricWarmProcesses); got != 1 {
		t.Errorf("warm processes after two calls = %d, want 1", got)
	}

	busy := make(chan error, 1)
	go func() {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("solo"), Payload: []byte(`{"ms":700}`)})
		busy <- err
	}()
	p := srv.cat.Load().pool("solo")
	waitFor(t, 5*time.Second, "the first call to take the only slot", func() bool { return len(p.slots) == 1 })
	if got := metric(MetricWarmProcesses); got != 0 {
		t.Errorf("warm processes while the only one works = %d, want 0", got)
	}
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("solo")})
	var throttled *types.TooManyRequestsException
	if !errors.As(err, &throttled) {
		t.Fatalf("a call while busy: %v, want TooManyRequestsException", err)
	}
	if got := metric(MetricRefused); got != 1 {
		t.Errorf("refused = %d, want 1", got)
	}
	if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("solo"), InvocationType: types.InvocationTypeEvent}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the Event invocation to be queued", func() bool { return metric(MetricQueued) == 1 })
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the queued invocation to end", func() bool {
		return len(p.slots) == 0 && metric(MetricWarmProcesses) == 1
	})
	if got := metric(MetricColdStarts); got != 1 {
		t.Errorf("cold starts at the end = %d, want 1", got)
	}
	if got := metric(MetricRefused); got != 1 {
		t.Errorf("refused at the end = %d, want 1", got)
	}

	// The caller's trace reaches the function; a malformed one does not.
	const trace = "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"
	for _, tc := range []struct{ header, want string }{{trace, trace}, {"not a trace", ""}} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/2015-03-31/functions/solo/invocations", strings.NewReader(`{}`))
		req.Header.Set("X-Amzn-Trace-Id", tc.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct{ Trace string }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		switch {
		case tc.want != "" && out.Trace != tc.want:
			t.Errorf("the function ran in trace %q, want the caller's %q", out.Trace, tc.want)
		case tc.want == "" && (out.Trace == tc.header || !strings.HasPrefix(out.Trace, "Root=1-")):
			t.Errorf("with X-Amzn-Trace-Id %q the function ran in trace %q, want a new one", tc.header, out.Trace)
		}
	}
}
