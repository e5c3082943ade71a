package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestLocalLambdaURL(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.JSON(`{"local":true}`))
	svc, _, err := config.Parse([]byte(gatewayConfig{lambda: `{"function_name": "fn", "region": "eu-west-3"}`}.json()))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ep := svc.Endpoints[0]
	p, ok, err := buildOne(specOf(svc, &logs, f.URL))
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	_ = ep
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Data["local"] != true {
		t.Errorf("data %v", resp.Data)
	}
	invoketest.CheckSignature(t, f.Last(t), strings.TrimPrefix(f.URL, "http://"), "us-east-1", "lambdagate-local", "lambdagate-local")
	if !strings.Contains(logs.String(), "local Lambda runtime") {
		t.Errorf("no start-up log line: %q", logs.String())
	}
}

func TestRegion(t *testing.T) {
	t.Parallel()
	_, err := build(t, gatewayConfig{lambda: `{"function_name": "fn"}`}, nil)
	wantConfigError(t, err, `endpoints[0].backend[0].extra_config["backend/lambda"].region`, "no AWS region")

	// One client per key and kind (the endpoint resolution is
	// internal/lambdainvoke's TestRegion).
	k := newKind(backend.Deps{}, "", nil)
	key := lambdainvoke.Key{Region: "eu-central-1"}
	inv, err := k.invokerFor(context.Background(), key, nsPath)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := k.invokerFor(context.Background(), key, nsPath)
	if again != inv {
		t.Error("the same region, endpoint and credentials built a second invoker")
	}
	other, _ := newKind(backend.Deps{}, "", nil).invokerFor(context.Background(), key, nsPath)
	if other == inv {
		t.Error("two kinds (two gateways) share an invoker")
	}
}

// TestClientKey: the options that decide the client become its Key; the
// kind's local runtime replaces them when no endpoint is set.
func TestClientKey(t *testing.T) {
	t.Parallel()
	all := Options{Region: "eu-west-1", Endpoint: "http://127.0.0.1:9/", Profile: "p", AssumeRoleARN: "arn:aws:iam::123456789012:role/r",
		ExternalID: "x", RoleSessionName: "s", FunctionName: "fn", Qualifier: "live", MaxRetries: 2}
	noEndpoint := all
	noEndpoint.Endpoint = ""
	for _, tc := range []struct {
		name     string
		o        Options
		localURL string
		want     lambdainvoke.Key
	}{
		{"every setting", all, "", lambdainvoke.Key{Region: "eu-west-1", Endpoint: "http://127.0.0.1:9/", Profile: "p",
			RoleARN: "arn:aws:iam::123456789012:role/r", ExternalID: "x", SessionName: "s"}},
		{"an endpoint beats the local runtime", all, "http://127.0.0.1:1", lambdainvoke.Key{Region: "eu-west-1", Endpoint: "http://127.0.0.1:9/",
			Profile: "p", RoleARN: "arn:aws:iam::123456789012:role/r", ExternalID: "x", SessionName: "s"}},
		{"the local runtime", noEndpoint, "http://127.0.0.1:1", lambdainvoke.Key{Endpoint: "http://127.0.0.1:1", Local: true}},
	} {
		if got := clientKey(&tc.o, tc.localURL); got != tc.want {
			t.Errorf("%s: key %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestClientErrorPaths: the problems the client finds are reported at the
// option they name (region and profile: TestRegion, TestMissingCredentials).
func TestClientErrorPaths(t *testing.T) {
	// Not parallel: it changes the environment.
	t.Setenv("AWS_USE_FIPS_ENDPOINT", "true")
	_, err := build(t, gatewayConfig{lambda: `{"function_name": "fn", "endpoint": "http://127.0.0.1:1"}`}, nil)
	wantConfigError(t, err, nsPath+".endpoint", "FIPS and custom endpoint are not supported")
	t.Setenv("AWS_USE_FIPS_ENDPOINT", "")

	t.Setenv("AWS_CA_BUNDLE", t.TempDir()+"/missing.pem")
	_, err = build(t, gatewayConfig{lambda: `{"function_name": "fn", "region": "eu-west-1"}`}, nil)
	wantConfigError(t, err, nsPath, "AWS_CA_BUNDLE")
}

func wantConfigError(t *testing.T, err error, path, fragment string) {
	t.Helper()
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want config.Errors at %s, got %T %v", path, err, err)
	}
	for _, e := range errs {
		if e.Path == path && strings.Contains(e.Msg, fragment) {
			return
		}
	}
	t.Fatalf("no error at %s containing %q in:\n%v", path, fragment, err)
}

// TestMaxRetriesOption: max_retries reaches the retry loop (absent: one
// attempt; -1: the SDK's default), and what the last attempt got is the
// client's answer. The retry rules are internal/lambdainvoke's
// (TestMaxRetries there).
func TestMaxRetriesOption(t *testing.T) {
	t.Parallel()
	throttle := invoketest.APIError(429, "TooManyRequestsException", "Rate exceeded")
	service := invoketest.APIError(500, "ServiceException", "internal")
	ok := invoketest.JSON(`{"ok":true}`)
	cases := []struct {
		name         string
		maxRetries   string
		reply        func(http.ResponseWriter, call, int)
		wantAttempts int
		wantStatus   int // 0: success
	}{
		{"absent: one attempt", "", invoketest.FailThen(1, throttle, ok), 1, 429},
		{"2 retries recover", "2", invoketest.FailThen(2, throttle, ok), 3, 0},
		{"2 retries give up after 3 attempts", "2", invoketest.FailThen(9, throttle, ok), 3, 429},
		{"-1: the SDK's 3 attempts", "-1", invoketest.FailThen(9, service, ok), 3, 502},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, tc.reply)
			mr := ""
			if tc.maxRetries != "" {
				mr = `, "max_retries": ` + tc.maxRetries
			}
			p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"` + mr + `}`})
			resp, err := p(ctxT(t), getReq(nil))
			if f.Requests() != tc.wantAttempts {
				t.Errorf("attempts %d, want %d", f.Requests(), tc.wantAttempts)
			}
			if tc.wantStatus == 0 {
				if err != nil || resp.Data["ok"] != true {
					t.Fatalf("resp %v err %v", resp, err)
				}
				return
			}
			if got := proxy.StatusFor(err); got != tc.wantStatus {
				t.Fatalf("status %d, want %d (%v)", got, tc.wantStatus, err)
			}
		})
	}
}

func TestErrorTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		param      bool // the function comes from the path
		reply      func(http.ResponseWriter, call, int)
		wantStatus int
		wantHeader http.Header
		wantMsg    string
	}{
		{"function error Handled", false, func(w http.ResponseWriter, _ call, _ int) {
			w.Header().Set("X-Amz-Function-Error", "Handled")
			io.WriteString(w, `{"errorMessage":"card declined","errorType":"PaymentError"}`)
		}, 502, nil, "PaymentError: card declined"},
		{"function timeout (Unhandled)", false, func(w http.ResponseWriter, _ call, _ int) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"Task timed out after 3.00 seconds"}`)
		}, 502, nil, "Task timed out"},
		{"result not JSON", false, invoketest.JSON(`<html>`), 502, nil, "not valid JSON"},
		{"not found, fixed name", false, invoketest.APIError(404, "ResourceNotFoundException", "Function not found"), 502, nil, "ResourceNotFoundException"},
		{"not found, from the path", true, invoketest.APIError(404, "ResourceNotFoundException", "Function not found"), 404, nil, "ResourceNotFoundException"},
		{"throttled with Retry-After", false, func(w http.ResponseWriter, c call, n int) {
			w.Header().Set("Retry-After", "3")
			invoketest.APIError(429, "TooManyRequestsException", "Rate exceeded")(w, c, n)
		}, 429, http.Header{"Retry-After": {"3"}}, "TooManyRequestsException"},
		{"throttled without Retry-After", false, invoketest.APIError(429, "TooManyRequestsException", "Rate exceeded"), 429, nil, "Rate exceeded"},
		{"request too large", false, invoketest.APIError(413, "RequestTooLargeException", "too big"), 413, nil, "RequestTooLargeException"},
		{"invalid content", false, invoketest.APIError(400, "InvalidRequestContentException", "Could not parse"), 400, nil, "InvalidRequestContentException"},
		{"invalid parameter", false, invoketest.APIError(400, "InvalidParameterValueException", "bad"), 400, nil, "InvalidParameterValueException"},
		{"credentials rejected", false, invoketest.APIError(403, "UnrecognizedClientException", "The security token included in the request is invalid."), 502, nil, "UnrecognizedClientException"},
		{"access denied", false, invoketest.APIError(403, "AccessDeniedException", "not authorized"), 502, nil, "AccessDeniedException"},
		{"Lambda service error", false, invoketest.APIError(500, "ServiceException", "internal"), 502, nil, "ServiceException"},
		{"other Lambda error", false, invoketest.APIError(502, "EC2UnexpectedException", "eni"), 502, nil, "EC2UnexpectedException"},
		{"error code only in the body", false, func(w http.ResponseWriter, _ call, _ int) {
			w.WriteHeader(429)
			io.WriteString(w, `{"__type":"TooManyRequestsException","message":"slow"}`)
		}, 429, nil, "slow"},
		{"transport error", false, invoketest.Drop, 502, nil, "invoking lambda function"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, tc.reply)
			g := gatewayConfig{lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`}
			req := getReq(nil)
			if tc.param {
				g = gatewayConfig{endpoint: "/fn/{function}", lambda: `{"endpoint": "` + f.URL + `", "allowed_functions": ["*"]}`}
				req = getReq(map[string]string{"function": "fn"})
			}
			resp, err := mustBuild(t, g)(ctxT(t), req)
			if err == nil {
				t.Fatalf("no error; data %v", resp.Data)
			}
			if got := proxy.StatusFor(err); got != tc.wantStatus {
				t.Errorf("status %d, want %d (%v)", got, tc.wantStatus, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("message %q lacks %q", err, tc.wantMsg)
			}
			var se *proxy.StatusError
			var h http.Header
			if errors.As(err, &se) {
				h = se.Header
			}
			if tc.wantHeader != nil && h.Get("Retry-After") != tc.wantHeader.Get("Retry-After") {
				t.Errorf("header %v, want %v", h, tc.wantHeader)
			}
			if tc.wantHeader == nil && h.Get("Retry-After") != "" {
				t.Errorf("unexpected Retry-After %v", h)
			}
			if resp != nil && resp.Data != nil {
				t.Errorf("an error came with data %v", resp.Data)
			}
		})
	}
}

func TestEndpointTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := invoketest.Start(t, func(w http.ResponseWriter, _ call, _ int) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		io.WriteString(w, `{}`)
	})
	defer close(release)
	p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "max_retries": 2, "endpoint": "` + f.URL + `"}`})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := p(ctx, getReq(nil))
	if proxy.StatusFor(err) != 504 || f.Requests() != 1 {
		t.Fatalf("status %d attempts %d (%v)", proxy.StatusFor(err), f.Requests(), err)
	}
}

// TestMissingCredentials: an invocation without credentials is a 502 that
// keeps the client's CredentialsError; a profile that does not exist is
// refused at start-up, at the profile option.
func TestMissingCredentials(t *testing.T) {
	t.Parallel()
	inv := &stubInvoker{err: &lambdainvoke.CredentialsError{Err: errors.New("no keys in profile nokeys")}}
	p, err := build(t, gatewayConfig{lambda: `{"function_name": "fn", "profile": "nokeys", "region": "eu-west-1"}`}, &factoryHooks{invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p(ctxT(t), getReq(nil))
	var ce *lambdainvoke.CredentialsError
	if proxy.StatusFor(err) != 502 || !errors.As(err, &ce) {
		t.Fatalf("status %d err %v", proxy.StatusFor(err), err)
	}

	_, err = build(t, gatewayConfig{lambda: `{"function_name": "fn", "profile": "nosuchprofile", "region": "eu-west-1"}`}, nil)
	wantConfigError(t, err, `endpoints[0].backend[0].extra_config["backend/lambda"].profile`, "nosuchprofile")
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, invocationType string
		size                 int
		want                 int
	}{
		{"sync limit", "RequestResponse", MaxSyncPayload + 1, 413},
		{"sync at the limit", "RequestResponse", MaxSyncPayload, 200},
		{"event limit", "Event", MaxEventPayload + 1, 413},
		{"event at the limit", "Event", MaxEventPayload, 202},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, func(w http.ResponseWriter, c call, _ int) {
				if c.Header.Get("X-Amz-Invocation-Type") == "Event" {
					w.WriteHeader(202)
					return
				}
				io.WriteString(w, `{}`)
			})
			p := mustBuild(t, gatewayConfig{method: "POST", lambda: `{"function_name": "fn", "invocation_type": "` + tc.invocationType + `", "endpoint": "` + f.URL + `"}`})
			req := getReq(nil)
			req.Method = "POST"
			// A JSON string of exactly tc.size bytes: the krakend format
			// refuses a body that is not JSON.
			req.Body = append(append([]byte(`"`), bytes.Repeat([]byte("a"), tc.size-2)...), '"')
			resp, err := p(ctxT(t), req)
			if tc.want == 413 {
				if proxy.StatusFor(err) != 413 || f.Requests() != 0 {
					t.Fatalf("status %d attempts %d", proxy.StatusFor(err), f.Requests())
				}
				return
			}
			if err != nil || resp.Metadata.StatusCode != tc.want {
				t.Fatalf("resp %+v err %v", resp, err)
			}
		})
	}
}

func TestQualifierAndInvocationTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, opts   string
		wantQuery    string
		wantType     string
		wantStatus   int
		wantData     map[string]any
		outputNoop   bool
		wantBody     string
		serverStatus int
	}{
		{name: "qualifier", opts: `"qualifier": "prod"`, wantQuery: "Qualifier=prod", wantType: "RequestResponse", wantStatus: 200, wantData: map[string]any{"ok": true}},
		{name: "no qualifier", opts: `"qualifier": ""`, wantQuery: "", wantType: "RequestResponse", wantStatus: 200, wantData: map[string]any{"ok": true}},
		{name: "Event", opts: `"invocation_type": "Event"`, wantType: "Event", wantStatus: 202, wantData: map[string]any{"request_id": "req-1"}, serverStatus: 202},
		{name: "Event no-op", opts: `"invocation_type": "Event"`, wantType: "Event", wantStatus: 202, outputNoop: true, wantBody: `{"request_id":"req-1"}`, serverStatus: 202},
		{name: "DryRun", opts: `"invocation_type": "DryRun"`, wantType: "DryRun", wantStatus: 204, wantData: map[string]any{}, serverStatus: 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, func(w http.ResponseWriter, c call, _ int) {
				w.Header().Set("X-Amzn-Requestid", "req-1")
				if tc.serverStatus != 0 {
					w.WriteHeader(tc.serverStatus)
					return
				}
				io.WriteString(w, `{"ok":true}`)
			})
			g := gatewayConfig{lambda: `{"function_name": "fn", ` + tc.opts + `, "endpoint": "` + f.URL + `"}`}
			if tc.outputNoop {
				g.outputEncoding = "no-op"
			}
			resp, err := mustBuild(t, g)(ctxT(t), getReq(nil))
			if err != nil {
				t.Fatal(err)
			}
			c := f.Last(t)
			if c.Query != tc.wantQuery || c.Header.Get("X-Amz-Invocation-Type") != tc.wantType {
				t.Errorf("query %q type %q", c.Query, c.Header.Get("X-Amz-Invocation-Type"))
			}
			if resp.Metadata.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.Metadata.StatusCode, tc.wantStatus)
			}
			if tc.outputNoop {
				b := replyBytes(t, resp)
				if string(b) != tc.wantBody {
					t.Errorf("body %q", b)
				}
				return
			}
			if !jsonEqual(resp.Data, tc.wantData) {
				t.Errorf("data %v, want %v", resp.Data, tc.wantData)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// recordHandler keeps log records for assertions.
type recordHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r)
	h.mu.Unlock()
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func TestLogTail(t *testing.T) {
	t.Parallel()
	for _, tail := range []bool{true, false} {
		f := invoketest.Start(t, func(w http.ResponseWriter, c call, _ int) {
			if c.Header.Get("X-Amz-Log-Type") == "Tail" {
				w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte("START RequestId: abc\nhello from the function\n")))
			}
			w.Header().Set("X-Amzn-Requestid", "req-tail")
			io.WriteString(w, `{"ok":true}`)
		})
		opt := ""
		if tail {
			opt = `"log_type": "Tail", `
		}
		svc, _, _ := config.Parse([]byte(gatewayConfig{lambda: `{"function_name": "fn", ` + opt + `"endpoint": "` + f.URL + `"}`}.json()))
		h := &recordHandler{}
		ep := svc.Endpoints[0]
		spec := specOf(svc, nil, "")
		spec.Logger = slog.New(h)
		p, _, err := builder(nil)(spec)
		if err != nil {
			t.Fatal(err)
		}
		_ = ep
		resp, err := p(ctxT(t), getReq(nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Last(t).Header.Get("X-Amz-Log-Type"); (got == "Tail") != tail {
			t.Errorf("tail=%v: X-Amz-Log-Type %q", tail, got)
		}
		found := false
		for _, r := range h.recs {
			if r.Level == slog.LevelDebug && r.Message == "lambda function log tail" {
				r.Attrs(func(a slog.Attr) bool {
					if a.Key == "log" && strings.Contains(a.Value.String(), "hello from the function") {
						found = true
					}
					return true
				})
			}
		}
		if found != tail {
			t.Errorf("tail=%v: log tail logged=%v", tail, found)
		}
		if b, _ := json.Marshal(resp.Data); strings.Contains(string(b), "hello") {
			t.Error("the log tail reached the response")
		}
	}
}

func TestFunctionFromPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, endpoint, opts string
		params               map[string]string
		wantCalled           string // "" = not invoked, 404
	}{
		{"KrakenD's title-cased name", "/call-a-lambda/{lambda}", `"function_param_name": "Lambda"`, map[string]string{"lambda": "orders"}, "orders"},
		{"exact placeholder name", "/call-a-lambda/{lambda}", `"function_param_name": "lambda"`, map[string]string{"lambda": "orders"}, "orders"},
		{"default {function}", "/run/{function}", ``, map[string]string{"function": "users"}, "users"},
		{"allowed by glob", "/run/{function}", `"allowed_functions": ["orders-*", "users"]`, map[string]string{"function": "orders-list"}, "orders-list"},
		{"outside the allow-list", "/run/{function}", `"allowed_functions": ["orders-*"]`, map[string]string{"function": "billing"}, ""},
		{"not a function name", "/run/{function}", ``, map[string]string{"function": "a b"}, ""},
		{"too long", "/run/{function}", ``, map[string]string{"function": strings.Repeat("a", 65)}, ""},
		{"alias and ARN forms", "/run/{function}", ``, map[string]string{"function": "123456789012:function:fn:prod"}, "123456789012:function:fn:prod"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, invoketest.JSON(`{"ok":true}`))
			sep := ""
			if tc.opts != "" {
				sep = ", "
			}
			p := mustBuild(t, gatewayConfig{endpoint: tc.endpoint, lambda: `{` + tc.opts + sep + `"endpoint": "` + f.URL + `"}`})
			_, err := p(ctxT(t), getReq(tc.params))
			if tc.wantCalled == "" {
				if proxy.StatusFor(err) != 404 || f.Requests() != 0 {
					t.Fatalf("status %d attempts %d", proxy.StatusFor(err), f.Requests())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Last(t).Name; got != tc.wantCalled {
				t.Errorf("invoked %q, want %q", got, tc.wantCalled)
			}
		})
	}
}

// TestErrorCodesAreTheSDKs: the error codes that decide a client's status
// are spelled as the SDK's types spell them.
func TestErrorCodesAreTheSDKs(t *testing.T) {
	t.Parallel()
	for code, sdk := range map[string]interface{ ErrorCode() string }{
		lambdaapi.CodeResourceNotFound:      &types.ResourceNotFoundException{},
		lambdaapi.CodeTooManyRequests:       &types.TooManyRequestsException{},
		lambdaapi.CodeRequestTooLarge:       &types.RequestTooLargeException{},
		lambdaapi.CodeInvalidRequestContent: &types.InvalidRequestContentException{},
		lambdaapi.CodeInvalidParameterValue: &types.InvalidParameterValueException{},
		lambdaapi.CodeUnsupportedMediaType:  &types.UnsupportedMediaTypeException{},
		lambdaapi.CodeService:               &types.ServiceException{},
		lambdaapi.CodeEC2Unexpected:         &types.EC2UnexpectedException{},
	} {
		if sdk.ErrorCode() != code {
			t.Errorf("lambdaapi says %q, the SDK %q", code, sdk.ErrorCode())
		}
	}
}
