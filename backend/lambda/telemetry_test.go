package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// The trace the tests' contexts carry, and its X-Ray form.
const (
	testTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpanID  = "00f067aa0ba902b7"
	testXRay    = "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"
)

// tracedCtx carries the test trace as the backend span's context.
func tracedCtx(t *testing.T) context.Context {
	t.Helper()
	tid, _ := trace.TraceIDFromHex(testTraceID)
	sid, _ := trace.SpanIDFromHex(testSpanID)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	return trace.ContextWithSpanContext(ctxT(t), sc)
}

// newTelemetry builds a telemetry set-up that is never started: o decides
// what is on.
func newTelemetry(t *testing.T, o telemetry.OTelOptions) *telemetry.Telemetry {
	t.Helper()
	if o.ServiceName == "" {
		o.ServiceName = "lambda-test"
	}
	if o.TraceSampleRate == 0 {
		o.TraceSampleRate = 1
	}
	tel, err := telemetry.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	return tel
}

// transportWith builds g's transport alone (no decoding, no telemetry
// wrapper) with tel as the gateway's telemetry.
func transportWith(t *testing.T, g gatewayConfig, tel *telemetry.Telemetry, hooks *factoryHooks) proxy.Proxy {
	t.Helper()
	svc, _, err := config.Parse([]byte(g.json()))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, g.json())
	}
	spec := specOf(svc, nil, "")
	spec.Telemetry = tel
	if hooks == nil {
		hooks = &factoryHooks{backoff: invoketest.FastBackoff}
	}
	p, ok, err := builder(hooks)(spec)
	if !ok || err != nil {
		t.Fatalf("build: ok=%v err=%v", ok, err)
	}
	return p
}

// TestTraceHeaderOnInvocation checks that every invocation carries the
// backend span's trace as X-Amzn-Trace-Id (retries included, never
// signed), that the API Gateway events show it among their headers in
// place of a client's, and that nothing is sent without telemetry or
// with propagation off.
func TestTraceHeaderOnInvocation(t *testing.T) {
	on := newTelemetry(t, telemetry.OTelOptions{})
	tests := []struct {
		name    string
		tel     *telemetry.Telemetry
		format  string
		want    string
		inEvent func(ev map[string]any) []string // the event's trace headers
	}{
		{name: "krakend", tel: on, want: testXRay},
		{name: "apigateway_v1", tel: on, format: FormatAPIGatewayV1, want: testXRay, inEvent: func(ev map[string]any) []string {
			h, _ := ev["headers"].(map[string]any)
			mh, _ := ev["multiValueHeaders"].(map[string]any)
			mv, _ := mh["X-Amzn-Trace-Id"].([]any)
			return []string{fmt.Sprint(h["X-Amzn-Trace-Id"]), fmt.Sprint(mv...)}
		}},
		{name: "apigateway_v2", tel: on, format: FormatAPIGatewayV2, want: testXRay, inEvent: func(ev map[string]any) []string {
			h, _ := ev["headers"].(map[string]any)
			return []string{fmt.Sprint(h["x-amzn-trace-id"])}
		}},
		{name: "no telemetry", tel: nil},
		{name: "propagation off", tel: newTelemetry(t, telemetry.OTelOptions{DisablePropagation: true})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first attempt is throttled: the retry must carry the
			// same trace.
			f := invoketest.Start(t, invoketest.FailThen(1, invoketest.APIError(429, "TooManyRequestsException", "slow down"), invoketest.Echo))
			format := ""
			if tt.format != "" {
				format = `"payload_format": "` + tt.format + `", "response_format": "krakend", `
			}
			p := transportWith(t, gatewayConfig{lambda: `{"function_name": "fn", "max_retries": 1, ` + format + `"endpoint": "` + f.URL + `"}`}, tt.tel, nil)
			req := getReq(nil)
			req.Headers.Set("X-Amzn-Trace-Id", "Root=1-00000000-forgedbytheclient00000000")
			if _, err := p(tracedCtx(t), req); err != nil {
				t.Fatal(err)
			}
			if f.Requests() != 2 {
				t.Fatalf("%d attempts, want 2", f.Requests())
			}
			calls := f.Calls()
			for i, c := range calls {
				if got := c.Header.Get("X-Amzn-Trace-Id"); got != tt.want {
					t.Errorf("attempt %d: X-Amzn-Trace-Id %q, want %q", i+1, got, tt.want)
				}
				if auth := strings.ToLower(c.Header.Get("Authorization")); strings.Contains(auth, "x-amzn-trace-id") {
					t.Errorf("attempt %d: the trace header is signed: %s", i+1, auth)
				}
			}
			if tt.inEvent != nil {
				var ev map[string]any
				if err := json.Unmarshal(calls[1].Body, &ev); err != nil {
					t.Fatal(err)
				}
				for _, got := range tt.inEvent(ev) {
					if got != tt.want {
						t.Errorf("the event's trace header is %q, want %q; event %s", got, tt.want, calls[1].Body)
					}
				}
			}
		})
	}
}

// lambdaFake answers by function: "ok" and "fl*" functions run (version
// 3), "flaky" after one throttle, "busy" is always throttled, "broken"
// fails Unhandled. It counts the payload bytes it got per function.
type lambdaFake struct {
	mu       sync.Mutex
	attempts map[string]int
	bytes    map[string]int
}

func (lf *lambdaFake) reply(w http.ResponseWriter, c call, _ int) {
	lf.mu.Lock()
	lf.attempts[c.Name]++
	n := lf.attempts[c.Name]
	if n == 1 || c.Name != "flaky" {
		lf.bytes[c.Name] += len(c.Body)
	}
	lf.mu.Unlock()
	w.Header().Set("X-Amzn-Requestid", "aws-"+c.Name+"-"+strconv.Itoa(n))
	switch {
	case c.Name == "busy" || c.Name == "flaky" && n == 1:
		invoketest.APIError(429, "TooManyRequestsException", "Rate Exceeded.")(w, c, n)
	case c.Name == "broken":
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Write([]byte(`{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}`))
	default:
		w.Header().Set("X-Amz-Executed-Version", "3")
		w.Write([]byte(`{"ok":true}`))
	}
}

// collect returns, for each instrument, the value of each series by its
// attributes (k=v,k=v sorted): a counter's sum, a histogram's count, and
// the histogram's sum under "sum:" + attributes.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			series := map[string]int64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					series[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					k := dp.Attributes.Encoded(attribute.DefaultEncoder())
					series[k] = int64(dp.Count)
					series["sum:"+k] = dp.Sum
				}
			}
			out[m.Name] = series
		}
	}
	return out
}

// TestLambdaMetrics drives invocations that succeed, are throttled then
// retried, stay throttled, and fail in the function, through a backend
// whose function comes from the path, and checks every series of every
// Lambda instrument: labels are the allowed_functions entries or the
// placeholder, never the client's text.
func TestLambdaMetrics(t *testing.T) {
	lf := &lambdaFake{attempts: map[string]int{}, bytes: map[string]int{}}
	f := invoketest.Start(t, lf.reply)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	hooks := &factoryHooks{backoff: invoketest.FastBackoff, meter: mp.Meter("test")}

	allowed := transportWith(t, gatewayConfig{endpoint: "/fn/{name}", lambda: `{"function_param_name": "name", "qualifier": "live", "max_retries": 2,
		"allowed_functions": ["ok", "fl*", "busy", "broken"], "endpoint": "` + f.URL + `"}`}, nil, hooks)
	open := transportWith(t, gatewayConfig{endpoint: "/any/{fn}", lambda: `{"function_param_name": "fn", "endpoint": "` + f.URL + `"}`}, nil, hooks)
	fixed := transportWith(t, gatewayConfig{lambda: `{"function_name": "ok:prod", "endpoint": "` + f.URL + `"}`}, nil, hooks)

	for _, c := range []struct {
		p      proxy.Proxy
		params map[string]string
		fail   bool
	}{
		{allowed, map[string]string{"name": "ok"}, false},
		{allowed, map[string]string{"name": "ok"}, false},
		{allowed, map[string]string{"name": "flaky"}, false},
		{allowed, map[string]string{"name": "busy"}, true},
		{allowed, map[string]string{"name": "broken"}, true},
		{allowed, map[string]string{"name": "notallowed"}, true}, // refused before invoking: not counted
		{open, map[string]string{"fn": "flurry"}, false},
		{fixed, nil, false},
	} {
		_, err := c.p(ctxT(t), getReq(c.params))
		if (err != nil) != c.fail {
			t.Fatalf("%v: error %v, want failure %v", c.params, err, c.fail)
		}
	}

	got := collect(t, reader)
	want := map[string]map[string]int64{
		MetricInvocations: {
			"aws.lambda.executed_version=3,aws.lambda.function=ok,aws.lambda.qualifier=live":           2,
			"aws.lambda.executed_version=3,aws.lambda.function=fl*,aws.lambda.qualifier=live":          1,
			"aws.lambda.function=busy,aws.lambda.qualifier=live":                                       1,
			"aws.lambda.executed_version=$LATEST,aws.lambda.function=broken,aws.lambda.qualifier=live": 1,
			"aws.lambda.executed_version=3,aws.lambda.function={fn}":                                   1,
			"aws.lambda.executed_version=3,aws.lambda.function=ok:prod,aws.lambda.qualifier=prod":      1,
		},
		MetricErrors: {
			"aws.lambda.function=busy,aws.lambda.function_error=TooManyRequestsException": 1,
			"aws.lambda.function=broken,aws.lambda.function_error=Unhandled":              1,
		},
		MetricThrottles: {"aws.lambda.function=fl*": 1, "aws.lambda.function=busy": 3},
		MetricRetries:   {"aws.lambda.function=fl*": 1, "aws.lambda.function=busy": 2},
		MetricRequestSize: {
			"aws.lambda.function=ok": 2, "sum:aws.lambda.function=ok": int64(lf.bytes["ok"]),
			"aws.lambda.function=fl*": 1, "sum:aws.lambda.function=fl*": int64(lf.bytes["flaky"]),
			"aws.lambda.function=busy": 1, "sum:aws.lambda.function=busy": int64(len(`{"name":"busy"}`)),
			"aws.lambda.function=broken": 1, "sum:aws.lambda.function=broken": int64(lf.bytes["broken"]),
			"aws.lambda.function={fn}": 1, "sum:aws.lambda.function={fn}": int64(lf.bytes["flurry"]),
			"aws.lambda.function=ok:prod": 1, "sum:aws.lambda.function=ok:prod": int64(lf.bytes["ok:prod"]),
		},
		MetricResponseSize: {
			"aws.lambda.function=ok": 2, "sum:aws.lambda.function=ok": 2 * int64(len(`{"ok":true}`)),
			"aws.lambda.function=fl*": 1, "sum:aws.lambda.function=fl*": int64(len(`{"ok":true}`)),
			"aws.lambda.function=broken": 1, "sum:aws.lambda.function=broken": int64(len(`{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}`)),
			"aws.lambda.function={fn}": 1, "sum:aws.lambda.function={fn}": int64(len(`{"ok":true}`)),
			"aws.lambda.function=ok:prod": 1, "sum:aws.lambda.function=ok:prod": int64(len(`{"ok":true}`)),
		},
	}
	for name, series := range want {
		for k, v := range series {
			if got[name][k] != v {
				t.Errorf("%s{%s} = %d, want %d", name, k, got[name][k], v)
			}
		}
		for k, v := range got[name] {
			if _, ok := series[k]; !ok {
				t.Errorf("%s has an unexpected series {%s} = %d", name, k, v)
			}
		}
	}
}

// TestLambdaSpanAttributes checks the attributes the transport adds to the
// backend span: function, qualifier, AWS request id, executed version and
// function error type; and that it adds none when backend spans are off.
func TestLambdaSpanAttributes(t *testing.T) {
	lf := &lambdaFake{attempts: map[string]int{}, bytes: map[string]int{}}
	f := invoketest.Start(t, lf.reply)
	traced := newTelemetry(t, telemetry.OTelOptions{OTLP: []telemetry.OTLPExporter{{Name: "never-started", Host: "127.0.0.1", Port: 1}}})
	untraced := newTelemetry(t, telemetry.OTelOptions{OTLP: []telemetry.OTLPExporter{{Name: "never-started", Host: "127.0.0.1", Port: 1}}, DisableBackendTraces: true})
	cfg := gatewayConfig{endpoint: "/fn/{name}", lambda: `{"function_param_name": "name", "qualifier": "live", "endpoint": "` + f.URL + `"}`}

	tests := []struct {
		name string
		tel  *telemetry.Telemetry
		fn   string
		want map[string]string
	}{
		{"success", traced, "ok", map[string]string{"aws.lambda.function": "ok", "aws.lambda.qualifier": "live",
			"aws.request_id": "aws-ok-1", "aws.lambda.executed_version": "3"}},
		{"function error", traced, "broken", map[string]string{"aws.lambda.function": "broken", "aws.lambda.qualifier": "live",
			"aws.request_id": "aws-broken-1", "aws.lambda.executed_version": "$LATEST", "aws.lambda.function_error": "Unhandled"}},
		{"throttled", traced, "busy", map[string]string{"aws.lambda.function": "busy", "aws.lambda.qualifier": "live",
			"aws.request_id": "aws-busy-1", "aws.lambda.function_error": "TooManyRequestsException"}},
		{"backend spans off", untraced, "ok", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			ctx, span := tp.Tracer("test").Start(ctxT(t), "lambda")
			p := transportWith(t, cfg, tt.tel, nil)
			p(ctx, getReq(map[string]string{"name": tt.fn}))
			span.End()
			got := map[string]string{}
			for _, kv := range rec.Ended()[0].Attributes() {
				got[string(kv.Key)] = kv.Value.Emit()
			}
			if len(got) != len(tt.want) {
				t.Errorf("attributes %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

// TestLabelCacheBounded checks that values Lambda reports cannot grow a
// label past maxCachedValues, and that the read path does not allocate.
func TestLabelCacheBounded(t *testing.T) {
	c := labelCache{base: []attribute.KeyValue{attribute.String(AttrFunction, "fn")}, key: AttrExecutedVersion}
	for i := range maxCachedValues + 10 {
		c.options(strconv.Itoa(i))
	}
	m := *c.m.Load()
	if len(m) != maxCachedValues+1 {
		t.Errorf("%d values kept, want %d and %q", len(m), maxCachedValues, otherValue)
	}
	if o := c.options("a new one"); &o[0] != &m[otherValue][0] {
		t.Error("a value past the bound is not reported as other")
	}
	if n := testing.AllocsPerRun(100, func() { c.options("3") }); n != 0 {
		t.Errorf("a cached value costs %v allocations", n)
	}
	if got := qualifierLabel("arn:aws:lambda:us-east-1:123456789012:function:fn:blue", ""); got != "blue" {
		t.Errorf("qualifier of an ARN = %q", got)
	}
	if got := qualifierLabel("fn-*", ""); got != "" {
		t.Errorf("qualifier of a glob = %q", got)
	}
}

// TestLogTailLinkedToRequest checks that the log tail's debug line names
// the gateway's request id (the access log's request_id), the trace and
// Lambda's request id.
func TestLogTailLinkedToRequest(t *testing.T) {
	f := invoketest.Start(t, func(w http.ResponseWriter, c call, _ int) {
		w.Header().Set("X-Amz-Log-Result", "aGVsbG8gZnJvbSB0aGUgZnVuY3Rpb24K") // "hello from the function\n"
		w.Header().Set("X-Amzn-Requestid", "aws-req-9")
		w.Write([]byte(`{}`))
	})
	svc, _, err := config.Parse([]byte(gatewayConfig{lambda: `{"function_name": "fn", "log_type": "Tail", "endpoint": "` + f.URL + `"}`}.json()))
	if err != nil {
		t.Fatal(err)
	}
	h := &recordHandler{}
	spec := specOf(svc, nil, "")
	spec.Logger = slog.New(h)
	p, _, err := builder(nil)(spec)
	if err != nil {
		t.Fatal(err)
	}
	req := getReq(nil)
	req.ID = "gw-req-1"
	if _, err := p(tracedCtx(t), req); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"function": "fn", "request_id": "gw-req-1", "aws_request_id": "aws-req-9",
		"trace_id": testTraceID, "log": "hello from the function\n"}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if r.Message != "lambda function log tail" {
			continue
		}
		got := map[string]string{}
		r.Attrs(func(a slog.Attr) bool { got[a.Key] = a.Value.String(); return true })
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		return
	}
	t.Errorf("no log tail line among %d records", len(h.recs))
}

// stubInvoker answers every invocation with the same result, or err.
type stubInvoker struct {
	res lambdainvoke.Result
	err error
}

func (s *stubInvoker) Invoke(context.Context, *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	if s.err != nil {
		return nil, s.err
	}
	r := s.res
	return &r, nil
}

// TestLambdaMetricsCostNoAllocation checks that recording the Lambda
// metrics adds no allocation to an invocation: every attribute set is
// prepared before the request.
func TestLambdaMetricsCostNoAllocation(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	inv := &stubInvoker{res: lambdainvoke.Result{StatusCode: 200, Payload: []byte(`{}`), ExecutedVersion: "3", RequestID: "r"}}
	cfg := gatewayConfig{endpoint: "/fn/{name}", method: "POST", lambda: `{"function_param_name": "name", "qualifier": "live", "allowed_functions": ["a*"]}`}
	plain := transportWith(t, cfg, nil, &factoryHooks{invoker: inv})
	measured := transportWith(t, cfg, nil, &factoryHooks{invoker: inv, meter: mp.Meter("test")})
	req := getReq(map[string]string{"name": "abc"})
	req.Method, req.Body = "POST", []byte(`{"x":1}`)
	ctx := context.Background()
	allocs := func(p proxy.Proxy) float64 {
		p(ctx, req) // first use builds the version's attribute set
		return testing.AllocsPerRun(200, func() {
			if _, err := p(ctx, req); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := allocs(plain), allocs(measured); b != a {
		t.Errorf("an invocation allocates %v times with metrics, %v without", b, a)
	}
	if got := collect(t, reader)[MetricInvocations]["aws.lambda.executed_version=3,aws.lambda.function=a*,aws.lambda.qualifier=live"]; got != 202 {
		t.Errorf("%d invocations recorded, want 202", got)
	}
}
