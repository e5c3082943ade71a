// Package backend builds the whole pipeline of one backend: its transport
// (chosen among the registered kinds: HTTP, Lambda, ...), then decoding by
// the backend's encoding, shaping (target, allow/deny, mapping, group) and
// the error options of the "backend/http" namespace (return_error_code,
// return_error_details), which apply to every kind of backend.
//
// A new kind of backend is a Factory added to the list the gateway passes
// to Build: nothing else changes. This package must not know any kind.
package backend

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// Spec is what a Factory is given to build one backend's transport.
type Spec struct {
	// Service is the whole configuration.
	Service *config.Service
	// Endpoint is the endpoint the backend belongs to.
	Endpoint *config.Endpoint
	// Backend is the backend to build. Its JSONPath prefixes every error.
	Backend *config.Backend
	// Logger is the gateway's logger.
	Logger *slog.Logger
	// LocalLambdaURL, when set, is the Invoke endpoint of the in-process
	// local Lambda runtime: Lambda backends without an explicit endpoint
	// use it and need no AWS credentials or region.
	LocalLambdaURL string
	// HTTPClient is the shared client for HTTP calls, tuned from the
	// service's settings.
	HTTPClient *http.Client
	// PassThrough says the backend's JSON object replies may reach the
	// client as they came, undecoded (Response.Raw): the backend is its
	// endpoint's only one, nothing shapes its data and the endpoint writes
	// JSON. Transports that decode replies themselves honour it too.
	PassThrough bool
	// Warn records a start-up warning about this backend (an option that
	// works but is risky, say); `lambdagate check` prints it and `run`
	// logs it. Nil means warnings are dropped.
	Warn func(msg string)
	// Sequential is true when the endpoint calls its backends one after
	// the other (extra_config.proxy.sequential), so that a backend may use
	// an earlier one's response in its url_pattern.
	Sequential bool
	// Telemetry instruments the backend's calls (nil: not instrumented).
	// A transport may create its own instruments with Telemetry.Meter()
	// and add attributes to the call's span, found in the context it gets.
	Telemetry *telemetry.Telemetry
}

// Factory builds the transport of the backends it claims. It returns
// ok=false, and nothing else, for a backend that is not its kind.
//
// The transport it returns either fills Response.Body with the raw reply
// (decoded afterwards by the backend's encoding) or fills Response.Data
// itself and leaves Body nil. A reply whose status is not a success is
// returned as a *proxy.BackendError.
type Factory func(spec Spec) (transport proxy.Proxy, ok bool, err error)

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

// Build returns the pipeline of spec's backend: the transport of the first
// factory that claims it, then decoding, shaping and error options. Its
// telemetry reports the backend's kind as "" (see BuildKinds).
func Build(spec Spec, factories []Factory) (proxy.Proxy, error) {
	return BuildKinds(spec, Unnamed(factories))
}

// BuildKinds is Build with named kinds: the pipeline of spec's backend,
// built by the first kind whose factory claims it, instrumented under that
// kind's name and target, and naming the backend in its errors
// (proxy.BackendFailure) for the access log.
func BuildKinds(spec Spec, kinds []Kind) (proxy.Proxy, error) {
	b := spec.Backend
	var opts ErrorOptions
	var errs config.Errors
	if _, err := b.ExtraConfig.Decode(Namespace, &opts); err != nil {
		errs.Append(b.JSONPath, err)
	}
	var (
		transport proxy.Proxy
		kind      Kind
	)
	for _, k := range kinds {
		t, ok, err := k.Factory(spec)
		if !ok {
			continue
		}
		if err != nil {
			errs.Append(b.JSONPath, err)
		}
		transport, kind = t, k
		break
	}
	if transport == nil && len(errs) == 0 {
		errs.Add(b.JSONPath, "no backend kind can serve this backend")
	}
	decode, err := proxy.DecoderFor(b.Encoding, b.IsCollection)
	if err != nil {
		errs.Add(config.Join(b.JSONPath, "encoding"), "%v", err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	p := proxy.NewDecodeStage(decode, spec.PassThrough)(transport)
	p = proxy.NewShapeStage(proxy.Shape{
		Target:  b.Target,
		Allow:   b.Allow,
		Deny:    b.Deny,
		Mapping: b.Mapping,
		Group:   b.Group,
	})(p)
	p = withErrorOptions(p, opts)
	if mw := spec.Telemetry.Backend(telemetryOf(spec, kind)); mw != nil {
		p = mw(p)
	}
	return named(p, b.JSONPath), nil
}

// telemetryOf describes spec's backend, of kind k, for its instruments.
func telemetryOf(spec Spec, k Kind) telemetry.Backend {
	target := k.Target
	if target == nil {
		target = HostTarget
	}
	return telemetry.Backend{Kind: k.Name, Target: target(spec), Name: spec.Backend.JSONPath}
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
