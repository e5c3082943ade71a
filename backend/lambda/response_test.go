package lambda

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestResultShapes(t *testing.T) {
	t.Parallel()
	cases := []struct{ result, want string }{
		{`{"a":1,"b":{"c":2.50}}`, `{"a":1,"b":{"c":2.50}}`},
		{`[1,{"x":2}]`, `{"collection":[1,{"x":2}]}`},
		{`"hello"`, `{"content":"hello"}`},
		{`12.0`, `{"content":12.0}`},
		{`true`, `{"content":true}`},
		{`null`, `{"content":null}`},
		{``, `{}`},
	}
	for _, tc := range cases {
		f := invoketest.Start(t, invoketest.JSON(tc.result))
		p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`})
		resp, err := p(ctxT(t), getReq(nil))
		if err != nil {
			t.Fatalf("%s: %v", tc.result, err)
		}
		if got, _ := json.Marshal(resp.Data); string(got) != tc.want {
			t.Errorf("%s: data %s, want %s", tc.result, got, tc.want)
		}
		if resp.Metadata.Headers.Get("X-Amz-Executed-Version") != "$LATEST" || resp.Metadata.StatusCode != 200 {
			t.Errorf("metadata %+v", resp.Metadata)
		}
	}
}

func TestEncodingString(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.JSON(`"text"`))
	p := mustBuild(t, gatewayConfig{backendExtra: `"encoding": "string",`, lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`})
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil || resp.Data["content"] != `"text"` {
		t.Fatalf("data %v err %v", resp.Data, err)
	}
}

func TestNoOpPlain(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.JSON(`{"raw": 1.50}`))
	p := mustBuild(t, gatewayConfig{outputEncoding: "no-op", lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`})
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil {
		t.Fatal(err)
	}
	b := replyBytes(t, resp)
	if string(b) != `{"raw": 1.50}` || resp.Data != nil || resp.Metadata.Headers.Get("X-Amz-Executed-Version") != "$LATEST" {
		t.Errorf("body %q data %v meta %+v", b, resp.Data, resp.Metadata)
	}

	bad := invoketest.Start(t, invoketest.JSON(`not json`))
	p = mustBuild(t, gatewayConfig{outputEncoding: "no-op", lambda: `{"function_name": "fn", "endpoint": "` + bad.URL + `"}`})
	if _, err := p(ctxT(t), getReq(nil)); proxy.StatusFor(err) != 502 {
		t.Errorf("a non-JSON result passed through no-op: %v", err)
	}
}

const gwResult = `{"statusCode": 201,
	"headers": {"Content-Type": "application/json", "X-One": "1", "Content-Length": "999", "Bad\nName": "x", "X-Num": 5},
	"multiValueHeaders": {"X-Multi": ["a", "b"], "X-One": ["multi"]},
	"cookies": ["s=1; Path=/", "t=2"],
	"body": "eyJpZCI6IDcsICJvayI6IHRydWV9",
	"isBase64Encoded": true}`

func TestUnwrap(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.JSON(gwResult))
	p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "payload_format": "apigateway_v2", "endpoint": "` + f.URL + `"}`})
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Metadata.StatusCode != 201 {
		t.Errorf("status %d, want the function's 201", resp.Metadata.StatusCode)
	}
	if got, _ := json.Marshal(resp.Data); string(got) != `{"id":7,"ok":true}` {
		t.Errorf("data %s", got)
	}
	h := resp.Metadata.Headers
	want := map[string]string{"X-One": "multi", "X-Multi": "a|b", "Set-Cookie": "s=1; Path=/|t=2", "X-Num": "5", "Content-Length": "", "X-Amz-Executed-Version": "$LATEST"}
	for k, v := range want {
		if got := strings.Join(h.Values(k), "|"); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for k := range h {
		if strings.ContainsAny(k, "\n") {
			t.Errorf("invalid header name kept: %q", k)
		}
	}
}

func TestUnwrapNoOp(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.JSON(`{"statusCode": 418, "headers": {"Content-Type": "text/html"}, "body": "<h1>teapot</h1>"}`))
	p := mustBuild(t, gatewayConfig{outputEncoding: "no-op", lambda: `{"function_name": "fn", "payload_format": "apigateway_v1", "endpoint": "` + f.URL + `"}`})
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil {
		t.Fatal(err)
	}
	b := replyBytes(t, resp)
	if resp.Metadata.StatusCode != 418 || string(b) != "<h1>teapot</h1>" || resp.Metadata.Headers.Get("Content-Type") != "text/html" {
		t.Errorf("status %d body %q headers %v", resp.Metadata.StatusCode, b, resp.Metadata.Headers)
	}
}

func TestUnwrapErrorStatus(t *testing.T) {
	t.Parallel()
	result := `{"statusCode": 404, "headers": {"Content-Type": "application/json"}, "body": "{\"error\":\"no user\"}"}`
	cases := []struct {
		name, extra string
		wantStatus  int
		wantRelay   bool
		wantDetails bool
	}{
		{"plain: a backend error", "", 500, false, false},
		{"return_error_code relays it", `, "backend/http": {"return_error_code": true}`, 404, true, false},
		{"return_error_details", `, "backend/http": {"return_error_details": "users"}`, 500, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, invoketest.JSON(result))
			p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "response_format": "apigateway", "endpoint": "` + f.URL + `"}`, moreExtra: tc.extra})
			resp, err := p(ctxT(t), getReq(nil))
			var be *proxy.BackendError
			if !errors.As(err, &be) || be.StatusCode != 404 {
				t.Fatalf("want a BackendError with 404, got %v", err)
			}
			if got := proxy.StatusFor(err); got != tc.wantStatus {
				t.Errorf("client status %d, want %d", got, tc.wantStatus)
			}
			if body, _, ok := be.RelayedBody(); ok != tc.wantRelay || (ok && string(body) != `{"error":"no user"}`) {
				t.Errorf("relayed %v body %q", ok, body)
			}
			if tc.wantDetails {
				d, _ := resp.Data["error_users"].(map[string]any)
				if d == nil || d["http_status_code"] != 404 || resp.IsComplete {
					t.Errorf("details %v", resp.Data)
				}
			}
		})
	}
}

func TestFunctionErrorDetails(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, func(w http.ResponseWriter, _ call, _ int) {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
	})
	p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`, moreExtra: `, "backend/http": {"return_error_details": "fn", "return_error_code": true}`})
	resp, err := p(ctxT(t), getReq(nil))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Error" || fe.Message != "boom" {
		t.Fatalf("err %v", err)
	}
	if proxy.StatusFor(err) != 502 {
		t.Errorf("status %d", proxy.StatusFor(err))
	}
	d, _ := resp.Data["error_fn"].(map[string]any)
	if d == nil || !strings.Contains(d["http_body"].(string), "boom") {
		t.Errorf("details %v", resp.Data)
	}
	if _, ok := resp.Data["errorMessage"]; ok {
		t.Error("the function's error came back as data")
	}
}

func TestUnwrapMalformed(t *testing.T) {
	t.Parallel()
	for _, result := range []string{
		`{"statusCode": "abc"}`,
		`{"statusCode": 99}`,
		`{"statusCode": 200, "headers": ["x"]}`,
		`{"statusCode": 200, "headers": {"X": {"a": 1}}}`,
		`{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}`,
		`{"statusCode": 200, "body": "<html>"}`,
		`{"statusCode": 200, "cookies": "a=1"}`,
	} {
		f := invoketest.Start(t, invoketest.JSON(result))
		p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "response_format": "apigateway", "endpoint": "` + f.URL + `"}`})
		if _, err := p(ctxT(t), getReq(nil)); proxy.StatusFor(err) != 502 {
			t.Errorf("%s: status %d (%v)", result, proxy.StatusFor(err), err)
		}
	}
	// Without statusCode the result is plain data, as for an HTTP API.
	f := invoketest.Start(t, invoketest.JSON(`{"plain": true}`))
	p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "response_format": "apigateway", "endpoint": "` + f.URL + `"}`})
	if resp, err := p(ctxT(t), getReq(nil)); err != nil || resp.Data["plain"] != true {
		t.Errorf("plain result: %v %v", resp, err)
	}
	// And response_format krakend leaves statusCode alone.
	f = invoketest.Start(t, invoketest.JSON(`{"statusCode": 404}`))
	p = mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "payload_format": "apigateway_v1", "response_format": "krakend", "endpoint": "` + f.URL + `"}`})
	if resp, err := p(ctxT(t), getReq(nil)); err != nil || resp.Data["statusCode"] == nil {
		t.Errorf("krakend response format: %v %v", resp, err)
	}
}

func FuzzUnwrapAPIGateway(f *testing.F) {
	f.Add([]byte(gwResult))
	f.Add([]byte(`{"statusCode": "200", "body": "x"}`))
	f.Add([]byte(`{"statusCode": 200, "body": {"a": 1}, "multiValueHeaders": {"A": [1, true]}}`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		gw, ok, err := unwrapAPIGateway(payload)
		if !ok || err != nil {
			return
		}
		if gw.status < 100 || gw.status > 599 {
			t.Fatalf("status %d", gw.status)
		}
		for k, vs := range gw.header {
			if !validHeaderName(k) || proxy.HopByHop(k) || k == "Content-Length" {
				t.Fatalf("header name %q", k)
			}
			for _, v := range vs {
				if !validHeaderValue(v) {
					t.Fatalf("header value %q", v)
				}
			}
		}
		var top map[string]any
		if json.Unmarshal(payload, &top) == nil {
			if s, isStr := top["body"].(string); isStr {
				if b64, _ := top["isBase64Encoded"].(bool); b64 {
					if want, _ := base64.StdEncoding.DecodeString(s); string(want) != string(gw.body) {
						t.Fatalf("base64 body %q, want %q", gw.body, want)
					}
				} else if string(gw.body) != s {
					t.Fatalf("body %q, want %q", gw.body, s)
				}
			}
		}
		// The result step never panics on it either.
		r := results{invocationType: InvocationRequestResponse, unwrap: true}
		_, _ = r.response(&lambdainvoke.Result{StatusCode: 200, Payload: payload}, "fn")
	})
}
