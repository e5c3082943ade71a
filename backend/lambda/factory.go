package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"go.opentelemetry.io/otel/metric"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// startupTimeout bounds loading the AWS configuration of one client.
const startupTimeout = 30 * time.Second

// kind is the Lambda kind of backend of one gateway: it builds the
// transports of the backends whose extra_config holds "backend/lambda" (or
// the legacy "github.com/devopsfaith/krakend-lambda"), and owns the
// Invoke clients they share, one per distinct lambdainvoke.Key (region,
// endpoint, credentials): two gateways never share one.
type kind struct {
	deps     backend.Deps
	localURL string
	hooks    *factoryHooks
	clients  lambdainvoke.Clients
	// local lists the backends on the local runtime; aws the clients of
	// real AWS and their backends: for Started's lines.
	local []string
	aws   []awsClient
}

// awsClient is a client of real AWS and the backends that use it.
type awsClient struct {
	client   *lambdainvoke.Client
	backends []string
}

// credentialCheckTimeout bounds the start-up look for credentials.
const credentialCheckTimeout = 3 * time.Second

// Started logs one line listing the backends on the local runtime, and
// warns once per set of AWS settings for which no credentials can be had,
// naming the chain tried and the backends concerned.
func (k *kind) Started() {
	if len(k.local) > 0 {
		k.deps.Logger.Info("lambda backends use the local Lambda runtime", "endpoint", k.localURL, "count", len(k.local), "backends", k.local)
	}
	for _, a := range k.aws {
		ctx, cancel := context.WithTimeout(context.Background(), credentialCheckTimeout)
		err := a.client.CheckCredentials(ctx)
		cancel()
		if err != nil {
			k.deps.Warn(fmt.Sprintf("%s: no AWS credentials for Lambda in %s: every call will fail (502) until some are found; tried: %s (%v)",
				strings.Join(a.backends, ", "), a.client.Region(), lambdainvoke.CredentialChain, errors.Unwrap(err)))
		}
	}
}

// factoryHooks lets tests replace what reaches the network.
type factoryHooks struct {
	// invoker, when set, replaces the client built from the options.
	invoker lambdainvoke.Invoker
	// backoff, when set, replaces the SDK's retry backoff.
	backoff retry.BackoffDelayer
	// meter, when set, records the Lambda metrics instead of the
	// gateway telemetry's meter.
	meter metric.Meter
	// clock, when set, is the cache's clock (cache_ttl).
	clock func() time.Time
}

// NewKind returns the constructor of the Lambda kind. localURL, when set,
// is the Invoke endpoint of the in-process local Lambda runtime: backends
// without an explicit endpoint use it and need no AWS credentials or
// region.
func NewKind(localURL string) backend.NewKind {
	return func(deps backend.Deps) (backend.Kind, error) {
		return newKind(deps, localURL, nil), nil
	}
}

func newKind(deps backend.Deps, localURL string, hooks *factoryHooks) *kind {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Warn == nil {
		deps.Warn = func(string) {}
	}
	return &kind{deps: deps, localURL: localURL, hooks: hooks}
}

func (k *kind) Name() string { return "lambda" }

// Claims reports whether b's extra_config holds a Lambda namespace.
func (k *kind) Claims(b *config.Backend) bool {
	return b.ExtraConfig.Has(Namespace) || b.ExtraConfig.Has(LegacyNamespace)
}

// Close closes the idle connections of the kind's clients.
func (k *kind) Close() { k.clients.CloseIdle() }

// Build decodes and checks a Lambda backend's options once and builds its
// transport. Problems are config.Errors, each at its JSON path.
func (k *kind) Build(spec backend.Spec) (backend.Transport, error) {
	b := spec.Backend
	x := &b.ExtraConfig
	var o Options
	ns, err := x.DecodeWithLegacy(Namespace, LegacyNamespace, &o)
	base := config.Join(x.Path, ns)
	if err != nil {
		var errs config.Errors
		errs.Append(base, err)
		return backend.Transport{}, errs
	}
	var params []string
	route := route{}
	method := b.Method
	if spec.Endpoint != nil {
		params = spec.Endpoint.Params
		route = newRoute(spec.Endpoint)
		method = spec.Endpoint.Method
	}
	s, errs := o.resolve(base, params, method)
	if len(errs) > 0 {
		return backend.Transport{}, errs
	}
	if s.payloadFormat == FormatAPIGatewayV1 {
		if k.deps.RecordHeaderNames != nil {
			k.deps.RecordHeaderNames()
		}
		if k.deps.CanonicalHeaderNames {
			k.deps.Warn(config.Join(base, "payload_format") + ": partial: apigateway_v1 events show header names as the client spelt them over HTTP/2 and over plain HTTP/1.1, but HTTP/1.1 requests over TLS (served by net/http) arrive canonicalised (\"day\" shows as \"Day\"); serve HTTP/2 to TLS clients or terminate TLS in front of the gateway to keep the spelling")
		}
	}
	logger := k.deps.Logger

	if s.stream {
		if errs := checkStreamEndpoint(base, spec.Endpoint, b); len(errs) > 0 {
			return backend.Transport{}, errs
		}
	}
	var inv lambdainvoke.Invoker
	sdkAttempts := 0
	if k.hooks != nil && k.hooks.invoker != nil {
		inv = k.hooks.invoker
	} else {
		key := clientKey(&o, k.localURL)
		ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
		client, err := k.invokerFor(ctx, key, base)
		cancel()
		if err != nil {
			var errs config.Errors
			errs.Append(base, err)
			return backend.Transport{}, errs
		}
		k.note(key, client, b.JSONPath)
		inv, sdkAttempts = client, client.SDKMaxAttempts()
	}
	var backoff retry.BackoffDelayer
	var meter metric.Meter
	var clock func() time.Time
	if k.hooks != nil {
		backoff, meter, clock = k.hooks.backoff, k.hooks.meter, k.hooks.clock
	}
	if s.paramName != "" && s.allowed == nil {
		k.deps.Warn(fmt.Sprintf("%s: the function comes from the path placeholder {%s} with no allowed_functions: a client may call any function the gateway's credentials can invoke; list the allowed names (globs work)", config.Join(base, "function_param_name"), s.paramName))
	}

	tel, err := newBackendTelemetry(k.deps.Telemetry, s, meter)
	if err != nil {
		return backend.Transport{}, config.Errors{{Path: base, Msg: "creating its metrics: " + err.Error()}}
	}

	var fleet *fleetInvoker
	if s.traffic.fleet != nil {
		if meter == nil && k.deps.Telemetry.BackendMetrics() {
			meter = k.deps.Telemetry.Meter()
		}
		if fleet, err = newFleetInvoker(s.traffic, k.deps.Redis, base, spec, s.target(), meter, logger); err != nil {
			var errs config.Errors
			errs.Append(base, err)
			return backend.Transport{}, errs
		}
	}

	t := &transport{
		settings: s,
		tel:      tel,
		invoker:  s.traffic.wrap(lambdainvoke.WithRetries(inv, lambdainvoke.AttemptsFor(s.maxRetries, sdkAttempts), backoff), clock, fleet),
		payload:  newPayloadBuilder(s.payloadFormat, b.Method, route),
		results: results{
			invocationType: s.invocationType,
			unwrap:         s.unwrap,
			relayAnyStatus: b.Encoding == proxy.EncodingNoOp,
		},
		logger: logger,
	}
	if s.stream {
		streamer, ok := inv.(lambdainvoke.StreamInvoker)
		if !ok {
			return backend.Transport{}, config.Errors{{Path: config.Join(base, "invoke_mode"), Msg: "this backend's invocation client cannot stream"}}
		}
		t.streamer = streamer
		return backend.Transport{Call: t.callStream, Target: s.target(), Replies: replyRules}, nil
	}
	return backend.Transport{Call: t.call, Target: s.target(), Replies: replyRules}, nil
}

// replyRules are how a function's results decode: any JSON value, and a
// result that is not JSON is the function's fault (502).
var replyRules = proxy.ReplyRules{AnyJSONValue: true, FailStatus: http.StatusBadGateway, Noun: "the function's result"}

// clientKey is the lambdainvoke.Key of a backend's options: the local
// runtime's when the kind has one and the options name no endpoint.
func clientKey(o *Options, localURL string) lambdainvoke.Key {
	return o.key().OrLocal(localURL)
}

// key is the lambdainvoke.Key the options name.
func (o *Options) key() lambdainvoke.Key {
	return lambdainvoke.Key{
		Region: o.Region, Endpoint: o.Endpoint, Profile: o.Profile,
		RoleARN: o.AssumeRoleARN, ExternalID: o.ExternalID, SessionName: o.RoleSessionName,
	}
}

// invokerFor returns the kind's client of key, building it on first use.
// A problem is a config.Error at the option it names under base.
// note remembers a backend for Started: on the local runtime, or on a
// client of real AWS (no custom endpoint).
func (k *kind) note(key lambdainvoke.Key, c *lambdainvoke.Client, path string) {
	switch {
	case key.Local:
		k.local = append(k.local, path)
	case key.Endpoint == "":
		for i := range k.aws {
			if k.aws[i].client == c {
				k.aws[i].backends = append(k.aws[i].backends, path)
				return
			}
		}
		k.aws = append(k.aws, awsClient{client: c, backends: []string{path}})
	}
}

func (k *kind) invokerFor(ctx context.Context, key lambdainvoke.Key, base string) (*lambdainvoke.Client, error) {
	c, err := k.clients.Get(ctx, key, k.deps.Logger)
	var ce *lambdainvoke.ConfigError
	if errors.As(err, &ce) {
		path := base
		if opt := lambdainvoke.OptionOf(ce.Field); opt != "" {
			path = config.Join(base, opt)
		}
		return nil, &config.Error{Path: path, Msg: ce.Msg}
	}
	return c, err
}

func newRoute(e *config.Endpoint) route {
	return route{pattern: e.Path, params: e.Params, keys: payloadKeys(e)}
}

// transport is one Lambda backend, everything decided.
type transport struct {
	settings
	invoker lambdainvoke.Invoker
	// streamer invokes with InvokeWithResponseStream (invoke_mode
	// RESPONSE_STREAM); nil otherwise.
	streamer lambdainvoke.StreamInvoker
	payload  payloadBuilder
	results  results
	logger   *slog.Logger
	// tel is the backend's telemetry; nil when there is none.
	tel *backendTelemetry
}

// call invokes the backend's function for one request.
func (t *transport) call(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
	in, fm, fromParam, err := t.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	fn, payload := in.FunctionName, in.Payload
	res, err := t.invoker.Invoke(ctx, in)
	if fm != nil {
		fm.invoked(ctx, len(payload), res, err)
	}
	if t.tel != nil && t.tel.spans {
		annotate(ctx, fn, t.qualifier, res, err)
	}
	if err != nil {
		return nil, clientError(ctx, err, fn, fromParam)
	}
	if t.logTail && res.LogResult != "" && t.logger.Enabled(ctx, slog.LevelDebug) {
		t.writeLogTail(ctx, req, fn, res)
	}
	return t.results.response(res, fn)
}

// prepare checks the function a request calls and builds its invocation
// and its metrics (nil without telemetry); fromParam says the name came
// from the path.
func (t *transport) prepare(ctx context.Context, req *proxy.Request) (in *lambdainvoke.Invocation, fm *functionMetrics, fromParam bool, err error) {
	fn, fromParam, allowedIndex := t.fixedName, false, -1
	if t.paramName != "" {
		fn, fromParam = req.Params.Value(t.paramSlot), true
		if !validFunctionName(fn) {
			return nil, nil, fromParam, &proxy.StatusError{Status: http.StatusNotFound, Err: fmt.Errorf("%q is not a Lambda function name", fn)}
		}
		if t.allowed != nil {
			if allowedIndex = matchAllowed(fn, t.allowed); allowedIndex < 0 {
				return nil, nil, fromParam, &proxy.StatusError{Status: http.StatusNotFound, Err: fmt.Errorf("lambda function %q is not in allowed_functions", fn)}
			}
		}
	}
	var traceHeader string
	if t.tel != nil && t.tel.propagate {
		traceHeader = telemetry.XRayTraceHeader(ctx)
	}
	payload, err := t.payload(req, traceHeader)
	if err != nil {
		return nil, nil, fromParam, fmt.Errorf("building the payload of lambda function %q: %w", fn, err)
	}
	if len(payload) > t.maxPayload {
		return nil, nil, fromParam, &proxy.StatusError{Status: http.StatusRequestEntityTooLarge, Err: fmt.Errorf("the payload for lambda function %q is %d bytes, above Lambda's limit of %d for %s invocations", fn, len(payload), t.maxPayload, t.invocationType)}
	}
	fm = t.tel.metricsFor(allowedIndex)
	in = &lambdainvoke.Invocation{
		FunctionName:   fn,
		Qualifier:      t.qualifier,
		InvocationType: t.invocationType,
		LogTail:        t.logTail,
		Payload:        payload,
		TraceHeader:    traceHeader,
	}
	if fm != nil {
		// Not a nil *functionMetrics in the interface: the retry loop
		// checks for nil.
		in.Retries = fm
	}
	return in, fm, fromParam, nil
}

// writeLogTail writes the function's log tail (log_type Tail) to the debug
// log, linked to the request by the gateway's request id (the access log's
// request_id), the trace id when there is a trace, and Lambda's request id.
func (t *transport) writeLogTail(ctx context.Context, req *proxy.Request, fn string, res *lambdainvoke.Result) {
	tail, err := base64.StdEncoding.DecodeString(res.LogResult)
	if err != nil {
		return
	}
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs,
		slog.String("function", fn),
		slog.String("request_id", req.ID),
		slog.String("aws_request_id", res.RequestID))
	if tid := telemetry.TraceID(ctx); tid != "" {
		attrs = append(attrs, slog.String("trace_id", tid))
	}
	attrs = append(attrs, slog.String("log", string(tail)))
	t.logger.LogAttrs(ctx, slog.LevelDebug, "lambda function log tail", attrs...)
}
