package endpoint

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

const gatewayUA = "lambdagate/test"

// recorder is a pipeline that records the request it is given and answers
// resp and err.
type recorder struct {
	got  *proxy.Request
	resp func() *proxy.Response
	err  error
}

func (r *recorder) pipeline(_ context.Context, req *proxy.Request) (*proxy.Response, error) {
	r.got = req
	if r.resp == nil {
		return nil, r.err
	}
	return r.resp(), r.err
}

func okData(data string) func() *proxy.Response {
	return func() *proxy.Response {
		d, _ := proxy.DecodeSafeJSON([]byte(data))
		return &proxy.Response{Data: d, IsComplete: true, Metadata: proxy.Metadata{StatusCode: 200}}
	}
}

type setup struct {
	endpoint config.Endpoint
	backends int
	errMsg   bool
	maxBody  int64
	sendID   bool
}

func build(t *testing.T, s setup, rec *recorder) func(*http.Request, ...string) *httptest.ResponseRecorder {
	t.Helper()
	e := s.endpoint
	if e.Method == "" {
		e.Method = "GET"
	}
	if e.Path == "" {
		e.Path = "/test"
	}
	if e.Timeout == 0 {
		e.Timeout = time.Second
	}
	if e.OutputEncoding == "" {
		e.OutputEncoding = "json"
	}
	if s.backends == 0 {
		s.backends = 1
	}
	h, err := New(Options{
		Endpoint: &e, Pipeline: rec.pipeline, Backends: s.backends, ReturnErrorMsg: s.errMsg,
		MaxBodyBytes: s.maxBody, UserAgent: gatewayUA, Logger: slog.New(slog.DiscardHandler),
		SendRequestID: s.sendID,
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(r *http.Request, params ...string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h(w, r, params)
		return w
	}
}

func TestInputHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		list   []string
		client http.Header
		want   http.Header
	}{
		{"default: Content-Type only", nil,
			http.Header{"Content-Type": {"application/json"}, "Authorization": {"x"}, "User-Agent": {"curl"}},
			http.Header{"Content-Type": {"application/json"}, "User-Agent": {gatewayUA}}},
		{"list replaces the default, case-insensitive", []string{"authorization", "X-REQUEST-ID"},
			http.Header{"Content-Type": {"application/json"}, "Authorization": {"x"}, "X-Request-Id": {"1", "2"}, "X-Other": {"o"}},
			http.Header{"Authorization": {"x"}, "X-Request-Id": {"1", "2"}, "User-Agent": {gatewayUA}}},
		{"listed User-Agent is forwarded, gateway's goes in X-Forwarded-Via", []string{"User-Agent"},
			http.Header{"User-Agent": {"curl/8"}},
			http.Header{"User-Agent": {"curl/8"}, "X-Forwarded-Via": {gatewayUA}}},
		{"listed User-Agent absent: the gateway's", []string{"user-agent"},
			http.Header{},
			http.Header{"User-Agent": {gatewayUA}}},
		{"star forwards all", []string{"*"},
			http.Header{"Content-Type": {"text/plain"}, "Authorization": {"x"}, "User-Agent": {"curl/8"}},
			http.Header{"Content-Type": {"text/plain"}, "Authorization": {"x"}, "User-Agent": {"curl/8"}, "X-Forwarded-Via": {gatewayUA}}},
		{"empty list forwards none", []string{},
			http.Header{"Content-Type": {"text/plain"}},
			http.Header{"User-Agent": {gatewayUA}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{resp: okData(`{}`)}
			do := build(t, setup{endpoint: config.Endpoint{InputHeaders: tt.list}}, rec)
			r := httptest.NewRequest("GET", "http://gw.example:8080/test", nil)
			r.RemoteAddr = "203.0.113.9:5555"
			r.Header = tt.client
			do(r)
			want := tt.want.Clone()
			want.Set("X-Forwarded-For", "203.0.113.9")
			want.Set("X-Forwarded-Host", "gw.example:8080")
			// Exactly KrakenD's headers: the gateway's request id is not
			// among them (Options.SendRequestID is off).
			got := rec.got.Headers
			if !reflect.DeepEqual(got, want) {
				t.Errorf("headers =\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func TestInputQueryStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		list []string
		want url.Values
	}{
		{"default: none (not even parsed)", nil, nil},
		{"exact names, repeated values kept", []string{"a", "c", "missing"}, url.Values{"a": {"1", "2"}, "c": {""}}},
		{"names are case-sensitive", []string{"B", "A"}, url.Values{"A": {"3"}}},
		{"star", []string{"*"}, url.Values{"a": {"1", "2"}, "A": {"3"}, "b": {"x y"}, "c": {""}}},
		{"names, no query at all", []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{resp: okData(`{}`)}
			do := build(t, setup{endpoint: config.Endpoint{InputQueryStrings: tt.list}}, rec)
			target := "/test?a=1&A=3&a=2&b=x+y&c"
			if strings.HasSuffix(tt.name, "no query at all") {
				target = "/test"
			}
			do(httptest.NewRequest("GET", target, nil))
			if !reflect.DeepEqual(rec.got.Query, tt.want) {
				t.Errorf("query = %v, want %v", rec.got.Query, tt.want)
			}
		})
	}
}

func TestRequestValues(t *testing.T) {
	t.Parallel()
	rec := &recorder{resp: okData(`{}`)}
	do := build(t, setup{endpoint: config.Endpoint{Method: "POST", Path: "/u/{foo_bar}/{id}", Params: []string{"foo_bar", "id"}}}, rec)
	r := httptest.NewRequest("POST", "http://h/u/x/7", strings.NewReader(`{"k":1}`))
	r.RemoteAddr = "[2001:db8::1]:443"
	do(r, "x", "7")
	g := rec.got
	// Once each, in path order: config resolves {Foo_bar} to slot 0.
	wantParams := proxy.Params{"x", "7"}
	if !reflect.DeepEqual(g.Params, wantParams) {
		t.Errorf("params = %v, want %v", g.Params, wantParams)
	}
	if g.Method != "POST" || g.Path != "/u/x/7" || string(g.Body) != `{"k":1}` || g.Host != "h" || g.RemoteAddr != "[2001:db8::1]:443" {
		t.Errorf("request = %+v", g)
	}
	if g.Headers.Get("X-Forwarded-For") != "2001:db8::1" {
		t.Errorf("X-Forwarded-For = %q", g.Headers.Get("X-Forwarded-For"))
	}
}

// chunked hides its length, as a chunked upload does.
type chunked struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       io.Reader
		length     int64
		wantStatus int
	}{
		{"under", strings.NewReader("0123456789"), 10, 200},
		{"declared over", strings.NewReader("01234567890"), 11, 413},
		{"chunked over", chunked{strings.NewReader("0123456789012")}, -1, 413},
		{"chunked under", chunked{strings.NewReader("0123")}, -1, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{resp: okData(`{}`)}
			do := build(t, setup{endpoint: config.Endpoint{Method: "POST"}, maxBody: 10}, rec)
			r := httptest.NewRequest("POST", "/test", tt.body)
			r.ContentLength = tt.length
			w := do(r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if tt.wantStatus == 413 {
				if rec.got != nil {
					t.Error("the pipeline was called for a refused body")
				}
				if w.Body.String() != "Request Entity Too Large\n" {
					t.Errorf("body = %q", w.Body.String())
				}
			}
		})
	}
}

func TestResponses(t *testing.T) {
	t.Parallel()
	relayed := &proxy.BackendError{Backend: "b", StatusCode: 404, Body: []byte(`{"e":"nf"}`), ContentType: "application/problem+json", Relay: true}
	tests := []struct {
		name      string
		setup     setup
		resp      func() *proxy.Response
		err       error
		status    int
		completed string
		cache     string
		ctype     string
		body      string
		header    http.Header // more headers expected
	}{
		{"complete", setup{}, okData(`{"a":1}`), nil, 200, "true", "", "application/json; charset=utf-8", `{"a":1}`, nil},
		{"complete with cache_ttl", setup{endpoint: config.Endpoint{CacheTTL: 90 * time.Second}}, okData(`{"a":1}`), nil,
			200, "true", "public, max-age=90", "application/json; charset=utf-8", `{"a":1}`, nil},
		{"partial: no Cache-Control", setup{endpoint: config.Endpoint{CacheTTL: time.Minute}, backends: 2},
			func() *proxy.Response { return &proxy.Response{Data: map[string]any{"a": true}} },
			&proxy.MergeError{Errs: []error{errors.New("b failed")}},
			200, "false", "", "application/json; charset=utf-8", `{"a":true}`, nil},
		{"incomplete without error", setup{endpoint: config.Endpoint{CacheTTL: time.Minute}},
			func() *proxy.Response { return &proxy.Response{Data: map[string]any{}} }, nil,
			200, "false", "", "application/json; charset=utf-8", `{}`, nil},
		{"all failed, message hidden", setup{}, nil, &proxy.MergeError{Errs: []error{errors.New("secret detail")}},
			500, "false", "", "", ``, nil},
		{"all failed, return_error_msg", setup{errMsg: true}, nil, &proxy.MergeError{Errs: []error{errors.New("a down"), errors.New("b down")}},
			500, "false", "", "text/plain; charset=utf-8", `a down; b down`, nil},
		{"backend error not relayed", setup{}, nil, &proxy.BackendError{Backend: "b", StatusCode: 404, Body: []byte("nf")},
			500, "false", "", "", ``, nil},
		{"backend error relayed", setup{errMsg: true}, nil, relayed,
			404, "false", "", "application/problem+json", `{"e":"nf"}`, nil},
		{"status error headers", setup{}, nil, &proxy.StatusError{Status: 429, Header: http.Header{"Retry-After": {"3"}}, Err: errors.New("throttled")},
			429, "false", "", "", ``, http.Header{"Retry-After": {"3"}}},
		{"status error with message", setup{errMsg: true}, nil, &proxy.StatusError{Status: 504, Err: errors.New("timed out")},
			504, "false", "", "text/plain; charset=utf-8", `timed out`, nil},
		{"single backend 201 passes", setup{}, func() *proxy.Response {
			return &proxy.Response{Data: map[string]any{"id": "n"}, IsComplete: true, Metadata: proxy.Metadata{StatusCode: 201}}
		}, nil, 201, "true", "", "application/json; charset=utf-8", `{"id":"n"}`, nil},
		{"single backend headers pass", setup{}, func() *proxy.Response {
			return &proxy.Response{Data: map[string]any{}, IsComplete: true, Metadata: proxy.Metadata{StatusCode: 200, Headers: http.Header{"X-Amz-Executed-Version": {"3"}}}}
		}, nil, 200, "true", "", "application/json; charset=utf-8", `{}`, http.Header{"X-Amz-Executed-Version": {"3"}}},
		{"several backends: always 200", setup{backends: 2}, func() *proxy.Response {
			return &proxy.Response{Data: map[string]any{}, IsComplete: true, Metadata: proxy.Metadata{StatusCode: 201}}
		}, nil, 200, "true", "", "application/json; charset=utf-8", `{}`, nil},
		{"single backend partial: 200", setup{}, func() *proxy.Response {
			return &proxy.Response{Data: map[string]any{}, Metadata: proxy.Metadata{StatusCode: 201}}
		}, nil, 200, "false", "", "application/json; charset=utf-8", `{}`, nil},
		{"single backend non-2xx is not passed", setup{}, func() *proxy.Response {
			return &proxy.Response{Data: map[string]any{}, IsComplete: true, Metadata: proxy.Metadata{StatusCode: 302}}
		}, nil, 200, "true", "", "application/json; charset=utf-8", `{}`, nil},
		{"no-op passes the backend's status and headers, marked incomplete (as KrakenD marks it)", setup{endpoint: config.Endpoint{OutputEncoding: "no-op", CacheTTL: time.Second}}, func() *proxy.Response {
			return &proxy.Response{IsComplete: true, Body: io.NopCloser(strings.NewReader("raw")),
				Metadata: proxy.Metadata{StatusCode: 418, Headers: http.Header{"Content-Type": {"x/y"}, "X-B": {"1"}}}}
		}, nil, 418, "false", "", "x/y", `raw`, http.Header{"X-B": {"1"}}},
		{"no-op keeps the backend's Cache-Control, not cache_ttl's", setup{endpoint: config.Endpoint{OutputEncoding: "no-op", CacheTTL: time.Minute}}, func() *proxy.Response {
			return &proxy.Response{IsComplete: true, Body: io.NopCloser(strings.NewReader("raw")),
				Metadata: proxy.Metadata{StatusCode: 200, Headers: http.Header{"Cache-Control": {"no-store"}}}}
		}, nil, 200, "false", "no-store", "", `raw`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			do := build(t, tt.setup, &recorder{resp: tt.resp, err: tt.err})
			w := do(httptest.NewRequest("GET", "/test", nil))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			h := w.Header()
			if got := h.Get("X-Krakend-Completed"); got != tt.completed {
				t.Errorf("X-Krakend-Completed = %q, want %q", got, tt.completed)
			}
			if got := h.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if got := h.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
			}
			if got := w.Body.String(); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			for k := range tt.header {
				if got := h.Get(k); got != tt.header.Get(k) {
					t.Errorf("%s = %q, want %q", k, got, tt.header.Get(k))
				}
			}
		})
	}
}

func TestTimeoutBoundsPipeline(t *testing.T) {
	t.Parallel()
	var deadline time.Time
	h, err := New(Options{
		Endpoint: &config.Endpoint{Method: "GET", Path: "/t", Timeout: 150 * time.Millisecond, OutputEncoding: "json"},
		Pipeline: func(ctx context.Context, _ *proxy.Request) (*proxy.Response, error) {
			deadline, _ = ctx.Deadline()
			<-ctx.Done()
			return nil, ctx.Err()
		},
		Backends: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/t", nil), nil)
	if d := deadline.Sub(start); d < 100*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("pipeline deadline %v after start, want about 150ms", d)
	}
	if w.Code != 500 {
		t.Errorf("status = %d, want 500", w.Code)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	for _, disabled := range []bool{false, true} {
		buf.Reset()
		h, _ := New(Options{
			Endpoint: &config.Endpoint{Method: "GET", Path: "/users/{id}", Params: []string{"id"}, Timeout: time.Second, OutputEncoding: "json"},
			Pipeline: (&recorder{resp: okData(`{}`)}).pipeline, Backends: 1, Logger: logger, DisableAccessLog: disabled,
		})
		h(httptest.NewRecorder(), httptest.NewRequest("GET", "/users/1", nil), []string{"1"})
		line := buf.String()
		if disabled {
			if line != "" {
				t.Errorf("access log disabled, got %q", line)
			}
			continue
		}
		for _, part := range []string{"level=INFO", "msg=request", "method=GET", "path=/users/1", `route="GET /users/{id}"`, "status=200", "outcome=complete"} {
			if !strings.Contains(line, part) {
				t.Errorf("access log %q lacks %q", line, part)
			}
		}
	}
}

func TestNewUnknownEncoding(t *testing.T) {
	t.Parallel()
	_, err := New(Options{Endpoint: &config.Endpoint{OutputEncoding: "fast-json"}})
	if err == nil {
		t.Error("New accepted output_encoding fast-json")
	}
}
