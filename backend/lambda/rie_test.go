package lambda

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/rietest"

	"github.com/lambdagate/lambdagate/proxy"
)

// startRIE serves testdata/rielambda through the emulator.
func startRIE(t *testing.T) string {
	t.Helper()
	return rietest.Start(t, "./testdata/rielambda")
}

// TestRuntimeInterfaceEmulator invokes a real aws-lambda-go function
// through the emulator's Invoke API. The emulator takes one invocation at
// a time, so the steps run in order.
func TestRuntimeInterfaceEmulator(t *testing.T) {
	url := startRIE(t)
	ctx := func() context.Context {
		c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t.Cleanup(cancel)
		return c
	}

	t.Run("krakend GET payload", func(t *testing.T) {
		p := mustBuild(t, gatewayConfig{endpoint: "/call-a-lambda/{lambda}", lambda: `{"function_param_name": "Lambda", "allowed_functions": ["function"], "endpoint": "` + url + `"}`})
		req := getReq(map[string]string{"lambda": "function"})
		req.Query = map[string][]string{"q": {"1"}}
		resp, err := p(ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := resp.Data["event"].(map[string]any)
		if resp.Data["fn"] != "rielambda" || ev["lambda"] != "function" || ev["q"] != "1" {
			t.Fatalf("data %v", resp.Data)
		}
	})

	t.Run("POST body", func(t *testing.T) {
		p := mustBuild(t, gatewayConfig{method: "POST", lambda: `{"function_name": "function", "max_retries": 1, "endpoint": "` + url + `"}`})
		req := getReq(nil)
		req.Method, req.Body = "POST", []byte(`{"n": 1.50}`)
		resp, err := p(ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonString(resp.Data["event"]); got != `{"n":1.50}` {
			t.Fatalf("event %s", got)
		}
	})

	t.Run("apigateway_v2 unwrapped", func(t *testing.T) {
		p := mustBuild(t, gatewayConfig{endpoint: "/users/{id}", lambda: `{"function_name": "function", "payload_format": "apigateway_v2", "endpoint": "` + url + `"}`})
		req := getReq(map[string]string{"id": "42"})
		req.Path = "/users/42"
		resp, err := p(ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		params, _ := resp.Data["params"].(map[string]any)
		if resp.Metadata.StatusCode != 201 || resp.Metadata.Headers.Get("X-Fn") != "rielambda" || resp.Metadata.Headers.Get("Set-Cookie") != "seen=1" || params["id"] != "42" || resp.Data["path"] != "/users/42" {
			t.Fatalf("status %d headers %v data %v", resp.Metadata.StatusCode, resp.Metadata.Headers, resp.Data)
		}
	})

	t.Run("apigateway_v1 no-op", func(t *testing.T) {
		p := mustBuild(t, gatewayConfig{outputEncoding: "no-op", endpoint: "/users/{id}", lambda: `{"function_name": "function", "payload_format": "apigateway_v1", "endpoint": "` + url + `"}`})
		resp, err := p(ctx(), getReq(map[string]string{"id": "7"}))
		if err != nil {
			t.Fatal(err)
		}
		b := replyBytes(t, resp)
		if resp.Metadata.StatusCode != 201 || !strings.Contains(string(b), `"method":"GET"`) {
			t.Fatalf("status %d body %s", resp.Metadata.StatusCode, b)
		}
	})

	t.Run("unknown function", func(t *testing.T) {
		p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "nosuchfunction", "endpoint": "` + url + `"}`})
		if _, err := p(ctx(), getReq(nil)); proxy.StatusFor(err) != 502 {
			t.Fatalf("status %d (%v)", proxy.StatusFor(err), err)
		}
	})
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
