package lambda

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/telemetry"
)

// This file is the Lambda transport's telemetry: the lambdagate.lambda.*
// metrics (Metric*) and the attributes (Attr*) it adds to the backend
// span the telemetry package opened around the call.
//
// Every attribute set is built at start-up, or once on first use of a
// value Lambda reports (an executed version, an error type) and kept: the
// request path only picks a prepared slice of options. Label values come
// from the configuration (function_name, the allowed_functions entry a
// name matched, the {placeholder} of function_param_name) or from Lambda's
// answers, bounded by maxCachedValues; never from the client.

// maxCachedValues bounds the distinct values one label of one function may
// take from Lambda's answers (executed versions, error codes): past it
// they are reported as otherValue, so that a misbehaving endpoint cannot
// grow the series without end.
const maxCachedValues = 64

// otherValue stands for the values past maxCachedValues.
const otherValue = "other"

// Instrument names of the Lambda transport, recorded through the gateway's
// meter. docs/observability.md lists each with its attributes; dashboards
// depend on them.
const (
	// MetricInvocations counts invocations, by AttrFunction, AttrQualifier
	// and AttrExecutedVersion.
	MetricInvocations = "lambdagate.lambda.invocations"
	// MetricErrors counts failed invocations, by AttrFunction and
	// AttrFunctionError (Unhandled, Handled, or why it failed).
	MetricErrors = "lambdagate.lambda.errors"
	// MetricThrottles counts throttled invocation attempts, by
	// AttrFunction.
	MetricThrottles = "lambdagate.lambda.throttles"
	// MetricRetries counts invocation retries, by AttrFunction.
	MetricRetries = "lambdagate.lambda.retries"
	// MetricConcurrencyRefusals counts the backend calls max_concurrency
	// refused (429): no invocation was made, so neither invocations nor
	// errors count them.
	MetricConcurrencyRefusals = "lambdagate.lambda.concurrency.refusals"
	// MetricRequestSize is the histogram of invocation payload sizes, in
	// bytes, by AttrFunction.
	MetricRequestSize = "lambdagate.lambda.request.size"
	// MetricResponseSize is the histogram of invocation result sizes, in
	// bytes, by AttrFunction.
	MetricResponseSize = "lambdagate.lambda.response.size"
)

// Attribute keys of the Lambda metrics and spans (the Prometheus exporter
// writes them with underscores).
const (
	// AttrFunction is a Lambda function's name, from the configuration. The
	// local runtime's metrics use the same key (lambdalocal.AttrFunction).
	AttrFunction = "aws.lambda.function"
	// AttrQualifier is a Lambda function's version or alias.
	AttrQualifier = "aws.lambda.qualifier"
	// AttrExecutedVersion is the version that ran (X-Amz-Executed-Version).
	AttrExecutedVersion = "aws.lambda.executed_version"
	// AttrFunctionError is the function error type (X-Amz-Function-Error)
	// or why the invocation failed (errorType).
	AttrFunctionError = "aws.lambda.function_error"
	// AttrAWSRequestID is the AWS request id of an invocation (spans only).
	AttrAWSRequestID = "aws.request_id"
)

// Values of AttrFunctionError that are not Lambda's own
// (Handled, Unhandled, or the Invoke API's error code).
const (
	// errTypeTimeout: the endpoint's timeout ended the invocation.
	errTypeTimeout = "Timeout"
	// errTypeCanceled: the client went away during the invocation.
	errTypeCanceled = "Canceled"
	// errTypeCredentials: no usable AWS credentials.
	errTypeCredentials = "CredentialsError"
	// errTypeConnection: the Invoke endpoint could not be reached or
	// its answer could not be read.
	errTypeConnection = "ConnectionError"
	// errTypeUnknown: an Invoke API error without an error code.
	errTypeUnknown = "UnknownError"
)

// lambdaInstruments are the Lambda transport's instruments.
type lambdaInstruments struct {
	invocations  metric.Int64Counter
	errors       metric.Int64Counter
	throttles    metric.Int64Counter
	retries      metric.Int64Counter
	refusals     metric.Int64Counter
	requestSize  metric.Int64Histogram
	responseSize metric.Int64Histogram
}

func newLambdaInstruments(m metric.Meter) (*lambdaInstruments, error) {
	var (
		in     lambdaInstruments
		err, e error
	)
	in.invocations, e = m.Int64Counter(MetricInvocations, metric.WithUnit("{invocation}"),
		metric.WithDescription("Lambda invocations, by function, qualifier and the version that ran; one per backend call, retries not counted again."))
	err = errors.Join(err, e)
	in.errors, e = m.Int64Counter(MetricErrors, metric.WithUnit("{error}"),
		metric.WithDescription("Failed Lambda invocations, by function and error type: Handled, Unhandled, or why the invocation failed."))
	err = errors.Join(err, e)
	in.throttles, e = m.Int64Counter(MetricThrottles, metric.WithUnit("{invocation}"),
		metric.WithDescription("Lambda invocation attempts throttled (TooManyRequestsException), retried or not, by function."))
	err = errors.Join(err, e)
	in.retries, e = m.Int64Counter(MetricRetries, metric.WithUnit("{retry}"),
		metric.WithDescription("Lambda invocation retries (max_retries), by function."))
	err = errors.Join(err, e)
	in.refusals, e = m.Int64Counter(MetricConcurrencyRefusals, metric.WithUnit("{call}"),
		metric.WithDescription("Backend calls refused with 429 because max_concurrency invocations of the backend were in flight, by function; no invocation was made."))
	err = errors.Join(err, e)
	in.requestSize, e = m.Int64Histogram(MetricRequestSize, metric.WithUnit("By"),
		metric.WithDescription("Size of Lambda invocation payloads, by function."),
		metric.WithExplicitBucketBoundaries(telemetry.SizeBuckets...))
	err = errors.Join(err, e)
	in.responseSize, e = m.Int64Histogram(MetricResponseSize, metric.WithUnit("By"),
		metric.WithDescription("Size of Lambda invocation results (the function's error payload included), by function."),
		metric.WithExplicitBucketBoundaries(telemetry.SizeBuckets...))
	return &in, errors.Join(err, e)
}

// functionMetrics are the prepared measurement options of one value of
// the function label.
type functionMetrics struct {
	inst *lambdaInstruments
	add  []metric.AddOption    // {function}
	rec  []metric.RecordOption // {function}
	// versions adds the qualifier and the executed version.
	versions labelCache
	// errors adds the error type.
	errors labelCache
}

func newFunctionMetrics(inst *lambdaInstruments, function, qualifier string) *functionMetrics {
	fnAttr := attribute.String(AttrFunction, function)
	set := metric.WithAttributeSet(attribute.NewSet(fnAttr))
	withQualifier := []attribute.KeyValue{fnAttr}
	if qualifier != "" {
		withQualifier = append(withQualifier, attribute.String(AttrQualifier, qualifier))
	}
	fm := &functionMetrics{
		inst:     inst,
		add:      []metric.AddOption{set},
		rec:      []metric.RecordOption{set},
		versions: labelCache{base: withQualifier, key: AttrExecutedVersion},
		errors:   labelCache{base: []attribute.KeyValue{fnAttr}, key: AttrFunctionError},
	}
	return fm
}

// invoked records one backend call's invocation: its payload and result
// sizes, the invocation by executed version, the error type when it
// failed, and a throttle when the last attempt was throttled.
func (m *functionMetrics) invoked(ctx context.Context, payloadSize int, res *lambdainvoke.Result, err error) {
	in := m.inst
	if errors.Is(err, errMaxConcurrency) {
		in.refusals.Add(ctx, 1, m.add...)
		return
	}
	if errors.Is(err, errConcurrencyUnchecked) {
		return // no invocation: counted by MetricConcurrencyRedisErrors
	}
	in.requestSize.Record(ctx, int64(payloadSize), m.rec...)
	version := ""
	if res != nil {
		version = res.ExecutedVersion
		in.responseSize.Record(ctx, int64(len(res.Payload)), m.rec...)
	}
	in.invocations.Add(ctx, 1, m.versions.options(version)...)
	if et := errorType(ctx, res, err); et != "" {
		in.errors.Add(ctx, 1, m.errors.options(et)...)
	}
	if isThrottle(err) {
		in.throttles.Add(ctx, 1, m.add...)
	}
}

// Retried records an attempt that failed with err and is retried
// (lambdainvoke.RetryRecorder).
func (m *functionMetrics) Retried(ctx context.Context, err error) {
	m.inst.retries.Add(ctx, 1, m.add...)
	if isThrottle(err) {
		m.inst.throttles.Add(ctx, 1, m.add...)
	}
}

// labelCache holds the measurement options of base plus key=value, one per
// value seen, built on first use; an empty value leaves key out. Reads
// take no lock and allocate nothing.
type labelCache struct {
	base []attribute.KeyValue
	key  string
	mu   sync.Mutex // serializes additions
	m    atomic.Pointer[map[string][]metric.AddOption]
}

func (c *labelCache) options(value string) []metric.AddOption {
	if m := c.m.Load(); m != nil {
		if o, ok := (*m)[value]; ok {
			return o
		}
	}
	return c.add(value)
}

func (c *labelCache) add(value string) []metric.AddOption {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string][]metric.AddOption
	if m := c.m.Load(); m != nil {
		old = *m
	}
	if o, ok := old[value]; ok {
		return o
	}
	key := value
	if len(old) >= maxCachedValues {
		if o, ok := old[otherValue]; ok {
			return o
		}
		value = otherValue
		key = otherValue
	}
	attrs := append(make([]attribute.KeyValue, 0, len(c.base)+1), c.base...)
	if value != "" {
		attrs = append(attrs, attribute.String(c.key, value))
	}
	o := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
	m := make(map[string][]metric.AddOption, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[key] = o
	c.m.Store(&m)
	return o
}

// errorType names why an invocation failed, as the metric label and span
// attribute AttrFunctionError: Handled or Unhandled (the
// function failed), the Invoke API's error code (TooManyRequestsException,
// ResourceNotFoundException, ...), Timeout or Canceled (the endpoint's
// timeout or the client ended it), CredentialsError or ConnectionError.
// It is "" for a success.
func errorType(ctx context.Context, res *lambdainvoke.Result, err error) string {
	if err == nil {
		if res != nil {
			return res.FunctionError
		}
		return ""
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return errTypeTimeout
		}
		return errTypeCanceled
	}
	var api *lambdainvoke.APIError
	if errors.As(err, &api) {
		if api.Code == "" {
			return errTypeUnknown
		}
		return api.Code
	}
	var ce *lambdainvoke.CredentialsError
	if errors.As(err, &ce) {
		return errTypeCredentials
	}
	return errTypeConnection
}

// isThrottle reports whether err is Lambda refusing the invocation for
// want of concurrency (TooManyRequestsException, HTTP 429).
func isThrottle(err error) bool {
	if err == nil {
		return false // before the declaration below, which allocates
	}
	var api *lambdainvoke.APIError
	return errors.As(err, &api) && (api.Code == lambdaapi.CodeTooManyRequests || api.StatusCode == 429)
}

// backendTelemetry is what one backend's transport records: nil fields are
// off.
type backendTelemetry struct {
	// fixed is the function_name's metrics, or the {placeholder}'s for a
	// name taken from the path that no allowed_functions entry selects.
	fixed *functionMetrics
	// allowed holds the metrics of each allowed_functions entry.
	allowed []*functionMetrics
	// spans: backend spans are recorded, the transport annotates them.
	spans bool
	// propagate: the trace goes to Lambda as X-Amzn-Trace-Id.
	propagate bool
}

// newBackendTelemetry prepares the telemetry of one backend. meter, when
// not nil, replaces tel's (tests). It returns nil when nothing is
// recorded: the request path then checks one pointer.
func newBackendTelemetry(tel *telemetry.Telemetry, s settings, meter metric.Meter) (*backendTelemetry, error) {
	bt := &backendTelemetry{
		spans:     tel.BackendTraces(),
		propagate: tel.Propagates(),
	}
	if meter == nil && tel.BackendMetrics() {
		meter = tel.Meter()
	}
	if meter != nil {
		inst, err := newLambdaInstruments(meter)
		if err != nil {
			return nil, err
		}
		if s.paramName == "" {
			bt.fixed = newFunctionMetrics(inst, s.fixedName, qualifierLabel(s.fixedName, s.qualifier))
		} else {
			bt.fixed = newFunctionMetrics(inst, placeholder(s.paramName), s.qualifier)
			for _, g := range s.allowed {
				bt.allowed = append(bt.allowed, newFunctionMetrics(inst, g, qualifierLabel(g, s.qualifier)))
			}
		}
	}
	if bt.fixed == nil && !bt.spans && !bt.propagate {
		return nil, nil
	}
	return bt, nil
}

// metricsFor returns the metrics of a call of function: allowedIndex is the
// allowed_functions entry it matched, -1 for none.
func (bt *backendTelemetry) metricsFor(allowedIndex int) *functionMetrics {
	if bt == nil {
		return nil
	}
	if allowedIndex >= 0 && allowedIndex < len(bt.allowed) {
		return bt.allowed[allowedIndex]
	}
	return bt.fixed
}

// annotate adds the invocation's attributes to the backend span of ctx.
func annotate(ctx context.Context, function, qualifier string, res *lambdainvoke.Result, err error) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, attribute.String(AttrFunction, function))
	if q := qualifierLabel(function, qualifier); q != "" {
		attrs = append(attrs, attribute.String(AttrQualifier, q))
	}
	requestID := ""
	if res != nil {
		requestID = res.RequestID
	} else {
		var api *lambdainvoke.APIError
		if errors.As(err, &api) {
			requestID = api.RequestID
		}
	}
	if requestID != "" {
		attrs = append(attrs, attribute.String(AttrAWSRequestID, requestID))
	}
	if res != nil && res.ExecutedVersion != "" {
		attrs = append(attrs, attribute.String(AttrExecutedVersion, res.ExecutedVersion))
	}
	if et := errorType(ctx, res, err); et != "" {
		attrs = append(attrs, attribute.String(AttrFunctionError, et))
	}
	span.SetAttributes(attrs...)
}

// placeholder is the function label of a name taken from the path:
// the endpoint's placeholder, such as {lambda}.
func placeholder(param string) string { return "{" + param + "}" }

// qualifierLabel is the qualifier of an invocation: the qualifier option,
// else the one written in the function name (name:alias, or an ARN's last
// part), else "".
func qualifierLabel(function, qualifier string) string {
	if qualifier != "" {
		return qualifier
	}
	if strings.ContainsAny(function, "*?[") {
		return ""
	}
	parts := strings.Split(function, ":")
	switch {
	case parts[0] == "arn" && len(parts) == 8:
		return parts[7]
	case parts[0] != "arn" && (len(parts) == 2 || len(parts) == 4):
		return parts[len(parts)-1]
	}
	return ""
}
