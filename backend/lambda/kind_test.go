package lambda

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// build builds g's whole backend pipeline (request filter, transport,
// decoding, shaping, error options) with a Lambda kind of its own.
func build(t testing.TB, g gatewayConfig, hooks *factoryHooks) (proxy.Proxy, error) {
	t.Helper()
	svc, _, err := config.Parse([]byte(g.json()))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, g.json())
	}
	if hooks == nil {
		hooks = &factoryHooks{backoff: invoketest.FastBackoff}
	}
	k := newKind(backend.Deps{Service: svc, Logger: slog.New(slog.DiscardHandler)}, "", hooks)
	t.Cleanup(k.Close)
	ep := svc.Endpoints[0]
	p, err := backend.Build(backend.Spec{Endpoint: ep, Backend: ep.Backend[0]}, []backend.Kind{k}, nil)
	if err != nil || ep.Backend[0].Encoding == proxy.EncodingNoOp {
		return p, err
	}
	return withData(p), nil
}

// withData decodes the bytes a pass-through reply keeps (Response.Raw)
// into Data, so that tests read every decoded reply the same way.
func withData(next proxy.Proxy) proxy.Proxy {
	return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
		resp, err := next(ctx, req)
		if resp != nil && resp.Raw != nil {
			dec, derr := proxy.NewDecodeStage(proxy.Decoding{Encoding: proxy.EncodingJSON})
			if derr != nil {
				return nil, derr
			}
			return dec(func(context.Context, *proxy.Request) (*proxy.Response, error) { return resp, err })(ctx, req)
		}
		return resp, err
	}
}

// testSpec is one backend to build in tests, with what its kind is built
// with.
type testSpec struct {
	backend.Spec
	Logger         *slog.Logger
	LocalLambdaURL string
	Telemetry      *telemetry.Telemetry
	Warn           func(string)
	// Redis are the service's Redis pools (nil: none).
	Redis backend.RedisPools
}

// specOf is the testSpec of svc's first backend; logs, when set, receives
// the logger's text output.
func specOf(svc *config.Service, logs io.Writer, localURL string) testSpec {
	if logs == nil {
		logs = io.Discard
	}
	ep := svc.Endpoints[0]
	return testSpec{
		Spec:           backend.Spec{Endpoint: ep, Backend: ep.Backend[0]},
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LocalLambdaURL: localURL,
	}
}

// buildOne builds ts's transport and its decoding with a Lambda kind of
// its own; ok says whether the kind claims the backend.
func buildOne(ts testSpec) (proxy.Proxy, bool, error) { return builder(nil)(ts) }

// builder is buildOne with hooks.
func builder(hooks *factoryHooks) func(testSpec) (proxy.Proxy, bool, error) {
	return func(ts testSpec) (proxy.Proxy, bool, error) {
		k := newKind(backend.Deps{Logger: ts.Logger, Telemetry: ts.Telemetry, Warn: ts.Warn, Redis: ts.Redis}, ts.LocalLambdaURL, hooks)
		if !k.Claims(ts.Backend) {
			return nil, false, nil
		}
		tr, err := k.Build(ts.Spec)
		if err != nil {
			return nil, true, err
		}
		k.Started() // as the gateway does once every backend is built
		decode, err := proxy.NewDecodeStage(proxy.Decoding{Encoding: ts.Backend.Encoding, Replies: tr.Replies})
		if err != nil {
			return nil, true, err
		}
		return decode(tr.Call), true, nil
	}
}

// replyBytes is the reply's bytes of a no-op backend's response.
func replyBytes(t *testing.T, resp *proxy.Response) []byte {
	t.Helper()
	if resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return resp.Raw
}
