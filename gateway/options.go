package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/proxy"
)

// RouterOptions is the service's "router" namespace (KrakenD's names). The
// options lambdagate does not implement are accepted and warned about.
type RouterOptions struct {
	// ReturnErrorMsg writes the error's text as the body of failed requests.
	ReturnErrorMsg bool `json:"return_error_msg"`
	// DisableRedirectFixedPath stops case and dot-segment redirects.
	DisableRedirectFixedPath bool `json:"disable_redirect_fixed_path"`
	// DisableRedirectTrailingSlash stops trailing-slash redirects.
	DisableRedirectTrailingSlash bool `json:"disable_redirect_trailing_slash"`
	// DisableHandleMethodNotAllowed answers 404 instead of 405.
	DisableHandleMethodNotAllowed bool `json:"disable_handle_method_not_allowed"`
	// DisableHealth removes the health endpoint.
	DisableHealth bool `json:"disable_health"`
	// HealthPath moves the health endpoint (default /__health).
	HealthPath string `json:"health_path"`
	// DisableAccessLog stops the per-request access-log line.
	DisableAccessLog bool `json:"disable_access_log"`
	// HideVersionHeader is accepted for compatibility: lambdagate sends no
	// version header.
	HideVersionHeader bool `json:"hide_version_header"`
	// MaxPayload bounds every endpoint's request body, in bytes (default
	// endpoint.DefaultMaxBodyBytes, Lambda's 6 MiB); an endpoint's
	// proxy.max_payload overrides it. Larger bodies get 413.
	MaxPayload *int64 `json:"max_payload"`
	// ForwardedByClientIP takes the client's address from RemoteIPHeaders
	// when the peer is one of TrustedProxies (see internal/clientip): the
	// address rate limits count and X-Forwarded-For carries.
	ForwardedByClientIP bool `json:"forwarded_by_client_ip"`
	// RemoteIPHeaders are the headers read, in order (default
	// X-Forwarded-For, X-Real-IP).
	RemoteIPHeaders []string `json:"remote_ip_headers"`
	// TrustedProxies are the addresses and CIDR ranges whose headers are
	// believed.
	TrustedProxies []string `json:"trusted_proxies"`

	// AutoOptions answers OPTIONS on every path that has no OPTIONS
	// endpoint: 200 with an Allow header listing its methods.
	AutoOptions bool `json:"auto_options"`
	// DisablePathDecoding lets URL-encoded path parameters through, decoded
	// once, instead of answering 400.
	DisablePathDecoding bool `json:"disable_path_decoding"`
	// ErrorBody holds the JSON bodies of the router's 404 and 405 answers,
	// under "404" and "405".
	ErrorBody map[string]json.RawMessage `json:"error_body"`
	// LoggerSkipPaths are request paths whose access-log line is not
	// written.
	LoggerSkipPaths []string `json:"logger_skip_paths"`
	// RemoveExtraSlash matches paths with empty, . or .. segments as their
	// cleaned form.
	RemoveExtraSlash bool `json:"remove_extra_slash"`

	// Accepted, not implemented: warned about when set (schema:"warned"
	// marks a member decoded only to be ignored with a warning).
	MaxMultipartMemory     json.RawMessage `json:"max_multipart_memory" schema:"warned"`
	AppEngine              json.RawMessage `json:"app_engine" schema:"warned"`
	UseH2C                 json.RawMessage `json:"use_h2c" schema:"warned"`
	DisableGinLoggerColors json.RawMessage `json:"disable_gin_logger_colors" schema:"warned"`
	// DisableGzip turns off KrakenD Enterprise's gzip of responses, which
	// lambdagate never does: nothing to turn off.
	DisableGzip json.RawMessage `json:"disable_gzip" schema:"warned"`
	// DecompressGzip (KrakenD Enterprise) decompresses gzip request bodies
	// before the backends get them: refused, since ignoring it would
	// change what the backends receive.
	DecompressGzip json.RawMessage `json:"decompress_gzip" schema:"refused"`
}

// RouterNamespace is the extra_config key of RouterOptions.
const RouterNamespace = "router"

func decodeRouterOptions(x *config.ExtraConfig) (RouterOptions, []string, error) {
	var o RouterOptions
	if _, err := x.Decode(RouterNamespace, &o); err != nil {
		return o, nil, err
	}
	var warns []string
	path := config.Join(x.Path, RouterNamespace)
	for name, v := range map[string]json.RawMessage{
		"max_multipart_memory": o.MaxMultipartMemory,
		"app_engine":           o.AppEngine, "use_h2c": o.UseH2C,
		"disable_gin_logger_colors": o.DisableGinLoggerColors,
	} {
		if v != nil {
			warns = append(warns, fmt.Sprintf("%s: not supported by lambdagate, ignored", config.Join(path, name)))
		}
	}
	if o.DisableGzip != nil {
		warns = append(warns, fmt.Sprintf("%s: ignored: lambdagate never compresses responses", config.Join(path, "disable_gzip")))
	}
	var errs config.Errors
	if o.DecompressGzip != nil {
		errs.Add(config.Join(path, "decompress_gzip"), "is not supported by lambdagate yet; remove it (ignoring it would change what the backends receive)")
	}
	if o.HealthPath != "" && o.HealthPath[0] != '/' {
		errs.Add(config.Join(path, "health_path"), "%q must start with /", o.HealthPath)
	}
	if o.MaxPayload != nil && *o.MaxPayload <= 0 {
		errs.Add(config.Join(path, "max_payload"), "must be a number of bytes above zero, got %d", *o.MaxPayload)
	}
	for k, v := range o.ErrorBody {
		at := config.Join(config.Join(path, "error_body"), k)
		if k != "404" && k != "405" {
			errs.Add(at, "is not a status the router answers: use \"404\" or \"405\"")
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			errs.Add(at, "is not JSON: %v", err)
			continue
		}
		o.ErrorBody[k] = buf.Bytes()
	}
	for i, p := range o.LoggerSkipPaths {
		if p == "" || p[0] != '/' {
			errs.Add(config.Join(path, "logger_skip_paths")+"["+strconv.Itoa(i)+"]", "%q must be a path starting with /", p)
		}
	}
	return o, warns, errs.Err()
}

// skipLogPaths is the set of logger_skip_paths; nil when empty.
func (o RouterOptions) skipLogPaths() map[string]bool {
	if len(o.LoggerSkipPaths) == 0 {
		return nil
	}
	m := make(map[string]bool, len(o.LoggerSkipPaths))
	for _, p := range o.LoggerSkipPaths {
		m[p] = true
	}
	return m
}

func (o RouterOptions) routerOptions() router.Options {
	return router.Options{
		DisableRedirectFixedPath:     o.DisableRedirectFixedPath,
		DisableRedirectTrailingSlash: o.DisableRedirectTrailingSlash,
		DisableMethodNotAllowed:      o.DisableHandleMethodNotAllowed,
		RemoveExtraSlash:             o.RemoveExtraSlash,
		DisablePathDecoding:          o.DisablePathDecoding,
		NotFoundBody:                 o.ErrorBody["404"],
		MethodNotAllowedBody:         o.ErrorBody["405"],
	}
}

// clientIP builds the resolver of the client's address from the options;
// path is the JSON path of the service's extra_config.
func (o RouterOptions) clientIP(path string) (*clientip.Resolver, []string, error) {
	return clientip.New(config.Join(path, RouterNamespace), clientip.Options{
		ForwardedByClientIP: o.ForwardedByClientIP,
		Headers:             o.RemoteIPHeaders,
		TrustedProxies:      o.TrustedProxies,
	})
}

func (o RouterOptions) healthPath() string {
	if o.HealthPath != "" {
		return o.HealthPath
	}
	return "/__health"
}

// ProxyOptions is an endpoint's "proxy" namespace.
type ProxyOptions struct {
	// Sequential calls the backends one after the other, so that a later
	// url_pattern may use {respN_field} from an earlier response.
	Sequential bool `json:"sequential"`
	// Static adds fixed data to the merged response, by strategy.
	Static *StaticOptions `json:"static"`
	// FlatmapFilter are the flatmap operations on the merged data.
	FlatmapFilter []FlatmapOp `json:"flatmap_filter"`
	// Flatmap is FlatmapFilter compiled (nil without one).
	Flatmap *proxy.Flatmap `json:"-"`
	// Combiner is a KrakenD feature lambdagate does not implement: refused,
	// since ignoring it would change responses.
	Combiner json.RawMessage `json:"combiner" schema:"refused"`
	// SequentialPropagatedParams are the fields of earlier responses
	// (respN_field, or respN for a whole payload) set as params
	// (RespN_field) of the requests of the later backends of a sequential
	// endpoint, for their CEL checks, Lua scripts and Lambda payloads
	// (config.Endpoint.Placeholders lists them).
	SequentialPropagatedParams []string `json:"sequential_propagated_params"`
	// DecompressGzip decompresses a request body whose Content-Encoding
	// starts with gzip before the backends get it (KrakenD Enterprise's
	// option), bounded by the endpoint's body limit.
	DecompressGzip bool `json:"decompress_gzip"`
	// MaxPayload bounds this endpoint's request body, in bytes, overriding
	// the service's router.max_payload.
	MaxPayload *int64 `json:"max_payload"`
}

// FlatmapOp is one operation of a proxy.flatmap_filter (endpoint or
// backend): its type (move, del) and its dot paths.
type FlatmapOp = backend.FlatmapOp

// StaticOptions is an endpoint's proxy.static: data added to the merged
// response when the strategy matches (see proxy.NewStaticStage).
type StaticOptions struct {
	// Data is the object whose keys are set in the response's data.
	Data map[string]any `json:"data"`
	// Strategy says when: always (the default), success, complete,
	// errored or incomplete.
	Strategy string `json:"strategy"`
}

// ProxyNamespace is the extra_config key of ProxyOptions.
const ProxyNamespace = "proxy"

func decodeProxyOptions(e *config.Endpoint) (ProxyOptions, error) {
	var o ProxyOptions
	if _, err := e.ExtraConfig.Decode(ProxyNamespace, &o); err != nil {
		return o, err
	}
	path := config.Join(e.ExtraConfig.Path, ProxyNamespace)
	var errs config.Errors
	if o.Static != nil {
		data, err := staticData(&e.ExtraConfig)
		switch {
		case err != nil:
			errs.Add(config.Join(config.Join(path, "static"), "data"), "%v", err)
		case data == nil:
			errs.Add(config.Join(config.Join(path, "static"), "data"), "is missing: give the object whose keys are added to the response, such as {\"source\": \"cache\"}")
		}
		o.Static.Data = data
		if _, err := proxy.NewStaticStage(nil, o.Static.Strategy); err != nil {
			errs.Add(config.Join(config.Join(path, "static"), "strategy"), "%v", err)
		}
	}
	if o.Combiner != nil {
		errs.Add(config.Join(path, "combiner"), "is not supported by lambdagate yet; remove it (ignoring it would change the responses)")
	}
	for i, name := range o.SequentialPropagatedParams {
		at := fmt.Sprintf("%s[%d]", config.Join(path, "sequential_propagated_params"), i)
		p, ok := config.ParsePropagatedParam(name)
		switch {
		case !ok:
			errs.Add(at, "%q is not a response field: write respN_field (a dot path in the data of backend N, such as resp0_user.id) or respN (its whole payload)", name)
		case p.Backend >= len(e.Backend):
			errs.Add(at, "%q reads backend %d, but the endpoint has %d backends (counted from 0)", name, p.Backend, len(e.Backend))
		}
	}
	if len(o.FlatmapFilter) > 0 {
		f, err := backend.CompileFlatmap(o.FlatmapFilter)
		if err != nil {
			errs.Add(config.Join(path, "flatmap_filter"), "%v", err)
		}
		o.Flatmap = f
	}
	if o.MaxPayload != nil && *o.MaxPayload <= 0 {
		errs.Add(config.Join(path, "max_payload"), "must be a number of bytes above zero, got %d", *o.MaxPayload)
	}
	return o, errs.Err()
}

// staticData reads proxy.static.data as written: its keys are the
// client's data, so keys that look like comments ("_id", "@type") are kept
// and numbers stay as written.
func staticData(x *config.ExtraConfig) (map[string]any, error) {
	raw, _ := x.Raw(ProxyNamespace)
	var ns struct {
		Static struct {
			Data json.RawMessage `json:"data"`
		} `json:"static"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil || len(ns.Static.Data) == 0 {
		return nil, nil
	}
	if b := bytes.TrimSpace(ns.Static.Data); len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("must be a JSON object")
	}
	data, err := proxy.DecodeSafeJSON(ns.Static.Data)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// maxBodyBytes is an endpoint's request body limit: its proxy.max_payload,
// else the service's router.max_payload, else 0 (the endpoint package's
// default).
func maxBodyBytes(r RouterOptions, p ProxyOptions) int64 {
	switch {
	case p.MaxPayload != nil:
		return *p.MaxPayload
	case r.MaxPayload != nil:
		return *r.MaxPayload
	}
	return 0
}

// ServerOptions is the service's "lambdagate/server" namespace: how
// clients are served. It is lambdagate's own; KrakenD has no equivalent.
type ServerOptions struct {
	// Engine serves plain HTTP/1.1: EngineFast (the default) or
	// EngineNetHTTP. With TLS, net/http always serves (HTTP/2 and
	// HTTP/1.1).
	Engine string `json:"engine"`
	// BackendRequestID sends the request's id (the access log's
	// request_id, also returned to the client as X-Request-Id) to every
	// backend as X-Request-Id. Off by default: backends receive exactly
	// what KrakenD sends them.
	BackendRequestID bool `json:"backend_request_id"`
}

// Engines that serve plain HTTP/1.1.
const (
	// EngineFast is package fastserver: fasthttp's server with net/http
	// handlers, for the lowest cost per request.
	EngineFast = "fasthttp"
	// EngineNetHTTP is net/http's server: a request's context ends when
	// its client goes away, and header blocks are not limited by a
	// per-connection buffer.
	EngineNetHTTP = "net/http"
)

// ServerNamespace is the extra_config key of ServerOptions.
const ServerNamespace = "lambdagate/server"

func decodeServerOptions(x *config.ExtraConfig) (ServerOptions, error) {
	o := ServerOptions{Engine: EngineFast}
	if _, err := x.Decode(ServerNamespace, &o); err != nil {
		return o, err
	}
	var errs config.Errors
	if o.Engine != EngineFast && o.Engine != EngineNetHTTP {
		errs.Add(config.Join(config.Join(x.Path, ServerNamespace), "engine"),
			"%q is not an engine: use %q (the default) or %q", o.Engine, EngineFast, EngineNetHTTP)
	}
	return o, errs.Err()
}
