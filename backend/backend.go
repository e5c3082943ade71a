// Package backend builds the whole pipeline of one backend: the request
// filter (the backend's input_headers and input_query_strings), its
// transport (built by the first Kind that claims it: Lambda, HTTP, ...),
// the decoding of its reply by the backend's encoding, shaping (target,
// allow/deny, mapping, group), the error options of the "backend/http"
// namespace (return_error_code, return_error_details), its circuit breaker
// (qos/circuitbreaker), its rate limit (qos/ratelimit/proxy), its CEL
// checks (validation/cel), its Lua modifier (modifier/lua-backend), and its
// telemetry. Every stage but the transport applies to every kind alike.
//
// A new kind of backend is a Kind in the list the gateway builds: nothing
// else changes. This package must not know any kind.
package backend

import (
	"context"
	"errors"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/ratelimit"
	"github.com/lambdagate/lambdagate/modifier/lua"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/qos/circuitbreaker"
	"github.com/lambdagate/lambdagate/telemetry"
	"github.com/lambdagate/lambdagate/validation/cel"
)

// ErrorOptions is the "backend/http" namespace: what the client learns of a
// failed backend.
type ErrorOptions struct {
	// ReturnErrorCode relays the backend's status and body when the
	// endpoint has nothing else to answer.
	ReturnErrorCode bool `json:"return_error_code"`
	// ReturnErrorDetails, when set, puts the failed backend's status, body
	// and content type under "error_<name>" in the data.
	ReturnErrorDetails string `json:"return_error_details"`
}

// Namespace is the extra_config key of ErrorOptions.
const Namespace = "backend/http"

// ProxyNamespace is the backend's "proxy" namespace: its flatmap_filter,
// shadow and shadow_timeout.
const ProxyNamespace = "proxy"

// FlatmapOp is one operation of a flatmap_filter, as the file writes it.
type FlatmapOp struct {
	// Type is move or del.
	Type string `json:"type"`
	// Args are the operation's dot paths.
	Args []string `json:"args"`
}

// CompileFlatmap compiles a flatmap_filter's operations.
func CompileFlatmap(ops []FlatmapOp) (*proxy.Flatmap, error) {
	pops := make([]proxy.FlatmapOp, len(ops))
	for i, op := range ops {
		pops[i] = proxy.FlatmapOp{Type: op.Type, Args: op.Args}
	}
	return proxy.CompileFlatmap(pops)
}

// proxyOptions is a backend's proxy namespace.
type proxyOptions struct {
	// FlatmapFilter are the flatmap operations on the backend's data.
	FlatmapFilter []FlatmapOp `json:"flatmap_filter"`
	// Shadow makes the backend a shadow: it gets a copy of the request,
	// its answer is dropped.
	Shadow bool `json:"shadow"`
	// ShadowTimeout bounds a shadow's call (Lura reads it; the endpoint's
	// timeout by default).
	ShadowTimeout string `json:"shadow_timeout"`
}

// Shadow reports whether b is a shadow backend (extra_config.proxy.shadow:
// true, as in KrakenD: called with a copy of the request, its answer
// ignored) and how long its call may take: its shadow_timeout, else
// endpointTimeout, as in Lura.
func Shadow(b *config.Backend, endpointTimeout time.Duration) (bool, time.Duration, error) {
	var o proxyOptions
	found, err := b.ExtraConfig.Decode(ProxyNamespace, &o)
	if !found || err != nil || !o.Shadow {
		return false, 0, err
	}
	if o.ShadowTimeout == "" {
		return true, endpointTimeout, nil
	}
	d, err := time.ParseDuration(o.ShadowTimeout)
	if err != nil || d <= 0 {
		var errs config.Errors
		errs.Add(config.Join(config.Join(b.ExtraConfig.Path, ProxyNamespace), "shadow_timeout"), "must be a duration above zero, such as \"500ms\", got %q", o.ShadowTimeout)
		return true, 0, errs.Err()
	}
	return true, d, nil
}

// backendFlatmap reads a backend's proxy.flatmap_filter: nil without one.
func backendFlatmap(b *config.Backend) (*proxy.Flatmap, error) {
	var o proxyOptions
	found, err := b.ExtraConfig.Decode(ProxyNamespace, &o)
	if !found || err != nil {
		return nil, err
	}
	path := config.Join(b.ExtraConfig.Path, ProxyNamespace)
	var errs config.Errors
	var f *proxy.Flatmap
	if len(o.FlatmapFilter) > 0 {
		if f, err = CompileFlatmap(o.FlatmapFilter); err != nil {
			errs.Add(config.Join(path, "flatmap_filter"), "%v", err)
		}
	}
	return f, errs.Err()
}

// Build returns the pipeline of spec's backend: the request filter, the
// transport of the first kind that claims it, decoding, shaping and error
// options, guarded by the backend's circuit breaker (which so counts a
// reply that fails to decode as a failure) and, around it, its rate limit
// (a call the limit refuses is neither sent nor counted by the breaker),
// instrumented with tel under the kind's name and the backend's target,
// and naming the backend in its errors (proxy.BackendFailure) for the
// access log.
func Build(spec Spec, kinds []Kind, tel *telemetry.Telemetry) (proxy.Proxy, error) {
	b := spec.Backend
	var opts ErrorOptions
	var errs config.Errors
	if _, err := b.ExtraConfig.Decode(Namespace, &opts); err != nil {
		errs.Append(b.JSONPath, err)
	}
	var (
		t    Transport
		kind Kind
	)
	for _, k := range kinds {
		if !k.Claims(b) {
			continue
		}
		kind = k
		var err error
		if t, err = k.Build(spec); err != nil {
			errs.Append(b.JSONPath, err)
		}
		break
	}
	if kind == nil {
		errs.Add(b.JSONPath, "no backend kind can serve this backend")
	}
	decode, err := proxy.NewDecodeStage(proxy.Decoding{
		Encoding:     b.Encoding,
		IsCollection: b.IsCollection,
		PassThrough:  !spec.EndpointData && passThrough(spec.Endpoint, b) && !b.ExtraConfig.Has(ProxyNamespace),
		Replies:      t.Replies,
	})
	if err != nil {
		errs.Add(config.Join(b.JSONPath, "encoding"), "%v", err)
	}
	flatmap, err := backendFlatmap(b)
	errs.Append(b.JSONPath, err)
	breaker, err := circuitbreaker.New(b, spec.Logger, tel)
	errs.Append(b.JSONPath, err)
	limit, err := ratelimit.NewBackend(b)
	errs.Append(b.JSONPath, err)
	checks, err := cel.Decode(&b.ExtraConfig)
	errs.Append(b.JSONPath, err)
	if checks != nil && len(checks.JWT) > 0 {
		errs.Add(checks.JWT[0].Path, "reads JWT on a backend: token checks run on endpoints with auth/validator only (as in KrakenD); move it to the endpoint's %q", cel.Namespace)
	}
	var script *lua.Script
	if o, path, err := lua.Decode(&b.ExtraConfig, lua.BackendNamespace, lua.LegacyBackendNamespace); err != nil {
		errs.Append(b.JSONPath, err)
	} else if o != nil {
		script, err = lua.New(o, lua.Spec{Path: path, ParamNames: paramNames(spec.Endpoint), NoOp: b.Encoding == proxy.EncodingNoOp, Logger: spec.Logger, URL: scriptURL(t.URL, b), Client: spec.HTTPClient, UserAgent: spec.UserAgent})
		errs.Append(b.JSONPath, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	p := t.Call
	if filter := newRequestFilter(b.InputHeaders, b.InputQueryStrings); filter != nil {
		p = filter(p)
	}
	p = decode(p)
	if flatmap != nil {
		// As in KrakenD, a flatmap_filter replaces allow, deny and
		// mapping: target, then the operations, then group.
		p = proxy.NewShapeStage(proxy.Shape{Target: b.Target})(p)
		p = proxy.NewFlatmapStage(flatmap)(p)
		p = proxy.NewShapeStage(proxy.Shape{Group: b.Group})(p)
	} else {
		p = proxy.NewShapeStage(proxy.Shape{
			Target:  b.Target,
			Allow:   b.Allow,
			Deny:    b.Deny,
			Mapping: b.Mapping,
			Group:   b.Group,
		})(p)
	}
	p = withErrorOptions(p, opts)
	if breaker != nil {
		p = breaker(p)
	}
	// The rate limit runs before the breaker, as in KrakenD: a call it
	// refuses is never sent, and is no failure of the backend's.
	if limit != nil {
		p = limit(p)
	}
	// The CEL checks, around the rate limit as in KrakenD: a refused
	// request is not sent, a refused response fails the backend.
	if mw := checks.Middleware(paramNames(spec.Endpoint), spec.Logger); mw != nil {
		p = mw(p)
	}
	// The Lua modifier, around the CEL checks as in KrakenD.
	if script != nil {
		p = script.Middleware()(p)
	}
	target := t.Target
	if target == "" {
		target = HostTarget(b)
	}
	if mw := tel.Backend(telemetry.Backend{Kind: kind.Name(), Target: target, Name: b.JSONPath}); mw != nil {
		p = mw(p)
	}
	return named(p, b.JSONPath), nil
}

// passThrough decides whether a backend's JSON object replies may reach the
// client undecoded: it must be its endpoint's only backend, with nothing to
// shape, decoded as JSON, on an endpoint that writes JSON. Anything else
// needs the data decoded.
func passThrough(e *config.Endpoint, b *config.Backend) bool {
	return e != nil && len(e.Backend) == 1 && !readsData(e, b) &&
		e.OutputEncoding == "json" &&
		(b.Encoding == proxy.EncodingJSON || b.Encoding == proxy.EncodingSafeJSON) &&
		!b.IsCollection &&
		b.Target == "" && len(b.Allow) == 0 && len(b.Deny) == 0 && len(b.Mapping) == 0 && b.Group == ""
}

// readsData reports whether a programmable layer (validation/cel, the Lua
// modifiers) of the endpoint or the backend may read the response's data,
// which then must be decoded.
func readsData(e *config.Endpoint, b *config.Backend) bool {
	for _, ns := range []string{cel.Namespace, cel.LegacyNamespace, lua.ProxyNamespace, lua.LegacyProxyNamespace} {
		if e.ExtraConfig.Has(ns) {
			return true
		}
	}
	for _, ns := range []string{cel.Namespace, cel.LegacyNamespace, lua.BackendNamespace, lua.LegacyBackendNamespace} {
		if b.ExtraConfig.Has(ns) {
			return true
		}
	}
	return false
}

// paramNames returns req_params' names for e's requests, none without e.
func paramNames(e *config.Endpoint) []string {
	if e == nil {
		return nil
	}
	return cel.ParamNames(e)
}

// scriptURL is what request:url() reads in b's Lua script: the URL the
// transport calls, after the backend's input_headers and
// input_query_strings (which run behind the script); nil for a transport
// without URLs.
func scriptURL(u func(*proxy.Request) (string, error), b *config.Backend) func(*proxy.Request) (string, error) {
	narrow := newNarrower(b.InputHeaders, b.InputQueryStrings)
	if u == nil || narrow == nil {
		return u
	}
	return func(req *proxy.Request) (string, error) { return u(narrow(req)) }
}

// named wraps the errors of next in a proxy.BackendFailure naming the
// backend. Only the error path pays.
func named(next proxy.Proxy, name string) proxy.Proxy {
	return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
		resp, err := next(ctx, req)
		if err != nil {
			err = &proxy.BackendFailure{Backend: name, Err: err}
		}
		return resp, err
	}
}

// withErrorOptions applies return_error_code and return_error_details to
// the BackendErrors of next.
func withErrorOptions(next proxy.Proxy, opts ErrorOptions) proxy.Proxy {
	if !opts.ReturnErrorCode && opts.ReturnErrorDetails == "" {
		return next
	}
	key := "error_" + opts.ReturnErrorDetails
	return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
		resp, err := next(ctx, req)
		if err == nil {
			return resp, nil
		}
		var be *proxy.BackendError
		if !errors.As(err, &be) {
			return resp, err
		}
		if opts.ReturnErrorCode {
			be.Relay = true
		}
		if opts.ReturnErrorDetails != "" {
			details := map[string]any{
				"http_status_code":   be.StatusCode,
				"http_body":          string(be.Body),
				"http_body_encoding": be.ContentType,
			}
			if resp == nil {
				resp = &proxy.Response{}
			}
			if resp.Data == nil {
				resp.Data = map[string]any{}
			}
			resp.Data[key] = details
			resp.IsComplete = false
		}
		return resp, err
	}
}
