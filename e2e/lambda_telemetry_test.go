package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// echoFunction is a Node.js function for the local runtime: it sleeps
// event.ms (or the ms query string of an API Gateway event), throws
// EchoError when event.fail is set, and returns the trace it runs in,
// the trace its event's headers show, and its request id.
const echoFunction = `exports.handler = async (event, context) => {
  const ms = Number(event.ms || (event.queryStringParameters || {}).ms || 0);
  if (ms) await new Promise((r) => setTimeout(r, ms));
  if (event.fail) {
    const err = new Error(event.fail);
    err.name = 'EchoError';
    throw err;
  }
  return {
    trace: process.env._X_AMZN_TRACE_ID || null,
    eventTrace: (event.headers || {})['x-amzn-trace-id'] || null,
    requestId: context.awsRequestId,
  };
};
`

// lambdaFunctions writes a functions folder for --functions: echo (two
// processes at most) and busy (the same code, one process at most).
func lambdaFunctions(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, concurrency := range map[string]string{"echo": "2", "busy": "1"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for file, content := range map[string]string{"index.js": echoFunction, "function.json": `{"concurrency": ` + concurrency + `}`} {
			if err := os.WriteFile(filepath.Join(dir, name, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// exact is the value of the one series of family whose labels are exactly
// labels (a counter's value, a gauge's, or a histogram's count); 0 when
// there is none.
func (s scrape) exact(family string, labels map[string]string) float64 {
	mf := s[family]
	if mf == nil {
		return 0
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// wantSeries is one series and how much it must have grown.
type wantSeries struct {
	family string
	labels map[string]string
	delta  float64
}

// checkDeltas checks the exact growth of each series between two scrapes.
func checkDeltas(t *testing.T, before, after scrape, want []wantSeries) {
	t.Helper()
	for _, w := range want {
		if got := after.exact(w.family, w.labels) - before.exact(w.family, w.labels); got != w.delta {
			t.Errorf("%s%v grew by %v, want %v", w.family, w.labels, got, w.delta)
		}
	}
}

// fn is the labels of one function.
func fn(name string, more ...string) map[string]string {
	l := map[string]string{"aws_lambda_function": name}
	for i := 0; i+1 < len(more); i += 2 {
		l[more[i]] = more[i+1]
	}
	return l
}

// TestLambdaMetricsLocalRuntime drives Lambda backends served by the local
// runtime (--functions): successes with a qualifier, a function error, a
// function taken from the path and matched by an allowed_functions glob, a
// function outside the list, and a call refused because the function's
// only process is busy; then checks the exact growth of every Lambda and
// local-runtime series.
func TestLambdaMetricsLocalRuntime(t *testing.T) {
	t.Parallel()
	cfg := `{"version": 3, "timeout": "10s",
	  "extra_config": {"telemetry/opentelemetry": {"service_name": "e2e-lambda",
	    "exporters": {"prometheus": [{"name": "local", "listen_ip": "127.0.0.1", "port": 0}]}}},
	  "endpoints": [
	    {"endpoint": "/echo", "backend": [{"host": ["ignored"], "url_pattern": "/",
	      "extra_config": {"backend/lambda": {"function_name": "echo", "qualifier": "live"}}}]},
	    {"endpoint": "/fail", "method": "POST", "backend": [{"host": ["ignored"], "url_pattern": "/", "method": "POST",
	      "extra_config": {"backend/lambda": {"function_name": "echo"}}}]},
	    {"endpoint": "/fn/{name}", "backend": [{"host": ["ignored"], "url_pattern": "/",
	      "extra_config": {"backend/lambda": {"function_param_name": "Name", "allowed_functions": ["ec*"]}}}]},
	    {"endpoint": "/busy", "input_query_strings": ["ms"], "backend": [{"host": ["ignored"], "url_pattern": "/",
	      "extra_config": {"backend/lambda": {"function_name": "busy"}}}]}
	  ]}`
	g := startGateway(t, cfg, "--functions", lambdaFunctions(t))
	murl := metricsURL(t, g)
	before := scrapeMetrics(t, murl)

	for i := 0; i < 2; i++ {
		if r := do(t, "GET", g.URL+"/echo", "", nil); r.Status != 200 {
			t.Fatalf("/echo: %d %s", r.Status, r.Body)
		}
	}
	if r := do(t, "POST", g.URL+"/fail", `{"fail": "boom"}`, nil); r.Status < 500 {
		t.Errorf("/fail: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", g.URL+"/fn/echo", "", nil); r.Status != 200 {
		t.Errorf("/fn/echo: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", g.URL+"/fn/nope", "", nil); r.Status != 404 {
		t.Errorf("/fn/nope: %d %s", r.Status, r.Body)
	}
	// busy has one process: a call while it works is refused (429).
	first := make(chan reply, 1)
	go func() { first <- do(t, "GET", g.URL+"/busy?ms=1500", "", nil) }()
	time.Sleep(500 * time.Millisecond)
	if r := do(t, "GET", g.URL+"/busy", "", nil); r.Status != 429 {
		t.Errorf("/busy while busy: %d %s, want 429", r.Status, r.Body)
	}
	if r := <-first; r.Status != 200 {
		t.Errorf("/busy: %d %s", r.Status, r.Body)
	}

	after := scrapeMetrics(t, murl)
	const (
		inv     = "lambdagate_lambda_invocations_total"
		errs    = "lambdagate_lambda_errors_total"
		thr     = "lambdagate_lambda_throttles_total"
		retries = "lambdagate_lambda_retries_total"
		reqSize = "lambdagate_lambda_request_size_bytes"
		resSize = "lambdagate_lambda_response_size_bytes"
		version = "aws_lambda_executed_version"
		qual    = "aws_lambda_qualifier"
	)
	checkDeltas(t, before, after, []wantSeries{
		{inv, fn("echo", qual, "live", version, "$LATEST"), 2},
		{inv, fn("echo", version, "$LATEST"), 1},
		{inv, fn("ec*", version, "$LATEST"), 1},
		{inv, fn("busy", version, "$LATEST"), 1},
		{inv, fn("busy"), 1}, // throttled: no version ran
		{errs, fn("echo", "aws_lambda_function_error", "Handled"), 1},
		{errs, fn("busy", "aws_lambda_function_error", "TooManyRequestsException"), 1},
		{thr, fn("busy"), 1},
		{reqSize, fn("echo"), 3}, {reqSize, fn("ec*"), 1}, {reqSize, fn("busy"), 2},
		{resSize, fn("echo"), 3}, {resSize, fn("ec*"), 1}, {resSize, fn("busy"), 1},
		{"lambdagate_local_cold_starts_total", fn("echo"), 1},
		{"lambdagate_local_cold_starts_total", fn("busy"), 1},
		{"lambdagate_local_refused_total", fn("busy"), 1},
		{"lambdagate_local_warm_processes", fn("echo"), 1},
		{"lambdagate_local_warm_processes", fn("busy"), 1},
		{"lambdagate_backend_calls_total", map[string]string{"backend_kind": "lambda", "backend_target": "{name}", "backend_outcome": "success"}, 1},
		{"lambdagate_backend_calls_total", map[string]string{"backend_kind": "lambda", "backend_target": "{name}", "backend_outcome": "error"}, 1},
		{"lambdagate_backend_calls_total", map[string]string{"backend_kind": "lambda", "backend_target": "echo", "backend_outcome": "success"}, 2},
	})
	// Nothing was retried or queued, and no series names the function
	// the client asked for outside the allow-list.
	for _, family := range []string{retries, "lambdagate_local_queued_total"} {
		if v := after.value(family, nil); v != 0 {
			t.Errorf("%s = %v, want 0", family, v)
		}
	}
	for _, family := range []string{inv, errs, reqSize, resSize} {
		for _, v := range after.labelValues(family, "aws_lambda_function") {
			if v == "nope" {
				t.Errorf("%s is labelled with the client's function name %q", family, v)
			}
		}
	}
	if got := after.labelValues(inv, "aws_lambda_function"); strings.Join(got, " ") != "busy ec* echo" {
		t.Errorf("functions labelled = %q", got)
	}
}

// fakeInvoke is an Invoke API: "throttled" is always throttled, "flaky"
// once, "crash" fails Unhandled; every function runs as version 7. It
// keeps the X-Amzn-Trace-Id of each call.
type fakeInvoke struct {
	mu       sync.Mutex
	attempts map[string]int
	traces   map[string][]string
}

func (f *fakeInvoke) serve(t *testing.T) *fakelambda.Server {
	t.Helper()
	srv := fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, _ int) {
		name := c.Name
		f.mu.Lock()
		f.attempts[name]++
		n := f.attempts[name]
		f.traces[name] = append(f.traces[name], c.Header.Get("X-Amzn-Trace-Id"))
		f.mu.Unlock()
		w.Header().Set("X-Amzn-RequestId", name+"-request")
		if name == "throttled" || name == "flaky" && n == 1 {
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"Type": "User", "message": "Rate Exceeded."}`)
			return
		}
		w.Header().Set("X-Amz-Executed-Version", "7")
		if name == "crash" {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorType": "Runtime.ExitError", "errorMessage": "exit status 2"}`)
			return
		}
		io.WriteString(w, `{"ran": "`+name+`"}`)
	})
	t.Cleanup(srv.Close)
	return srv
}

// TestLambdaMetricsInvokeAPI drives Lambda backends against a fake Invoke
// API with max_retries 2: a function always throttled, one throttled once,
// one that crashes; and checks throttles, retries, errors and invocations
// exactly. A client's traceparent reaches every attempt as X-Amzn-Trace-Id
// (metrics only: no gateway span, the client's own is the parent).
func TestLambdaMetricsInvokeAPI(t *testing.T) {
	t.Parallel()
	f := &fakeInvoke{attempts: map[string]int{}, traces: map[string][]string{}}
	srv := f.serve(t)
	backend := func(name string) string {
		return `{"host": ["ignored"], "url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "` + name +
			`", "max_retries": 2, "endpoint": "` + srv.URL + `", "region": "us-east-1"}}}`
	}
	cfg := `{"version": 3, "timeout": "20s",
	  "extra_config": {"telemetry/opentelemetry": {"service_name": "e2e-lambda-api",
	    "exporters": {"prometheus": [{"name": "local", "listen_ip": "127.0.0.1", "port": 0}]}}},
	  "endpoints": [
	    {"endpoint": "/throttled", "backend": [` + backend("throttled") + `]},
	    {"endpoint": "/flaky", "backend": [` + backend("flaky") + `]},
	    {"endpoint": "/crash", "backend": [` + backend("crash") + `]}
	  ]}`
	g := startGateway(t, cfg)
	murl := metricsURL(t, g)
	before := scrapeMetrics(t, murl)

	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	tp := map[string]string{"Traceparent": "00-" + traceID + "-" + clientSpan + "-01"}
	if r := do(t, "GET", g.URL+"/throttled", "", tp); r.Status != 429 {
		t.Errorf("/throttled: %d %s, want 429", r.Status, r.Body)
	}
	if r := do(t, "GET", g.URL+"/flaky", "", tp); r.Status != 200 || !jsonEqual(t, r.Body, `{"ran": "flaky"}`) {
		t.Errorf("/flaky: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", g.URL+"/crash", "", tp); r.Status < 500 {
		t.Errorf("/crash: %d %s", r.Status, r.Body)
	}
	after := scrapeMetrics(t, murl)
	const version = "aws_lambda_executed_version"
	checkDeltas(t, before, after, []wantSeries{
		{"lambdagate_lambda_invocations_total", fn("throttled"), 1},
		{"lambdagate_lambda_invocations_total", fn("flaky", version, "7"), 1},
		{"lambdagate_lambda_invocations_total", fn("crash", version, "7"), 1},
		{"lambdagate_lambda_throttles_total", fn("throttled"), 3},
		{"lambdagate_lambda_throttles_total", fn("flaky"), 1},
		{"lambdagate_lambda_throttles_total", fn("crash"), 0},
		{"lambdagate_lambda_retries_total", fn("throttled"), 2},
		{"lambdagate_lambda_retries_total", fn("flaky"), 1},
		{"lambdagate_lambda_retries_total", fn("crash"), 0},
		{"lambdagate_lambda_errors_total", fn("throttled", "aws_lambda_function_error", "TooManyRequestsException"), 1},
		{"lambdagate_lambda_errors_total", fn("crash", "aws_lambda_function_error", "Unhandled"), 1},
		{"lambdagate_lambda_errors_total", fn("flaky", "aws_lambda_function_error", "TooManyRequestsException"), 0},
		{"lambdagate_lambda_request_size_bytes", fn("throttled"), 1},
		{"lambdagate_lambda_response_size_bytes", fn("throttled"), 0},
		{"lambdagate_lambda_response_size_bytes", fn("flaky"), 1},
		{"lambdagate_lambda_response_size_bytes", fn("crash"), 1},
	})
	want := "Root=1-" + traceID[:8] + "-" + traceID[8:] + ";Parent=" + clientSpan + ";Sampled=1"
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.attempts["throttled"]; n != 3 {
		t.Errorf("throttled was tried %d times, want 3", n)
	}
	for name, traces := range f.traces {
		for i, got := range traces {
			if got != want {
				t.Errorf("%s attempt %d: X-Amzn-Trace-Id %q, want %q", name, i+1, got, want)
			}
		}
	}
}

// TestTracesOfAMergedLambdaRequest merges a Lambda backend (local runtime,
// API Gateway v2 event) with an HTTP backend and checks the spans an OTLP
// receiver gets: the Lambda span's place and attributes, the trace the
// function ran in (Lambda-Runtime-Trace-Id, from X-Amzn-Trace-Id) and the
// one its event's headers show, both naming the Lambda span; the HTTP
// backend's traceparent; and a function error's span.
func TestTracesOfAMergedLambdaRequest(t *testing.T) {
	t.Parallel()
	var seen seenHeaders
	httpBackend := seen.server(t, `{"from_http": true}`)
	rc := startOTLPReceiver(t)
	host, port := rc.hostPort()
	cfg := `{"version": 3, "timeout": "10s",
	  "extra_config": {"telemetry/opentelemetry": {
	    "service_name": "e2e-lambda-traces", "trace_sample_rate": 1,
	    "exporters": {"otlp": [{"name": "receiver", "host": "` + host + `", "port": ` + port + `, "use_http": true, "disable_metrics": true}]}}},
	  "endpoints": [
	    {"endpoint": "/merged/{id}", "backend": [
	      {"host": ["` + httpBackend.URL + `"], "url_pattern": "/h", "group": "http"},
	      {"host": ["ignored"], "url_pattern": "/", "group": "lambda",
	        "extra_config": {"backend/lambda": {"function_name": "echo", "payload_format": "apigateway_v2"}}}]},
	    {"endpoint": "/fail", "method": "POST", "backend": [{"host": ["ignored"], "url_pattern": "/", "method": "POST",
	      "extra_config": {"backend/lambda": {"function_name": "echo", "qualifier": "live"}}}]}
	  ]}`
	g := startGateway(t, cfg, "--functions", lambdaFunctions(t))

	const traceID, clientSpan = "5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b8"
	const failTrace = "6bf92f3577b34da6a3ce929d0e0e4738"
	r := do(t, "GET", g.URL+"/merged/42", "", map[string]string{"Traceparent": "00-" + traceID + "-" + clientSpan + "-01"})
	if r.Status != 200 {
		t.Fatalf("/merged/42: %d %s", r.Status, r.Body)
	}
	var got struct {
		HTTP   map[string]any `json:"http"`
		Lambda struct {
			Trace      string `json:"trace"`
			EventTrace string `json:"eventTrace"`
			RequestID  string `json:"requestId"`
		} `json:"lambda"`
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got.HTTP["from_http"] != true {
		t.Fatalf("/merged/42: %s (%v)", r.Body, err)
	}
	if r := do(t, "POST", g.URL+"/fail", `{"fail": "boom"}`, map[string]string{"Traceparent": "00-" + failTrace + "-" + clientSpan + "-01"}); r.Status < 500 {
		t.Errorf("/fail: %d %s", r.Status, r.Body)
	}
	if code := g.Stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}

	spans := rc.trace(traceID)
	if len(spans) != 3 {
		t.Fatalf("got %d spans of the trace, want 3: %v", len(spans), spans)
	}
	var server, lambdaSpan, httpSpan *receivedSpan
	for i, s := range spans {
		switch {
		case s.GetKind() == tracepb.Span_SPAN_KIND_SERVER:
			server = &spans[i]
		case attrMap(s.GetAttributes())["backend.kind"] == "lambda":
			lambdaSpan = &spans[i]
		case attrMap(s.GetAttributes())["backend.kind"] == "http":
			httpSpan = &spans[i]
		}
	}
	if server == nil || lambdaSpan == nil || httpSpan == nil {
		t.Fatalf("want a server, a lambda and an http span: %v", spans)
	}
	if hexID(lambdaSpan.GetParentSpanId()) != hexID(server.GetSpanId()) || lambdaSpan.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("the lambda span is not a client span under the server span: %v", lambdaSpan)
	}
	if lambdaSpan.GetName() != "lambda echo" {
		t.Errorf("lambda span name %q", lambdaSpan.GetName())
	}
	if got.Lambda.RequestID == "" {
		t.Errorf("the function gave no request id: %s", r.Body)
	}
	mustEqualAttrs(t, "lambda span", *lambdaSpan, map[string]string{
		"backend.kind": "lambda", "backend.target": "echo", "backend.outcome": "success", "backend.name": "endpoints[0].backend[1]",
		"aws.lambda.function": "echo", "aws.request_id": got.Lambda.RequestID, "aws.lambda.executed_version": "$LATEST",
	})
	if a := attrMap(lambdaSpan.GetAttributes()); a["aws.lambda.qualifier"] != "" || a["aws.lambda.function_error"] != "" {
		t.Errorf("a successful unqualified invocation's span has %v", a)
	}
	xray := "Root=1-" + traceID[:8] + "-" + traceID[8:] + ";Parent=" + hexID(lambdaSpan.GetSpanId()) + ";Sampled=1"
	if got.Lambda.Trace != xray {
		t.Errorf("the function ran in trace %q, want %q (the lambda span)", got.Lambda.Trace, xray)
	}
	if got.Lambda.EventTrace != xray {
		t.Errorf("the event's x-amzn-trace-id is %q, want %q", got.Lambda.EventTrace, xray)
	}
	if tp, _ := seen.get(); tp != "00-"+traceID+"-"+hexID(httpSpan.GetSpanId())+"-01" {
		t.Errorf("the HTTP backend got traceparent %q", tp)
	}

	failed := rc.trace(failTrace)
	var failSpan *receivedSpan
	for i, s := range failed {
		if s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT {
			failSpan = &failed[i]
		}
	}
	if failSpan == nil {
		t.Fatalf("no backend span for the failed invocation: %v", failed)
	}
	mustEqualAttrs(t, "failed lambda span", *failSpan, map[string]string{
		"aws.lambda.function": "echo", "aws.lambda.qualifier": "live", "aws.lambda.function_error": "Handled",
		"aws.lambda.executed_version": "$LATEST", "backend.outcome": "error",
	})
	if failSpan.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("the failed invocation's span status is %v", failSpan.GetStatus())
	}
}
