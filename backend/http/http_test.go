package http

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// seen is what a test server was asked.
type seen struct {
	method, uri, host string
	header            http.Header
	body              string
}

// newServer starts a backend on 127.0.0.1 that records each request and
// answers with reply.
func newServer(t *testing.T, reply http.HandlerFunc) (*httptest.Server, func() []seen) {
	t.Helper()
	var (
		mu  sync.Mutex
		log []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		log = append(log, seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(b)})
		mu.Unlock()
		if reply != nil {
			reply(w, r)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), log...)
	}
}

func newTransport(t *testing.T, e *config.Endpoint, b *config.Backend, sequential bool) proxy.Proxy {
	t.Helper()
	if b.JSONPath == "" {
		b.JSONPath = "endpoints[0].backend[0]"
	}
	if b.Method == "" {
		b.Method = "GET"
	}
	if b.Encoding == "" {
		b.Encoding = "json"
	}
	p, ok, err := build(backend.Spec{Endpoint: e, Backend: b, Sequential: sequential})
	if !ok || err != nil {
		t.Fatalf("build = %v, %v", ok, err)
	}
	return p
}

// newPipeline is the whole pipeline of an HTTP backend (its request filter
// included), with encoding no-op so that the reply's body is left to read.
func newPipeline(t *testing.T, e *config.Endpoint, b *config.Backend) proxy.Proxy {
	t.Helper()
	b.JSONPath, b.Encoding = "endpoints[0].backend[0]", "no-op"
	if b.Method == "" {
		b.Method = "GET"
	}
	k, err := NewKind(backend.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := backend.Build(backend.Spec{Endpoint: e, Backend: b}, []backend.Kind{k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readBody(t *testing.T, r *proxy.Response) string {
	t.Helper()
	if r.Body == nil {
		return ""
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestURLFilling(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, nil)
	tests := []struct {
		name      string
		endpoint  string
		params    []string
		pattern   string
		reqParams proxy.Params
		query     url.Values
		backendQS []string
		want      string
	}{
		{"static", "/a", nil, "/x/y", nil, nil, nil, "/x/y"},
		{"exact name", "/a/{id}", []string{"id"}, "/users/{id}", proxy.Params{"7"}, nil, nil, "/users/7"},
		{"title-cased name", "/a/{foo_bar}", []string{"foo_bar"}, "/u/{Foo_bar}/{foo_bar}",
			proxy.Params{"v"}, nil, nil, "/u/v/v"},
		{"inside a segment", "/a/{id}", []string{"id"}, "/u/item-{id}.json", proxy.Params{"7"}, nil, nil, "/u/item-7.json"},
		{"escaped value", "/a/{id}", []string{"id"}, "/u/{id}", proxy.Params{"a b/c?d"}, nil, nil, "/u/a%20b%2Fc%3Fd"},
		{"query part", "/a/{id}", []string{"id"}, "/u?id={id}&k=v", proxy.Params{"a&b"}, nil, nil, "/u?id=a%26b&k=v"},
		{"forwarded query sorted, repeated kept", "/a", nil, "/u", nil,
			url.Values{"z": {"1"}, "a": {"2", "3"}, "sp ace": {"x y"}}, nil, "/u?a=2&a=3&sp+ace=x+y&z=1"},
		{"forwarded query after the pattern's", "/a/{id}", []string{"id"}, "/u?id={id}", proxy.Params{"1"},
			url.Values{"q": {"s"}}, nil, "/u?id=1&q=s"},
		{"backend narrows query strings", "/a", nil, "/u", nil,
			url.Values{"keep": {"1"}, "drop": {"2"}}, []string{"keep"}, "/u?keep=1"},
		{"backend star query strings", "/a", nil, "/u", nil,
			url.Values{"keep": {"1"}, "b": {"2"}}, []string{"*"}, "/u?b=2&keep=1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &config.Endpoint{Path: tt.endpoint, Params: tt.params}
			p := newPipeline(t, e, &config.Backend{URLPattern: tt.pattern, Host: []string{srv.URL}, InputQueryStrings: tt.backendQS})
			resp, err := p(context.Background(), &proxy.Request{Params: tt.reqParams, Query: tt.query, Headers: http.Header{}})
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			got := log()
			if len(got) != i+1 {
				t.Fatalf("server saw %d requests, want %d", len(got), i+1)
			}
			if got[i].uri != tt.want {
				t.Errorf("backend URI = %q, want %q", got[i].uri, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	e := &config.Endpoint{Path: "/a/{id}", Params: []string{"id"}}
	tests := []struct {
		name       string
		pattern    string
		sequential bool
		index      int
		want       string
	}{
		{"not in path", "/u/{user}", false, 0, "endpoints[0].backend[0].url_pattern: placeholder {user} is not in the endpoint path /a/{id}"},
		{"in query", "/u?x={user}", false, 0, "endpoints[0].backend[0].url_pattern: placeholder {user} is not in the endpoint path /a/{id}"},
		{"two missing", "/u/{a}/{id}/{b}", false, 0,
			"endpoints[0].backend[0].url_pattern: placeholder {a} is not in the endpoint path /a/{id}; placeholder {b} is not in the endpoint path /a/{id}"},
		{"resp without sequential", "/u/{resp0_id}", false, 1,
			"endpoints[0].backend[0].url_pattern: placeholder {resp0_id} reads an earlier backend's response, which needs the endpoint's extra_config.proxy.sequential: true"},
		{"resp of itself", "/u/{resp1_id}", true, 1,
			"endpoints[0].backend[0].url_pattern: placeholder {resp1_id} reads backend 1, which is not called before this one (backend 1)"},
		{"resp of a later one", "/u/{Resp3_a.b}", true, 1,
			"endpoints[0].backend[0].url_pattern: placeholder {Resp3_a.b} reads backend 3, which is not called before this one (backend 1)"},
		{"unbalanced", "/u/{id", false, 0, `endpoints[0].backend[0].url_pattern: "/u/{id" has a { with no }`},
		{"claim without auth/validator", "/u/{JWT.sub}", false, 0,
			"endpoints[0].backend[0].url_pattern: placeholder {JWT.sub} reads a claim of the request's JWT, which needs the endpoint's extra_config auth/validator"},
		{"empty claim path", "/u/{JWT.a..b}", false, 0, "endpoints[0].backend[0].url_pattern: placeholder {JWT.a..b} is not in the endpoint path /a/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &config.Backend{URLPattern: tt.pattern, Host: []string{"h"}, JSONPath: "endpoints[0].backend[0]", Index: tt.index}
			_, ok, err := build(backend.Spec{Endpoint: e, Backend: b, Sequential: tt.sequential})
			if !ok {
				t.Fatal("the kind did not claim the backend")
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("error =\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
	// Accepted: an earlier backend's field on a sequential endpoint.
	for _, p := range []string{"/u/{resp0_id}", "/u/{Resp0_user.id}?x={resp0_a}", "/u/{Id}"} {
		b := &config.Backend{URLPattern: p, Host: []string{"h"}, JSONPath: "b", Index: 1}
		if _, _, err := build(backend.Spec{Endpoint: e, Backend: b, Sequential: true}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestSequentialParamFilled(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, nil)
	b := &config.Backend{URLPattern: "/u/{resp0_user.id}?n={Resp0_n}", Host: []string{srv.URL}, Index: 1}
	e := &config.Endpoint{Path: "/a", Backend: []*config.Backend{{URLPattern: "/"}, b}}
	p := newTransport(t, e, b, true)
	// The slots of config.Endpoint.Placeholders: resp0_user.id, resp0_n.
	resp, err := p(context.Background(), &proxy.Request{Params: proxy.Params{"42", "1.50"}, Headers: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if got := log()[0].uri; got != "/u/42?n=1.50" {
		t.Errorf("URI = %q", got)
	}
}

func TestSanitizeHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		hosts   []string
		disable bool
		want    []string
		wantErr string
	}{
		{[]string{"svc:8080"}, false, []string{"http://svc:8080"}, ""},
		{[]string{"https://svc/", "http://a:1//"}, false, []string{"https://svc", "http://a:1"}, ""},
		{[]string{"svc:8080/"}, true, []string{"svc:8080/"}, ""},
		{[]string{"http://"}, false, nil, `"http://" is not a host: write host[:port] or scheme://host[:port]`},
		{[]string{"ok", "a b:x"}, false, nil, `"a b:x" is not a host: write host[:port] or scheme://host[:port]`},
		{nil, false, nil, "no host: set host on the backend or on the service"},
	}
	for _, tt := range tests {
		got, err := sanitizeHosts(&config.Backend{Host: tt.hosts, DisableHostSanitize: tt.disable})
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("sanitizeHosts(%q) error = %v, want %q", tt.hosts, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("sanitizeHosts(%q) = %q, %v; want %q", tt.hosts, got, err, tt.want)
		}
	}
	// The error names the backend's host path.
	_, _, err := build(backend.Spec{Endpoint: &config.Endpoint{Path: "/a"}, Backend: &config.Backend{URLPattern: "/x", JSONPath: "endpoints[1].backend[2]"}})
	if err == nil || err.Error() != "endpoints[1].backend[2].host: no host: set host on the backend or on the service" {
		t.Errorf("no host error = %v", err)
	}
}

func TestHostWithoutScheme(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, nil)
	host := strings.TrimPrefix(srv.URL, "http://") + "/"
	p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{host}}, false)
	resp, err := p(context.Background(), &proxy.Request{Headers: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if got := log(); len(got) != 1 || got[0].uri != "/x" {
		t.Errorf("server saw %+v", got)
	}
}

func TestRoundRobin(t *testing.T) {
	t.Parallel()
	a, logA := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"s":"a"}`)) })
	b, logB := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"s":"b"}`)) })
	p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{a.URL, b.URL}}, false)
	var order []string
	for range 5 {
		resp, err := p(context.Background(), &proxy.Request{Headers: http.Header{}})
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, readBody(t, resp))
	}
	want := []string{`{"s":"a"}`, `{"s":"b"}`, `{"s":"a"}`, `{"s":"b"}`, `{"s":"a"}`}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("order = %q, want %q", order, want)
	}
	if len(logA()) != 3 || len(logB()) != 2 {
		t.Errorf("calls a=%d b=%d, want 3 and 2", len(logA()), len(logB()))
	}
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		w.Write(gzipped(`{"zipped":true}`))
	})
	tests := []struct {
		name     string
		encoding string
		headers  http.Header // the client's, forwarded
	}{
		{"Go's transport asked for gzip", "json", http.Header{}},
		{"the client asked for gzip", "json", http.Header{"Accept-Encoding": {"gzip"}}},
		{"no-op, the client asked for gzip", "no-op", http.Header{"Accept-Encoding": {"gzip"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{srv.URL}, Encoding: tt.encoding}, false)
			resp, err := p(context.Background(), &proxy.Request{Headers: tt.headers})
			if err != nil {
				t.Fatal(err)
			}
			if got := readBody(t, resp); got != `{"zipped":true}` {
				t.Errorf("body = %q", got)
			}
			if tt.encoding == "no-op" {
				h := resp.Metadata.Headers
				if h.Get("Content-Encoding") != "" || h.Get("Content-Length") != "" || h.Get("Content-Type") != "application/json" {
					t.Errorf("no-op headers = %v", h)
				}
			}
		})
	}
	if got := log(); got[1].header.Get("Accept-Encoding") != "gzip" {
		t.Errorf("forwarded Accept-Encoding = %q", got[1].header.Get("Accept-Encoding"))
	}
}

func TestBadGzip(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("not gzip at all"))
	})
	p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{srv.URL}, JSONPath: "endpoints[0].backend[0]"}, false)
	_, err := p(context.Background(), &proxy.Request{Headers: http.Header{"Accept-Encoding": {"gzip"}}})
	if err == nil || err.Error() != "backend endpoints[0].backend[0]: gzip body: gzip: invalid header" {
		t.Errorf("err = %v", err)
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		noop   bool
		ok     bool
	}{
		{200, false, true}, {201, false, true},
		{202, false, false}, {204, false, false}, {400, false, false}, {404, false, false}, {500, false, false}, {503, false, false},
		{404, true, true}, {500, true, true}, {204, true, true},
	}
	for _, tt := range tests {
		srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("X-Backend", "yes")
			w.WriteHeader(tt.status)
			w.Write([]byte(`{"s":1}`))
		})
		enc := "json"
		if tt.noop {
			enc = "no-op"
		}
		p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/p", Host: []string{srv.URL}, Encoding: enc}, false)
		resp, err := p(context.Background(), &proxy.Request{Headers: http.Header{}})
		if tt.ok {
			if err != nil {
				t.Errorf("%d noop=%v: err %v", tt.status, tt.noop, err)
				continue
			}
			body := readBody(t, resp)
			wantBody := `{"s":1}`
			if tt.status == 204 {
				wantBody = ""
			}
			if resp.Metadata.StatusCode != tt.status || !resp.IsComplete || body != wantBody {
				t.Errorf("%d noop=%v: resp %+v body %q", tt.status, tt.noop, resp, body)
			}
			if tt.noop && resp.Metadata.Headers.Get("X-Backend") != "yes" {
				t.Errorf("%d no-op: headers %v", tt.status, resp.Metadata.Headers)
			}
			continue
		}
		var be *proxy.BackendError
		if resp != nil || !errors.As(err, &be) {
			t.Errorf("%d: resp %v err %T %v, want *proxy.BackendError", tt.status, resp, err, err)
			continue
		}
		wantBody := `{"s":1}`
		if tt.status == 204 {
			wantBody = ""
		}
		if be.StatusCode != tt.status || string(be.Body) != wantBody || be.ContentType != "application/problem+json" ||
			be.Backend != srv.URL+"/p" || be.Relay {
			t.Errorf("%d: BackendError %+v", tt.status, be)
		}
	}
}

func TestRequestSent(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, nil)
	in := http.Header{
		"Authorization": {"secret"}, "X-A": {"1", "2"}, "X-Forwarded-For": {"203.0.113.1"},
		"X-Forwarded-Host": {"gw"}, "User-Agent": {"lambdagate/t"}, "Content-Type": {"application/json"},
	}
	tests := []struct {
		name      string
		method    string
		headers   []string
		body      string
		wantBody  string
		wantHdr   []string // present
		wantNoHdr []string // absent
	}{
		{"post with all endpoint headers", "POST", nil, `{"x":1}`, `{"x":1}`,
			[]string{"Authorization", "X-A", "X-Forwarded-For", "X-Forwarded-Host", "Content-Type"}, nil},
		{"get sends no body", "GET", nil, `{"x":1}`, ``, []string{"Authorization"}, nil},
		{"backend narrows headers", "PUT", []string{"x-a"}, `b`, `b`,
			[]string{"X-A", "X-Forwarded-For", "X-Forwarded-Host"}, []string{"Authorization", "Content-Type"}},
		{"backend star", "DELETE", []string{"*"}, ``, ``, []string{"Authorization", "X-A"}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{srv.URL}, Method: tt.method, InputHeaders: tt.headers})
			resp, err := p(context.Background(), &proxy.Request{Headers: in, Body: []byte(tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			got := log()[i]
			if got.method != tt.method || got.body != tt.wantBody {
				t.Errorf("method %s body %q, want %s %q", got.method, got.body, tt.method, tt.wantBody)
			}
			if got.header.Get("User-Agent") != "lambdagate/t" {
				t.Errorf("User-Agent = %q", got.header.Get("User-Agent"))
			}
			for _, k := range tt.wantHdr {
				if !reflect.DeepEqual(got.header.Values(k), in.Values(k)) {
					t.Errorf("%s = %q, want %q", k, got.header.Values(k), in.Values(k))
				}
			}
			for _, k := range tt.wantNoHdr {
				if got.header.Get(k) != "" {
					t.Errorf("%s passed: %q", k, got.header.Get(k))
				}
			}
		})
	}
	if in.Get("X-A") != "1" || len(in) != 6 {
		t.Errorf("the request's headers were changed: %v", in)
	}
}

func TestHostHeader(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, nil)
	p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{srv.URL}}, false)
	resp, err := p(context.Background(), &proxy.Request{Headers: http.Header{"Host": {"virtual.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if got := log()[0]; got.host != "virtual.example" || got.header.Get("Host") != "" {
		t.Errorf("host = %q, header %v", got.host, got.header)
	}
}

func TestCallErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := srv.URL
	srv.Close()
	p := newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x?secret=1", Host: []string{dead}, JSONPath: "endpoints[0].backend[0]"}, false)
	_, err := p(context.Background(), &proxy.Request{Headers: http.Header{}})
	if err == nil || !strings.HasPrefix(err.Error(), "backend endpoints[0].backend[0]: calling "+dead+": ") || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	live, _ := newServer(t, nil)
	p = newTransport(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{live.URL}}, false)
	if _, err := p(ctx, &proxy.Request{Headers: http.Header{}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: err = %v", err)
	}
}

// FuzzFill fills url_patterns the config accepts with any values: it must
// never panic nor build a URL whose host is not the configured one.
func FuzzFill(f *testing.F) {
	f.Add("/users/{id}", "42", "ann", "q", "v")
	f.Add("/u/{id}?name={name}&x=1", "a/b?c#d", "@evil.com", "k&=", "v#")
	f.Add("//evil.com/{id}", "..", "", "", "")
	f.Add("/{Id}{name}", "%2F", "\x00", "a b", "\xff")
	f.Add("/x#{id}", "@h:1", "//", "?", "/")
	f.Add("/@{name}", "evil.com", "evil.com:80", "", "")
	e := &config.Endpoint{Path: "/e/{id}/{name}", Params: []string{"id", "name"}}
	const host = "http://backend.internal:8080"
	f.Fuzz(func(t *testing.T, pattern, id, name, qk, qv string) {
		if !strings.HasPrefix(pattern, "/") {
			return // the config refuses it
		}
		if _, err := config.URLPlaceholders(pattern); err != nil {
			return
		}
		tmpl, err := parseTemplate(pattern, e, false, 0)
		if err != nil {
			return
		}
		params := proxy.Params{id, name}
		var q url.Values
		if qk != "" {
			q = url.Values{qk: {qv}}
		}
		u, _ := tmpl.fill(host, params, q, nil)
		if !strings.HasPrefix(u, host+"/") {
			t.Fatalf("URL %q does not start with the host", u)
		}
		parsed, err := url.Parse(u)
		if err != nil {
			return // the request fails to build; nothing is sent
		}
		if parsed.Scheme != "http" || parsed.Host != "backend.internal:8080" || parsed.User != nil {
			t.Fatalf("URL %q goes to %q://%q (user %v)", u, parsed.Scheme, parsed.Host, parsed.User)
		}
		req, err := http.NewRequest("GET", u, nil)
		if err == nil && req.URL.Host != "backend.internal:8080" {
			t.Fatalf("request to %q", req.URL.Host)
		}
	})
}

// build builds spec's backend with an HTTP kind of default settings, and
// says whether the kind claims it.
func build(spec backend.Spec) (proxy.Proxy, bool, error) {
	k, err := NewKind(backend.Deps{})
	if err != nil {
		return nil, false, err
	}
	t, err := k.Build(spec)
	return t.Call, k.Claims(spec.Backend), err
}

func TestClaimFilling(t *testing.T) {
	t.Parallel()
	srv, log := newServer(t, nil)
	claims := map[string]any{
		"sub":   "user 1/2?x",
		"n":     float64(1234567890123),
		"f":     1.5,
		"admin": true,
		"org":   map[string]any{"id": "acme&co", "tags": []any{"a", "b"}},
		"roles": []any{"r0", "r1"},
		// a namespaced claim, as KrakenD CE's cel-7 spec sends
		"http://example.com/custom": "foobar",
		"org2":                      map[string]any{"a.b": "dotted"},
	}
	ext := config.NewExtraConfig("endpoints[0].extra_config", map[string]json.RawMessage{"auth/validator": json.RawMessage(`{}`)})
	tests := []struct {
		name    string
		pattern string
		claims  map[string]any
		want    string // the backend's URI; "" when the call fails with 400
	}{
		{"string, path-escaped", "/u/{JWT.sub}", claims, "/u/user%201%2F2%3Fx"},
		{"query-escaped", "/u?s={JWT.sub}&o={JWT.org.id}", claims, "/u?s=user+1%2F2%3Fx&o=acme%26co"},
		{"nested", "/o/{JWT.org.id}", claims, "/o/acme&co"},
		{"claim named by a URL", "/c/{JWT.http://example.com/custom}", claims, "/c/foobar"},
		{"nested key with a dot", "/c/{JWT.org2.a.b}", claims, "/c/dotted"},
		{"array index", "/r/{JWT.roles.1}/{JWT.org.tags.0}", claims, "/r/r1/a"},
		{"number and bool", "/n/{JWT.n}/{JWT.f}/{JWT.admin}", claims, "/n/1234567890123/1.5/true"},
		{"with a param", "/u/{id}/{JWT.sub}", claims, "/u/7/user%201%2F2%3Fx"},
		{"missing claim", "/u/{JWT.email}", claims, ""},
		{"missing nested", "/u/{JWT.org.name}", claims, ""},
		{"index out of range", "/u/{JWT.roles.2}", claims, ""},
		{"whole object", "/u/{JWT.org}", claims, ""},
		{"whole array", "/u/{JWT.roles}", claims, ""},
		{"no claims", "/u/{JWT.sub}", nil, ""},
	}
	sent := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &config.Endpoint{Path: "/a/{id}", Params: []string{"id"}, ExtraConfig: ext}
			p := newPipeline(t, e, &config.Backend{URLPattern: tt.pattern, Host: []string{srv.URL}})
			resp, err := p(context.Background(), &proxy.Request{Params: proxy.Params{"7"}, Claims: tt.claims, Headers: http.Header{}})
			if tt.want == "" {
				var se interface{ ClientStatus() int }
				if !errors.As(err, &se) || se.ClientStatus() != http.StatusBadRequest {
					t.Fatalf("err = %v, want a 400", err)
				}
				if len(log()) != sent {
					t.Error("the backend was called")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			sent++
			got := log()
			if len(got) != sent || got[sent-1].uri != tt.want {
				t.Errorf("backend URIs = %+v, want the last %q", got, tt.want)
			}
		})
	}
}

// TestBodyLength checks KrakenD's rule for a body's length: announced
// only when the endpoint forwards the client's Content-Length, else the
// body is sent chunked.
func TestBodyLength(t *testing.T) {
	t.Parallel()
	type seen struct {
		length   int64
		chunked  bool
		body     string
		lengthHd string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.ContentLength, len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked", string(b), r.Header.Get("Content-Length")}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		name    string
		headers http.Header
		want    seen
	}{
		{"Content-Length not forwarded: chunked", http.Header{}, seen{-1, true, `{"foo":"bar"}`, ""}},
		{"Content-Length forwarded: announced", http.Header{"Content-Length": {"13"}}, seen{13, false, `{"foo":"bar"}`, "13"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, &config.Endpoint{Path: "/a"}, &config.Backend{URLPattern: "/x", Host: []string{srv.URL}, Method: "POST"})
			resp, err := p(context.Background(), &proxy.Request{Headers: tt.headers, Body: []byte(`{"foo":"bar"}`)})
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			if s := <-got; s != tt.want {
				t.Errorf("backend saw %+v, want %+v", s, tt.want)
			}
		})
	}
}

// A request's URL (a Lua script's request:url(v)) replaces the url_pattern
// and the host; Transport.URL reads what the call would use, host picked
// as the round robin does.
func TestScriptURL(t *testing.T) {
	t.Parallel()
	a, logA := newServer(t, nil)
	b, logB := newServer(t, nil)
	k, err := NewKind(backend.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	tr, err := k.Build(backend.Spec{Endpoint: &config.Endpoint{Path: "/a/{id}", Params: []string{"id"}}, Backend: &config.Backend{URLPattern: "/x/{id}", Host: []string{a.URL, a.URL + "/"}, Method: "GET", Encoding: "json", JSONPath: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	req := &proxy.Request{Params: proxy.Params{"7"}, Query: url.Values{"q": {"1"}}, Headers: http.Header{}}
	if u, err := tr.URL(req); err != nil || u != a.URL+"/x/7?q=1" {
		t.Errorf("URL = %q, %v", u, err)
	}
	req.URL = b.URL + "/elsewhere?z=2"
	resp, err := tr.Call(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if got := logB(); len(got) != 1 || got[0].uri != "/elsewhere?z=2" || len(logA()) != 0 {
		t.Errorf("b saw %+v, a %+v", got, logA())
	}
	if u, _ := tr.URL(req); u != req.URL {
		t.Errorf("URL with one set = %q", u)
	}
}
