package circuitbreaker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// The tests that wait for an interval or a timeout run in a synctest
// bubble: gobreaker reads time.Now, which is the bubble's fake clock
// there, and time.Sleep advances it at once. A breaker must be built in
// the bubble it is used in.

var quiet = slog.New(slog.DiscardHandler)

// backendWith returns the one backend of a file whose backend carries
// extra_config, a JSON object.
func backendWith(t *testing.T, extra string) *config.Backend {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a",
		"backend": [{"url_pattern": "/x", "extra_config": ` + extra + `}]}]}`))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return s.Endpoints[0].Backend[0]
}

// fake is a backend whose answer the test sets, counting its calls.
type fake struct {
	calls int
	fail  bool
	// block, when set, holds each call until it is closed.
	block chan struct{}
}

var errDown = errors.New("backend down")

func (f *fake) call(ctx context.Context, _ *proxy.Request) (*proxy.Response, error) {
	f.calls++
	if f.block != nil {
		<-f.block
	}
	if f.fail {
		return nil, errDown
	}
	return &proxy.Response{IsComplete: true}, nil
}

// guarded builds the breaker of namespace ns around a fake backend.
func guarded(t *testing.T, ns string, logger *slog.Logger, m metric.Meter) (proxy.Proxy, *fake) {
	t.Helper()
	s, err := decode(backendWith(t, `{"qos/circuit-breaker": `+ns+`}`))
	if err != nil || s == nil {
		t.Fatalf("decode = %v, %v", s, err)
	}
	br, err := newBreaker(*s, logger, m)
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{}
	return br.wrap(f.call), f
}

// passes calls p once and reports whether the call reached the backend.
func passes(t *testing.T, p proxy.Proxy, f *fake) bool {
	t.Helper()
	before := f.calls
	_, err := p(context.Background(), &proxy.Request{})
	reached := f.calls > before
	if !reached && !errors.Is(err, ErrOpen) {
		t.Fatalf("refused call: error %v, want ErrOpen", err)
	}
	return reached
}

// isOpen reports whether the circuit is open: whether a call that would
// succeed is refused.
func isOpen(t *testing.T, p proxy.Proxy, f *fake) bool {
	t.Helper()
	f.fail = false
	return !passes(t, p, f)
}

func TestAbsentNamespaceBuildsNothing(t *testing.T) {
	t.Parallel()
	mw, err := New(backendWith(t, `{}`), quiet, nil)
	if mw != nil || err != nil {
		t.Fatalf("New = %v, %v; want nil, nil (nothing wrapped)", mw != nil, err)
	}
}

func TestOptionsDecodedStrictly(t *testing.T) {
	t.Parallel()
	const at = `endpoints[0].backend[0].extra_config["qos/circuit-breaker"]`
	tests := []struct {
		name, ns string
		want     []string // errors; none for a valid namespace
	}{
		{"KrakenD's example", `{"interval": 60, "timeout": 10, "max_errors": 1, "name": "cb-1", "log_status_change": true}`, nil},
		{"zeros", `{"interval": 0, "timeout": 0, "max_errors": 0}`, nil},
		{"comment keys", `{"interval": 60, "timeout": 10, "max_errors": 1, "@comment": "x"}`, nil},
		{"the three required options missing", `{"name": "cb"}`, []string{
			at + `.interval: missing: the window in which consecutive failures count, in seconds (KrakenD's schema requires interval, timeout and max_errors)`,
			at + `.timeout: missing: how long the circuit stays open before a probe request, in seconds (KrakenD's schema requires interval, timeout and max_errors)`,
			at + `.max_errors: missing: the consecutive failures tolerated, one more opens the circuit (KrakenD's schema requires interval, timeout and max_errors)`,
		}},
		{"seconds are whole numbers, not durations", `{"interval": "60s", "timeout": 10, "max_errors": 1}`, []string{
			at + `.interval: must be a whole number, got a JSON string`,
		}},
		{"fractions", `{"interval": 60, "timeout": 1.5, "max_errors": 1}`, []string{
			at + `.timeout: must be a whole number, got a JSON number 1.5`,
		}},
		{"negative", `{"interval": -1, "timeout": 10, "max_errors": -2}`, []string{
			at + `.interval: must be 0 or more, got -1`,
			at + `.max_errors: must be 0 or more, got -2`,
		}},
		{"too large", `{"interval": 60, "timeout": 9300000000, "max_errors": 4294967296}`, []string{
			at + `.timeout: must be at most 9223372036 seconds, got 9300000000`,
			at + `.max_errors: must be at most 2147483647, got 4294967296`,
		}},
		{"KrakenD's legacy spelling", `{"interval": 60, "timeout": 10, "maxErrors": 1}`, []string{
			at + `.maxErrors: unknown key (check its spelling against the documentation)`,
		}},
		{"log_status_change is a boolean", `{"interval": 60, "timeout": 10, "max_errors": 1, "log_status_change": "yes"}`, []string{
			at + `.log_status_change: must be true or false, got a JSON string`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, err := New(backendWith(t, `{"qos/circuit-breaker": `+tt.ns+`}`), quiet, nil)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if (mw != nil) != (tt.want == nil) {
				t.Errorf("middleware built = %v, want %v", mw != nil, tt.want == nil)
			}
		})
	}
}

func TestDecodedSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ns   string
		want settings
	}{
		{`{"interval": 60, "timeout": 10, "max_errors": 3, "name": "cb-users", "log_status_change": true}`,
			settings{name: "cb-users", backend: "endpoints[0].backend[0]", interval: time.Minute, timeout: 10 * time.Second, maxErrors: 3, logChanges: true}},
		// Without a name, logs and metrics name the backend by its path.
		{`{"interval": 0, "timeout": 0, "max_errors": 0}`,
			settings{name: "endpoints[0].backend[0]", backend: "endpoints[0].backend[0]"}},
	}
	for _, tt := range tests {
		s, err := decode(backendWith(t, `{"qos/circuit-breaker": `+tt.ns+`}`))
		if err != nil || s == nil || *s != tt.want {
			t.Errorf("%s: decode = %+v, %v; want %+v", tt.ns, s, err, tt.want)
		}
	}
}

// KrakenD's rule: the circuit opens when the consecutive failures exceed
// max_errors, so with max_errors N the (N+1)th failure in a row opens it.
// Then the backend is not called at all.
func TestOpensWhenConsecutiveFailuresExceedMaxErrors(t *testing.T) {
	t.Parallel()
	for _, maxErrors := range []int{0, 1, 5} {
		p, f := guarded(t, `{"interval": 60, "timeout": 10, "max_errors": `+itoa(maxErrors)+`, "name": "cb-users"}`, quiet, nil)
		f.fail = true
		for i := 0; i <= maxErrors; i++ {
			if !passes(t, p, f) {
				t.Fatalf("max_errors %d: failure %d was refused; the circuit opened too early", maxErrors, i+1)
			}
		}
		before := f.calls
		for range 3 {
			_, err := p(context.Background(), &proxy.Request{})
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("max_errors %d: error = %v, want ErrOpen", maxErrors, err)
			}
			if got := err.Error(); got != `circuit breaker "cb-users" is open: the backend is not called` {
				t.Errorf("error text = %q", got)
			}
			// Not a ClientError: the client gets 500 when nothing else
			// answers, as for any failed backend in KrakenD.
			if s := proxy.StatusFor(err); s != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", s)
			}
		}
		if f.calls != before {
			t.Errorf("max_errors %d: the open circuit called the backend %d times", maxErrors, f.calls-before)
		}
	}
}

// Only consecutive failures add up: a success starts the count again, and
// so does each new interval while the circuit is closed (max_errors 1
// here: two failures that add up open the circuit).
func TestWhichFailuresAddUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		interval int
		calls    string // each call's answer (fail, ok), or a pause between them
		wantOpen bool
	}{
		{"failures in a row", 60, "fail fail", true},
		{"a success between failures", 60, "fail ok fail ok fail", false},
		{"failures in two windows", 10, "fail 11s fail", false},
		{"failures in one window", 10, "fail 5s fail", true},
		{"interval 0 never restarts", 0, "fail 1h fail", true},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			p, f := guarded(t, `{"interval": `+itoa(tt.interval)+`, "timeout": 10, "max_errors": 1}`, quiet, nil)
			for _, c := range strings.Fields(tt.calls) {
				if d, err := time.ParseDuration(c); err == nil {
					time.Sleep(d)
					continue
				}
				f.fail = c == "fail"
				passes(t, p, f)
			}
			if open := isOpen(t, p, f); open != tt.wantOpen {
				t.Errorf("%s: open = %v, want %v", tt.name, open, tt.wantOpen)
			}
		})
	}
}

// After timeout seconds the circuit lets one probe through: a success
// closes it, a failure opens it for another timeout.
func TestTimeoutLetsAProbeThrough(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		timeout     int
		open        time.Duration // how long the circuit stays open
		probeFails  bool
		wantClosed  bool
		reopenAfter time.Duration // when the probe failed
	}{
		{"probe succeeds", 10, 10 * time.Second, false, true, 0},
		{"probe fails", 10, 10 * time.Second, true, false, 10 * time.Second},
		{"timeout 0 is 60 seconds, as gobreaker's and so KrakenD's", 0, time.Minute, false, true, 0},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			p, f := guarded(t, `{"interval": 60, "timeout": `+itoa(tt.timeout)+`, "max_errors": 0}`, quiet, nil)
			f.fail = true
			passes(t, p, f)
			time.Sleep(tt.open - time.Millisecond)
			if passes(t, p, f) {
				t.Fatalf("%s: the backend was called before the timeout", tt.name)
			}
			time.Sleep(2 * time.Millisecond)
			f.fail = tt.probeFails
			if !passes(t, p, f) {
				t.Fatalf("%s: no probe after the timeout", tt.name)
			}
			if closed := passes(t, p, f); closed != tt.wantClosed {
				t.Fatalf("%s: closed after the probe = %v, want %v", tt.name, closed, tt.wantClosed)
			}
			if tt.reopenAfter > 0 {
				time.Sleep(tt.reopenAfter - time.Millisecond)
				if passes(t, p, f) {
					t.Fatalf("%s: called before the second timeout", tt.name)
				}
				time.Sleep(2 * time.Millisecond)
				if !passes(t, p, f) {
					t.Fatalf("%s: no probe after the second timeout", tt.name)
				}
			}
		})
	}
}

// While the probe is in flight, every other call is refused: half-open
// lets exactly one request reach the backend.
func TestHalfOpenLetsOneProbeThrough(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p, f := guarded(t, `{"interval": 60, "timeout": 10, "max_errors": 0, "name": "cb"}`, quiet, nil)
		f.fail = true
		passes(t, p, f)
		time.Sleep(11 * time.Second)
		f.fail, f.block = false, make(chan struct{})
		var probeErr error
		go func() { _, probeErr = p(context.Background(), &proxy.Request{}) }()
		synctest.Wait() // the probe is in the backend
		before := f.calls
		_, err := p(context.Background(), &proxy.Request{})
		if !errors.Is(err, ErrOpen) || err.Error() != `circuit breaker "cb" is half-open: the backend is not called while its probe request is in flight` {
			t.Errorf("call during the probe: error %v, want the half-open refusal", err)
		}
		if f.calls != before {
			t.Error("a call during the probe reached the backend")
		}
		close(f.block)
		synctest.Wait()
		if probeErr != nil {
			t.Fatalf("probe: %v", probeErr)
		}
		f.block = nil
		if !passes(t, p, f) {
			t.Error("the circuit did not close after the probe succeeded")
		}
	})
}

// A call the client abandoned says nothing of the backend: it is not
// counted. The endpoint's timeout is the backend's slowness: it is.
func TestAbandonedCallsDoNotCount(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	tests := []struct {
		name     string
		ctx      context.Context
		wantOpen bool
	}{
		{"client went away", canceled, false},
		{"endpoint timeout", expired, true},
	}
	for _, tt := range tests {
		p, f := guarded(t, `{"interval": 60, "timeout": 10, "max_errors": 0}`, quiet, nil)
		f.fail = true
		p(tt.ctx, &proxy.Request{})
		if open := isOpen(t, p, f); open != tt.wantOpen {
			t.Errorf("%s: open = %v, want %v", tt.name, open, tt.wantOpen)
		}
	}
}

func TestPanicCountsAsFailure(t *testing.T) {
	t.Parallel()
	s, _ := decode(backendWith(t, `{"qos/circuit-breaker": {"interval": 60, "timeout": 10, "max_errors": 0}}`))
	br, _ := newBreaker(*s, quiet, nil)
	p := br.wrap(func(context.Context, *proxy.Request) (*proxy.Response, error) { panic("boom") })
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		p(context.Background(), &proxy.Request{})
	}()
	if _, err := p(context.Background(), &proxy.Request{}); !errors.Is(err, ErrOpen) {
		t.Errorf("after a panic: error %v, want the circuit open", err)
	}
}

// drive takes a breaker with max_errors 0 and timeout 10 through every
// state: closed → open → half-open (the probe) → closed. after runs after
// each step, with the state expected.
func drive(t *testing.T, p proxy.Proxy, f *fake, after func(state string)) {
	t.Helper()
	after("closed")
	f.fail = true
	passes(t, p, f)
	after("open")
	time.Sleep(11 * time.Second)
	after("half-open")
	f.fail = false
	passes(t, p, f)
	after("closed")
}

func TestLogStatusChange(t *testing.T) {
	t.Parallel()
	for _, logChanges := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, nil))
			// With metrics on, every change reaches the breaker's hook:
			// only log_status_change decides the logging.
			p, f := guarded(t, `{"interval": 60, "timeout": 10, "max_errors": 0, "name": "cb-users", "log_status_change": `+btoa(logChanges)+`}`, logger, noop.NewMeterProvider().Meter("test"))
			drive(t, p, f, func(string) {})
			var got []string
			for line := range strings.Lines(buf.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatal(err)
				}
				delete(rec, "time")
				b, _ := json.Marshal(rec)
				got = append(got, string(b))
			}
			var want []string
			if logChanges {
				const head = `{"backend":"endpoints[0].backend[0]","circuit_breaker":"cb-users",`
				const tail = `"level":"WARN","msg":"circuit breaker state changed",`
				want = []string{
					head + `"from":"closed",` + tail + `"to":"open"}`,
					head + `"from":"open",` + tail + `"to":"half-open"}`,
					head + `"from":"half-open",` + tail + `"to":"closed"}`,
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("log_status_change %v: logs =\n%s\nwant\n%s", logChanges, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestStateMetrics(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		p, f := guarded(t, `{"interval": 60, "timeout": 10, "max_errors": 0, "name": "cb-users"}`, quiet, mp.Meter("test"))
		const id = "backend.name=endpoints[0].backend[0],circuit_breaker.name=cb-users"
		to := func(state string) string { return id + ",circuit_breaker.state=" + state }
		steps := []struct {
			state   int64
			changes map[string]int64
		}{
			{0, nil},
			{2, map[string]int64{to("open"): 1}},
			// Read at collection, the gauge shows the circuit half-open
			// once its timeout has passed, before any probe.
			{1, map[string]int64{to("open"): 1, to("half-open"): 1}},
			{0, map[string]int64{to("open"): 1, to("half-open"): 1, to("closed"): 1}},
		}
		step := 0
		drive(t, p, f, func(state string) {
			t.Helper()
			var rm metricdata.ResourceMetrics
			if err := reader.Collect(context.Background(), &rm); err != nil {
				t.Fatal(err)
			}
			got, want := series(rm), steps[step]
			step++
			if v, ok := got[MetricState][id]; !ok || v != want.state {
				t.Errorf("%s: %s = %d (reported %v), want %d", state, MetricState, v, ok, want.state)
			}
			if c := got[MetricStateChanges]; len(c)+len(want.changes) > 0 && !reflect.DeepEqual(c, want.changes) {
				t.Errorf("%s: %s = %v, want %v", state, MetricStateChanges, c, want.changes)
			}
		})
	})
}

// series maps each int64 instrument to its values by attribute set.
func series(rm metricdata.ResourceMetrics) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			s := map[string]int64{}
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					s[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					s[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
				}
			}
			out[m.Name] = s
		}
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func btoa(v bool) string { b, _ := json.Marshal(v); return string(b) }
