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
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestSignedRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, lambda, wantRegion, wantPath string
	}{
		{"region option", `{"function_name": "my-fn", "region": "us-west-2", "endpoint": "%s"}`, "us-west-2", "/2015-03-31/functions/my-fn/invocations"},
		{"endpoint without region signs for us-east-1", `{"function_name": "my-fn", "endpoint": "%s"}`, "us-east-1", "/2015-03-31/functions/my-fn/invocations"},
		{"full ARN escaped as the SDK does", `{"function_name": "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live", "region": "eu-west-1", "endpoint": "%s"}`, "eu-west-1", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Amy-fn%3Alive/invocations"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := invoketest.Start(t, invoketest.JSON(`{"ok":true}`))
			p := mustBuild(t, gatewayConfig{lambda: strings.Replace(tc.lambda, "%s", f.URL, 1)})
			if _, err := p(ctxT(t), getReq(nil)); err != nil {
				t.Fatal(err)
			}
			c := f.Last(t)
			if c.Path != tc.wantPath {
				t.Errorf("path %q, want %q", c.Path, tc.wantPath)
			}
			if got := c.Header.Get("Content-Type"); got != "application/octet-stream" {
				t.Errorf("Content-Type %q", got)
			}
			invoketest.CheckSignature(t, c, strings.TrimPrefix(f.URL, "http://"), tc.wantRegion, invoketest.AccessKey, invoketest.SecretKey)
		})
	}
}

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

	// With a region and no endpoint, the SDK's rules choose Lambda's
	// endpoint (nothing is sent in this test).
	k := newKind(backend.Deps{}, "", nil)
	inv, err := k.invokerFor(context.Background(), invokerKey{region: "eu-central-1"}, errorPaths{})
	if err != nil {
		t.Fatal(err)
	}
	if inv.base != "https://lambda.eu-central-1.amazonaws.com" || inv.region != "eu-central-1" {
		t.Errorf("endpoint %q region %q", inv.base, inv.region)
	}
	again, _ := k.invokerFor(context.Background(), invokerKey{region: "eu-central-1"}, errorPaths{})
	if again != inv {
		t.Error("the same region, endpoint and credentials built a second invoker")
	}
	other, _ := newKind(backend.Deps{}, "", nil).invokerFor(context.Background(), invokerKey{region: "eu-central-1"}, errorPaths{})
	if other == inv {
		t.Error("two kinds (two gateways) share an invoker")
	}
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

func TestMaxRetries(t *testing.T) {
	t.Parallel()
	throttle := invoketest.APIError(429, "TooManyRequestsException", "Rate exceeded")
	throttleRetryAfter := func(w http.ResponseWriter, c call, n int) {
		w.Header().Set("Retry-After", "7")
		throttle(w, c, n)
	}
	service := invoketest.APIError(500, "ServiceException", "internal")
	funcErr := func(w http.ResponseWriter, _ call, _ int) {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
	}
	ok := invoketest.JSON(`{"ok":true}`)
	cases := []struct {
		name         string
		maxRetries   string
		reply        func(http.ResponseWriter, call, int)
		wantAttempts int
		wantStatus   int // 0: success
	}{
		{"0 retries: one attempt", "0", invoketest.FailThen(1, throttle, ok), 1, 429},
		{"absent: one attempt", "", invoketest.FailThen(1, throttle, ok), 1, 429},
		{"2 retries recover from 2 throttles", "2", invoketest.FailThen(2, throttle, ok), 3, 0},
		{"2 retries give up after 3 attempts", "2", invoketest.FailThen(9, throttleRetryAfter, ok), 3, 429},
		{"-1: the SDK's 3 attempts", "-1", invoketest.FailThen(9, service, ok), 3, 502},
		{"-1 recovers", "-1", invoketest.FailThen(2, service, ok), 3, 0},
		{"transport errors are retried", "2", invoketest.FailThen(2, invoketest.Drop, ok), 3, 0},
		{"function errors are never retried", "2", invoketest.FailThen(9, funcErr, ok), 1, 502},
		{"not found is not retried", "2", invoketest.FailThen(9, invoketest.APIError(404, "ResourceNotFoundException", "no"), ok), 1, 502},
		{"bad requests are not retried", "5", invoketest.FailThen(9, invoketest.APIError(400, "InvalidRequestContentException", "no"), ok), 1, 400},
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

// TestMaxRetriesBoundedByDeadline: a backoff that would outlast the
// endpoint's deadline is not waited for.
func TestMaxRetriesBoundedByDeadline(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.APIError(429, "TooManyRequestsException", "slow down"))
	slow := &factoryHooks{backoff: invoketest.Backoff(time.Hour)}
	p, err := build(t, gatewayConfig{lambda: `{"function_name": "fn", "max_retries": 3, "endpoint": "` + f.URL + `"}`}, slow)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = p(ctx, getReq(nil))
	if time.Since(start) > time.Second {
		t.Errorf("waited %v for a backoff that could not finish before the deadline", time.Since(start))
	}
	if proxy.StatusFor(err) != 429 || f.Requests() != 1 {
		t.Errorf("status %d attempts %d", proxy.StatusFor(err), f.Requests())
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

func TestMissingCredentials(t *testing.T) {
	// Not parallel: it changes the environment.
	dir := t.TempDir()
	cfgFile := dir + "/config"
	if err := writeFile(cfgFile, "[profile nokeys]\nregion = eu-west-1\n"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	f := invoketest.Start(t, invoketest.JSON(`{}`))
	p := mustBuild(t, gatewayConfig{lambda: `{"function_name": "fn", "profile": "nokeys", "endpoint": "` + f.URL + `"}`})
	_, err := p(ctxT(t), getReq(nil))
	var ce *CredentialsError
	if proxy.StatusFor(err) != 502 || !errors.As(err, &ce) || f.Requests() != 0 {
		t.Fatalf("status %d attempts %d err %v", proxy.StatusFor(err), f.Requests(), err)
	}
	if strings.Contains(err.Error(), invoketest.SecretKey) {
		t.Fatal("a secret reached an error")
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

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.Echo)
	p := mustBuild(t, gatewayConfig{method: "POST", lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`})
	run := func() {
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					req := getReq(nil)
					req.Method, req.Body = "POST", []byte(`{"n":1}`)
					if _, err := p(context.Background(), req); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	run() // warm up: up to a few connections are opened
	before := f.Stats().Connections
	run()
	if n := f.Stats().Connections - before; n != 0 {
		t.Errorf("%d new connections once warm: keep-alive is lost", n)
	}
}

func TestCABundle(t *testing.T) {
	// Not parallel: it changes the environment.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"tls":true}`) }))
	defer srv.Close()
	dir := t.TempDir()
	pemFile := dir + "/ca.pem"
	if err := writeFile(pemFile, string(certPEM(srv))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", pemFile)
	c, err := newHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("the bundle's CA is not trusted: %v", err)
	}
	resp.Body.Close()
	if tr := c.Transport.(*http.Transport); tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("MaxIdleConnsPerHost %d", tr.MaxIdleConnsPerHost)
	}

	t.Setenv("AWS_CA_BUNDLE", dir+"/missing.pem")
	if _, err := newHTTPClient(); err == nil || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") {
		t.Fatalf("a missing bundle: %v", err)
	}
	if err := writeFile(pemFile, "not pem"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", pemFile)
	if _, err := newHTTPClient(); err == nil {
		t.Fatal("a bundle with no certificate was accepted")
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
