package lambda

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// Namespace is the extra_config key of a Lambda backend.
const Namespace = "backend/lambda"

// LegacyNamespace is KrakenD's namespace for the same options, accepted so
// that a KrakenD file runs unchanged.
const LegacyNamespace = "github.com/devopsfaith/krakend-lambda"

// Options is the "backend/lambda" namespace of a backend. The field comments
// are the user documentation (docs/lambda.md repeats them with examples).
type Options struct {
	// FunctionName is the function to call: a name, name:alias, a partial
	// ARN (123456789012:function:name) or a full ARN.
	FunctionName string `json:"function_name"`
	// FunctionParamName is the endpoint placeholder holding the function
	// name: KrakenD's title-cased form ("Lambda" for {lambda}) or the exact
	// placeholder name. Exclusive with FunctionName.
	FunctionParamName string `json:"function_param_name"`
	// Region is the AWS region. Default: the environment and shared config
	// (AWS_REGION, AWS_DEFAULT_REGION, the profile).
	Region string `json:"region"`
	// MaxRetries is how many times a failed invocation is retried (throttling,
	// Lambda service and transport errors only). 0 (default): one attempt;
	// -1: the SDK's default policy (3 attempts in all, or AWS_MAX_ATTEMPTS).
	MaxRetries int `json:"max_retries"`
	// Endpoint is a custom Invoke endpoint URL (LocalStack, the Runtime
	// Interface Emulator, lambdagate's local runtime).
	Endpoint string `json:"endpoint"`
	// Qualifier is the version or alias invoked.
	Qualifier string `json:"qualifier"`
	// InvocationType is RequestResponse (default), Event or DryRun.
	InvocationType string `json:"invocation_type"`
	// LogType "Tail" writes the function's last 4 KB of log to the
	// gateway's debug log. Default "None".
	LogType string `json:"log_type"`
	// AllowedFunctions lists the names (globs allowed) the placeholder may
	// select, when the name comes from the endpoint path.
	AllowedFunctions []string `json:"allowed_functions"`
	// PayloadFormat is krakend (default), apigateway_v1 or apigateway_v2.
	PayloadFormat string `json:"payload_format"`
	// ResponseFormat is krakend (default with the krakend payload format) or
	// apigateway (default with the apigateway_* payload formats): whether a
	// result holding statusCode is unwrapped.
	ResponseFormat string `json:"response_format"`
	// Profile is the shared config profile whose credentials are used.
	Profile string `json:"profile"`
	// AssumeRoleARN is a role assumed (through STS) before invoking.
	AssumeRoleARN string `json:"assume_role_arn"`
	// ExternalID is passed to STS with AssumeRoleARN.
	ExternalID string `json:"external_id"`
	// RoleSessionName names the assumed role's session (default
	// "lambdagate").
	RoleSessionName string `json:"role_session_name"`
	// CacheTTL, a duration ("30s", "5m"), caches the function's successful
	// results in the gateway's memory for that long, and makes identical
	// concurrent invocations one (the others share its result). The key is
	// the function, the qualifier and the payload's bytes, hashed
	// (SHA-256): requests that build the same payload share a result. Only
	// RequestResponse invocations with the krakend payload format (API
	// Gateway events carry a request id and a time, so no two are alike),
	// on GET endpoints unless CacheAllMethods. Function errors and failed
	// invocations are never cached. Default: no cache.
	CacheTTL string `json:"cache_ttl"`
	// CacheMaxItems bounds the cache: the most results held, the least
	// recently used evicted first. Default 1024.
	CacheMaxItems int `json:"cache_max_items"`
	// CacheMaxSize bounds the cache: the most bytes of results held (a
	// larger result is not cached). Default 16777216 (16 MiB).
	CacheMaxSize int64 `json:"cache_max_size"`
	// CacheAllMethods says the function is safe to cache on an endpoint
	// whose method is not GET (the same payload always gets the same
	// answer, and calling it changes nothing). Default false: cache_ttl on
	// such an endpoint is refused.
	CacheAllMethods bool `json:"cache_all_methods"`
	// MaxConcurrency, above zero, caps the invocations of this backend in
	// flight at once, per gateway: a request beyond the cap gets 429 with
	// Retry-After: 1 at once, never queued. Cache hits and coalesced
	// requests take no place. Default 0: no cap.
	MaxConcurrency int `json:"max_concurrency"`
	// MaxConcurrencyRedis makes MaxConcurrency the fleet's: the cap is
	// counted over every gateway whose backend of the same endpoint (method,
	// path and place) leases from the same Redis pool. Default: none (the
	// cap is this gateway's).
	MaxConcurrencyRedis *ConcurrencyRedis `json:"max_concurrency_redis"`
	// InvokeMode is BUFFERED (default: Invoke, the result read whole) or
	// RESPONSE_STREAM (InvokeWithResponseStream: the function's bytes reach
	// the client as it writes them, up to Lambda's 200 MB). Streaming is
	// the whole endpoint's: one backend, output_encoding and encoding
	// no-op, RequestResponse, no cache_ttl or max_concurrency.
	InvokeMode string `json:"invoke_mode"`
	// StreamIdleTimeout, a duration, ends a RESPONSE_STREAM response when
	// no chunk arrived for that long (the endpoint's timeout bounds the
	// whole stream). Default: none.
	StreamIdleTimeout string `json:"stream_idle_timeout"`
}

// ConcurrencyRedis is max_concurrency_redis: where the fleet's leases are
// kept and what to do when Redis fails.
type ConcurrencyRedis struct {
	// ConnectionName names a pool of the service's "redis" namespace.
	ConnectionName string `json:"connection_name"`
	// OnFailureLocal caps the invocations at max_concurrency in this
	// gateway alone while Redis does not answer; default false: such
	// calls are refused with 503, no invocation.
	OnFailureLocal bool `json:"on_failure_local"`
}

// Invoke modes.
const (
	InvokeModeBuffered = "BUFFERED"
	InvokeModeStream   = "RESPONSE_STREAM"
)

// Invocation types.
const (
	InvocationRequestResponse = lambdaapi.InvocationRequestResponse
	InvocationEvent           = lambdaapi.InvocationEvent
	InvocationDryRun          = lambdaapi.InvocationDryRun
)

// Payload and response formats.
const (
	FormatKrakend      = "krakend"
	FormatAPIGatewayV1 = "apigateway_v1"
	FormatAPIGatewayV2 = "apigateway_v2"
	FormatAPIGateway   = "apigateway"
)

// Lambda's request payload limits.
const (
	MaxSyncPayload  = lambdaapi.MaxSyncPayload
	MaxEventPayload = lambdaapi.MaxEventPayload
)

// settings is what the options decide about each request, resolved once.
type settings struct {
	fixedName      string   // the function, when fixed
	paramName      string   // the endpoint placeholder holding the function name
	paramSlot      int      // its slot in a request's params
	allowed        []string // globs the param may select; nil: any valid name
	qualifier      string
	invocationType string
	logTail        bool
	payloadFormat  string
	unwrap         bool // response_format apigateway
	maxRetries     int
	maxPayload     int
	traffic        traffic
	stream         bool          // invoke_mode RESPONSE_STREAM
	idleTimeout    time.Duration // stream_idle_timeout; 0: none
}

// target is the backend's telemetry target: its function_name, or the
// endpoint's {placeholder} when the function comes from the path, never
// the client's value, so that labels stay bounded.
func (s settings) target() string {
	if s.paramName == "" {
		return s.fixedName
	}
	return placeholder(s.paramName)
}

// resolve checks the options against the endpoint and returns the settings,
// or every problem found, each at its JSON path under base.
func (o *Options) resolve(base string, endpointParams []string, endpointMethod string) (settings, config.Errors) {
	var errs config.Errors
	at := func(key string) string { return config.Join(base, key) }
	s := settings{
		fixedName:      o.FunctionName,
		qualifier:      o.Qualifier,
		invocationType: o.InvocationType,
		payloadFormat:  o.PayloadFormat,
		maxRetries:     o.MaxRetries,
	}

	switch {
	case o.FunctionName != "" && o.FunctionParamName != "":
		errs.Add(at("function_param_name"), "function_name and function_param_name are both set: keep function_name for a fixed function, or function_param_name to take it from the endpoint path")
	case o.FunctionName != "":
		if !lambdaapi.ValidFunctionName(o.FunctionName) {
			errs.Add(at("function_name"), "%q is not a Lambda function name: use a name (letters, digits, - and _, up to 64), name:alias, 123456789012:function:name or a full ARN", o.FunctionName)
		}
	case o.FunctionParamName != "":
		p, ok := findParam(o.FunctionParamName, endpointParams)
		if !ok {
			errs.Add(at("function_param_name"), "the endpoint has no placeholder {%s}: %s; add it to the endpoint path or fix the name", strings.ToLower(o.FunctionParamName[:1])+o.FunctionParamName[1:], listParams(endpointParams))
		}
		s.paramName = p
	default:
		p, ok := findParam("function", endpointParams)
		if !ok {
			errs.Add(base, "says no function: set function_name, or function_param_name with the endpoint placeholder holding the name (or use a {function} placeholder)")
		}
		s.paramName = p
	}

	s.paramSlot = slices.Index(endpointParams, s.paramName)

	if o.AllowedFunctions != nil {
		if s.paramName == "" && o.FunctionName != "" {
			errs.Add(at("allowed_functions"), "only applies when the function name comes from the endpoint path (function_param_name): remove it, function_name is fixed")
		}
		for i, g := range o.AllowedFunctions {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				errs.Add(config.Index(at("allowed_functions"), i), "%q is not a valid glob (use * and ? and [...] classes)", g)
			}
		}
		s.allowed = o.AllowedFunctions
	}

	if o.Qualifier != "" && !lambdaapi.ValidQualifier(o.Qualifier) {
		errs.Add(at("qualifier"), "%q is not a version or alias: use $LATEST, a version number or an alias name (letters, digits, - and _)", o.Qualifier)
	}

	switch o.InvocationType {
	case "":
		s.invocationType = InvocationRequestResponse
	case InvocationRequestResponse, InvocationEvent, InvocationDryRun:
	default:
		errs.Add(at("invocation_type"), "%q is not an invocation type: use RequestResponse (default), Event or DryRun", o.InvocationType)
	}
	s.maxPayload = MaxSyncPayload
	if s.invocationType == InvocationEvent {
		s.maxPayload = MaxEventPayload
	}

	switch o.LogType {
	case "", lambdaapi.LogTypeNone:
	case lambdaapi.LogTypeTail:
		s.logTail = true
	default:
		errs.Add(at("log_type"), "%q is not a log type: use Tail (the function's log tail goes to the debug log) or None (default)", o.LogType)
	}

	switch o.PayloadFormat {
	case "":
		s.payloadFormat = FormatKrakend
	case FormatKrakend, FormatAPIGatewayV1, FormatAPIGatewayV2:
	default:
		errs.Add(at("payload_format"), "%q is not a payload format: use krakend (default), apigateway_v1 or apigateway_v2", o.PayloadFormat)
	}
	switch o.ResponseFormat {
	case "":
		s.unwrap = s.payloadFormat == FormatAPIGatewayV1 || s.payloadFormat == FormatAPIGatewayV2
	case FormatKrakend:
	case FormatAPIGateway:
		s.unwrap = true
	default:
		errs.Add(at("response_format"), "%q is not a response format: use krakend or apigateway", o.ResponseFormat)
	}

	if o.MaxRetries < -1 {
		errs.Add(at("max_retries"), "must be -1 (the AWS SDK's default policy), 0 (one attempt, the default) or a number of retries, got %d", o.MaxRetries)
	}
	o.key().CheckOptions(func(option, msg string) { errs.Add(at(option), "%s", msg) })
	o.resolveStream(at, &s, &errs)
	s.traffic = o.resolveTraffic(at, s, endpointMethod, &errs)
	return s, errs
}

// findParam returns the endpoint placeholder that name designates: the
// exact placeholder, or one whose KrakenD title-cased form is name, or
// whose name is name title-cased ("function" finds {Function}).
func findParam(name string, params []string) (string, bool) {
	i, ok := config.ParamIndex(params, name)
	if !ok {
		i, ok = config.ParamIndex(params, config.TitleCase(name))
	}
	if !ok {
		return "", false
	}
	return params[i], true
}

// listParams says which placeholders an endpoint has, as a clause.
func listParams(params []string) string {
	switch len(params) {
	case 0:
		return "its path has no placeholders"
	case 1:
		return "its only placeholder is {" + params[0] + "}"
	}
	return "its placeholders are {" + strings.Join(params, "}, {") + "}"
}
