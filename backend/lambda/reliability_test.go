package lambda

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

// TestKrakendBodyMustBeJSON: with the krakend payload format the body is
// the event itself, so a body that is not JSON gets 400 without invoking
// (Lambda would answer InvalidRequestContentException after a paid round
// trip). The API Gateway formats wrap any body, so they still invoke.
func TestKrakendBodyMustBeJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, format, body string
		wantStatus         int // 0: invoked, answered 200
	}{
		{"text", "", "name=ann", http.StatusBadRequest},
		{"truncated JSON", "", `{"a": 1`, http.StatusBadRequest},
		{"blank", "", "  \n", http.StatusBadRequest},
		{"invalid UTF-8 in a string", "", "\"\xff\"", http.StatusBadRequest},
		{"object", "", `{"a": 1}`, 0},
		{"array", "", `[1, 2]`, 0},
		{"empty body", "", ``, 0},
		{"apigateway_v1 wraps text", "apigateway_v1", "name=ann", 0},
		{"apigateway_v2 wraps binary", "apigateway_v2", "\xff\x00", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, invoketest.JSON(`{"ok":true}`))
			format := ""
			if tc.format != "" {
				format = `, "payload_format": "` + tc.format + `", "response_format": "krakend"`
			}
			p := mustBuild(t, gatewayConfig{method: "POST", lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"` + format + `}`})
			req := getReq(nil)
			req.Method, req.Body = "POST", []byte(tc.body)
			_, err := p(ctxT(t), req)
			if tc.wantStatus == 0 {
				if err != nil || f.Requests() != 1 {
					t.Fatalf("err %v, attempts %d; want invoked once", err, f.Requests())
				}
				return
			}
			if got := proxy.StatusFor(err); got != tc.wantStatus || f.Requests() != 0 {
				t.Fatalf("status %d (%v), attempts %d; want %d without invoking", got, err, f.Requests(), tc.wantStatus)
			}
		})
	}
}

// recordingInvoker records the names it is asked to invoke.
type recordingInvoker struct {
	mu    sync.Mutex
	names []string
}

func (r *recordingInvoker) Invoke(_ context.Context, in *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	r.mu.Lock()
	r.names = append(r.names, in.FunctionName)
	r.mu.Unlock()
	return &lambdainvoke.Result{StatusCode: 200, Payload: []byte(`{}`)}, nil
}

func (r *recordingInvoker) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.names
	r.names = nil
	return n
}

// FuzzFunctionName drives any path value through a backend whose function
// comes from the path with allowed_functions ["orders-*", "users"]: a name
// that is invoked is one of those (checked without the code under test),
// holds only name characters, and reaches the invoker unchanged.
func FuzzFunctionName(f *testing.F) {
	for _, s := range invoketest.FunctionNames {
		f.Add(s)
	}
	rec := &recordingInvoker{}
	var (
		once sync.Once
		p    proxy.Proxy
	)
	f.Fuzz(func(t *testing.T, name string) {
		once.Do(func() {
			var err error
			p, err = build(t, gatewayConfig{endpoint: "/fn/{function}",
				lambda: `{"function_param_name": "function", "allowed_functions": ["orders-*", "users"], "endpoint": "http://127.0.0.1:1"}`},
				&factoryHooks{invoker: rec})
			if err != nil {
				t.Fatal(err)
			}
		})
		_, err := p(context.Background(), getReq(map[string]string{"function": name}))
		got := rec.take()
		if len(got) == 0 {
			if proxy.StatusFor(err) != http.StatusNotFound {
				t.Fatalf("%q refused with status %d (%v), want 404", name, proxy.StatusFor(err), err)
			}
			return
		}
		if err != nil || len(got) != 1 || got[0] != name {
			t.Fatalf("%q: invoked %q, err %v", name, got, err)
		}
		base, _, _ := strings.Cut(name, ":")
		if base != "users" && !strings.HasPrefix(base, "orders-") {
			t.Fatalf("%q invoked, outside allowed_functions", name)
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':' || c == '$') {
				t.Fatalf("%q invoked, holds %q", name, c)
			}
		}
		// Such a name is one segment of the Invoke URL: internal/lambdainvoke's
		// FuzzInvokePath.
	})
}

// FuzzRespond: whatever a function returns, with or without a function
// error, in every response mode, the result step and the decoding stage
// answer data, bytes or an error with a client status, and never panic; a
// function error is never success data.
func FuzzRespond(f *testing.F) {
	f.Add([]byte(`{"a":1}`), "", uint8(0))
	f.Add([]byte(`{"statusCode":201,"body":"{\"x\":1}"}`), "", uint8(1))
	f.Add([]byte(`{"errorMessage":"boom","errorType":"E"}`), "Unhandled", uint8(2))
	f.Add([]byte(`[1,2`), "", uint8(3))
	f.Add([]byte("\xff"), "Handled", uint8(7))
	f.Fuzz(func(t *testing.T, payload []byte, fnErr string, mode uint8) {
		r := results{
			invocationType: InvocationRequestResponse,
			unwrap:         mode&1 != 0,
			relayAnyStatus: mode&2 != 0,
		}
		encoding := proxy.EncodingJSON
		switch {
		case r.relayAnyStatus:
			encoding = proxy.EncodingNoOp
		case mode&4 != 0:
			encoding = proxy.EncodingString
		}
		decode, err := proxy.NewDecodeStage(proxy.Decoding{Encoding: encoding, Replies: replyRules})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := decode(func(context.Context, *proxy.Request) (*proxy.Response, error) {
			return r.response(&lambdainvoke.Result{StatusCode: 200, Payload: payload, FunctionError: fnErr}, "fn")
		})(context.Background(), &proxy.Request{})
		switch {
		case fnErr != "":
			if err == nil || resp != nil || proxy.StatusFor(err) != http.StatusBadGateway {
				t.Fatalf("function error %q answered %v, %v", fnErr, resp, err)
			}
		case err != nil:
			if resp != nil {
				t.Fatalf("both a response and an error: %v", err)
			}
			if s := proxy.StatusFor(err); s < 400 || s > 599 {
				t.Fatalf("error status %d", s)
			}
		case resp == nil:
			t.Fatal("no response and no error")
		case resp.Body == nil && resp.Raw == nil && resp.Data == nil:
			t.Fatal("a response with neither data nor body")
		}
	})
}
