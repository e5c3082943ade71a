package authorizer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

// fakeInvoker answers invocations with reply and records their events.
type fakeInvoker struct {
	reply func(ctx context.Context, event map[string]any) (*lambdainvoke.Result, error)

	mu     sync.Mutex
	events []map[string]any
}

func (f *fakeInvoker) Invoke(ctx context.Context, in *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	var ev map[string]any
	if err := json.Unmarshal(in.Payload, &ev); err != nil {
		panic(err)
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	return f.reply(ctx, ev)
}

// calls returns the number of invocations so far.
func (f *fakeInvoker) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

// last returns the last event.
func (f *fakeInvoker) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events[len(f.events)-1]
}

// answering is a reply with a fixed result.
func answering(payload string) func(context.Context, map[string]any) (*lambdainvoke.Result, error) {
	return func(context.Context, map[string]any) (*lambdainvoke.Result, error) {
		return &lambdainvoke.Result{StatusCode: 200, Payload: []byte(payload)}, nil
	}
}

// allowAnswer is an IAM policy answer allowing resource.
func allowAnswer(resource string) string {
	return `{"principalId": "user-1", "policyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "` + resource + `"}]}, "context": {"tenant": "acme", "level": 3, "admin": false}}`
}

// testEndpoint parses a gateway file of one endpoint and returns it.
func testEndpoint(t testing.TB, endpoint string) *config.Endpoint {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [` + endpoint + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s.Endpoints[0]
}

// testAuthorizer builds the authorizer of an endpoint's options around
// inv, region us-east-1.
func testAuthorizer(t testing.TB, e *config.Endpoint, opts string, inv lambdainvoke.Invoker) *Authorizer {
	t.Helper()
	var o Options
	if err := config.DecodeNamespace("o", []byte(opts), &o); err != nil {
		t.Fatal(err)
	}
	s, errs := o.resolve("o")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return newAuthorizer(s, inv, "us-east-1", e, Deps{})
}

// seen is what the wrapped handler received.
type seen struct {
	header     http.Header
	authorizer *proxy.AuthorizerResult
}

// serve sends one request through a.Wrap and returns the status and what
// the next handler saw (nil when it did not run).
func serve(a *Authorizer, r *http.Request, params ...string) (int, *seen) {
	var got *seen
	h := a.Wrap(func(w http.ResponseWriter, r *http.Request, _ []string) {
		got = &seen{header: r.Header.Clone(), authorizer: proxy.AuthorizerFrom(r.Context())}
		w.WriteHeader(http.StatusOK)
	})
	w := httptest.NewRecorder()
	h(w, r, params)
	return w.Code, got
}

func decodeOptions(src string, o *Options) error {
	return config.DecodeNamespace("o", []byte(src), o)
}

// equalJSON compares two values as JSON.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
