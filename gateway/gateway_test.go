package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

var quiet = slog.New(slog.DiscardHandler)

func parse(t *testing.T, src string) *config.Service {
	t.Helper()
	s, _, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return s
}

// backendServer starts an HTTP backend on 127.0.0.1 with the given routes.
func backendServer(t *testing.T, routes map[string]http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range routes {
		mux.HandleFunc(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeAWSCredentials gives the test's Lambda backends credentials (no
// signature is checked by the fake Invoke servers) and no instance
// metadata lookups.
func fakeAWSCredentials(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
}

func jsonReply(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", target, nil)
	h.ServeHTTP(w, r)
	return w
}

func TestNewReportsEveryError(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["127.0.0.1:1"],
		"extra_config": {"router": {"health_path": "health"}},
		"endpoints": [
			{"endpoint": "/a/{id}", "backend": [{"url_pattern": "/u/{user}"}]},
			{"endpoint": "/b", "extra_config": {"proxy": {"static": {"data": {}}, "sequentail": true}},
			 "backend": [{"url_pattern": "/x"}]},
			{"endpoint": "/c", "backend": [{"url_pattern": "/x", "host": ["http://"]},
				{"url_pattern": "/y/{resp0_id}", "extra_config": {"backend/http": {"return_error_code": 1}}}]},
			{"endpoint": "/ok", "backend": [{"url_pattern": "/x"}]}
		]}`)
	g, _, err := New(cfg, Options{Logger: quiet})
	if g != nil || err == nil {
		t.Fatalf("New = %v, %v; want an error", g, err)
	}
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, want config.Errors", err)
	}
	want := []string{
		`extra_config.router.health_path: "health" must start with /`,
		`endpoints[0].backend[0].url_pattern: placeholder {user} is not in the endpoint path /a/{id}`,
		`endpoints[1].extra_config.proxy.sequentail: unknown key (check its spelling against the documentation)`,
		`endpoints[2].backend[0].host: "http://" is not a host: write host[:port] or scheme://host[:port]`,
		`endpoints[2].backend[1].extra_config["backend/http"].return_error_code: must be true or false, got a JSON number`,
		`endpoints[2].backend[1].url_pattern: placeholder {resp0_id} reads an earlier backend's response, which needs the endpoint's extra_config.proxy.sequential: true`,
	}
	got := strings.Split(err.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors =\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestNewRefusesUnsupportedProxyOptions(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["h"], "endpoints": [
		{"endpoint": "/b", "extra_config": {"proxy": {"static": {}, "flatmap_filter": [], "combiner": "x"}}, "backend": [{"url_pattern": "/x"}]}]}`)
	_, _, err := New(cfg, Options{Logger: quiet})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	sortStrings(lines)
	const tail = ": is not supported by lambdagate yet; remove it (ignoring it would change the responses)"
	want := []string{
		"endpoints[0].extra_config.proxy.combiner" + tail,
		`endpoints[0].extra_config.proxy.static.data: is missing: give the object whose keys are added to the response, such as {"source": "cache"}`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestNewWarnings(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["h"],
		"extra_config": {"telemetry/metrics": {}, "router": {"max_multipart_memory": 1024}},
		"endpoints": [{"endpoint": "/a", "extra_config": {"documentation/openapi": {}, "proxy": {}},
			"backend": [{"url_pattern": "/x", "extra_config": {"telemetry/opentelemetry": {}, "backend/http": {}}}]}]}`)
	g, warns, err := New(cfg, Options{Logger: quiet})
	if err != nil || g == nil {
		t.Fatal(err)
	}
	want := []string{
		`extra_config.router.max_multipart_memory: not supported by lambdagate, ignored`,
		`extra_config: namespace "telemetry/metrics" is not implemented by lambdagate and is ignored (KrakenD's own metrics collector and stats server)`,
		`endpoints[0].extra_config: namespace "documentation/openapi" is not implemented by lambdagate and is ignored (OpenAPI documentation export)`,
		`endpoints[0].backend[0].extra_config: namespace "telemetry/opentelemetry" is not implemented here and is ignored (endpoint and backend overrides; lambdagate reads it on the service)`,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings =\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
}

// A namespace that protects endpoints or changes responses, which
// lambdagate does not implement, stops the gateway at any level: served
// without it, GET /api/private would answer anyone.
func TestNewRefusesUnimplementedNamespaces(t *testing.T) {
	t.Parallel()
	const (
		unprotected = "the gateway would serve the endpoint unprotected"
		everyOpen   = "the gateway would serve every endpoint unprotected"
		differently = "the gateway would answer differently from KrakenD"
	)
	tests := []struct {
		name                       string
		service, endpoint, backend string // extra_config objects
		path, says                 string
	}{
		{"JWT validation on a backend", `{}`, `{}`, `{"auth/validator": {"alg": "RS256", "jwk_url": "https://idp/jwks"}}`,
			`endpoints[0].backend[0].extra_config["auth/validator"]`, unprotected},
		{"API keys on an endpoint", `{}`, `{"auth/api-keys": {"roles": ["admin"]}}`, `{}`,
			`endpoints[0].extra_config["auth/api-keys"]`, unprotected},
		{"CORS on an endpoint", `{}`, `{"security/cors": {"allow_origins": ["https://example.com"]}}`, `{}`,
			`endpoints[0].extra_config["security/cors"]`, unprotected},
		{"legacy HTTP security on an endpoint", `{}`, `{"github_com/devopsfaith/krakend-httpsecure": {"allowed_hosts": ["a"]}}`, `{}`,
			`endpoints[0].extra_config["github_com/devopsfaith/krakend-httpsecure"]`, unprotected},
		{"endpoint rate limit on a backend", `{}`, `{}`, `{"qos/ratelimit/router": {"max_rate": 1}}`,
			`endpoints[0].backend[0].extra_config["qos/ratelimit/router"]`, unprotected},
		{"backend rate limit on an endpoint", `{}`, `{"github.com/devopsfaith/krakend-ratelimit/juju/proxy": {"max_rate": 1}}`, `{}`,
			`endpoints[0].extra_config["github.com/devopsfaith/krakend-ratelimit/juju/proxy"]`, unprotected},
		{"endpoint rate limit on the service", `{"qos/ratelimit/router": {"max_rate": 1}}`, `{}`, `{}`,
			`extra_config["qos/ratelimit/router"]`, everyOpen},
		{"service redis rate limit on an endpoint", `{}`, `{"qos/ratelimit/service/redis": {"max_rate": 1}}`, `{}`,
			`endpoints[0].extra_config["qos/ratelimit/service/redis"]`, unprotected},
		{"plugin on the service", `{"plugin/http-server": {"name": ["ip-filter"]}}`, `{}`, `{}`,
			`extra_config["plugin/http-server"]`, everyOpen},
		{"plugin on a backend", `{}`, `{}`, `{"plugin/req-resp-modifier": {"name": ["x"]}}`,
			`endpoints[0].backend[0].extra_config["plugin/req-resp-modifier"]`, unprotected},
		{"bot detector on a backend", `{}`, `{}`, `{"security/bot-detector": {"deny": ["x"]}}`,
			`endpoints[0].backend[0].extra_config["security/bot-detector"]`, unprotected},
		{"unknown auth namespace", `{}`, `{"auth/something-new": {}}`, `{}`,
			`endpoints[0].extra_config["auth/something-new"]`, "could serve the endpoint unprotected"},
		{"jmespath on a backend", `{}`, `{}`, `{"modifier/jmespath": {}}`,
			`endpoints[0].backend[0].extra_config["modifier/jmespath"]`, differently},
		{"martian on an endpoint", `{}`, `{"modifier/martian": {}}`, `{}`,
			`endpoints[0].extra_config["modifier/martian"]`, differently},
		{"gRPC backend", `{}`, `{}`, `{"backend/grpc": {}}`,
			`endpoints[0].backend[0].extra_config["backend/grpc"]`, differently},
		{"proxy on the service", `{"proxy": {"sequential": true}}`, `{}`, `{}`,
			`extra_config.proxy`, differently},
		{"legacy router name", `{"github_com/luraproject/lura/router/gin": {"return_error_msg": true}}`, `{}`, `{}`,
			`extra_config["github_com/luraproject/lura/router/gin"]`, `rename it "router"`},
		{"legacy circuit breaker name", `{}`, `{}`, `{"github.com/devopsfaith/krakend-circuitbreaker/gobreaker": {"interval": 60, "timeout": 10, "max_errors": 1}}`,
			`endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-circuitbreaker/gobreaker"]`, `rename it "qos/circuit-breaker"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "extra_config": `+tt.service+`,
				"endpoints": [{"endpoint": "/api/private", "extra_config": `+tt.endpoint+`,
					"backend": [{"url_pattern": "/private", "extra_config": `+tt.backend+`}]}]}`)
			g, _, err := New(cfg, Options{Logger: quiet})
			if err == nil || g != nil {
				t.Fatalf("New = %v, %v; want the namespace refused", g, err)
			}
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("error = %v, want one config.Error", err)
			}
			if errs[0].Path != tt.path || !strings.Contains(errs[0].Msg, tt.says) {
				t.Errorf("error = %v\nwant at %s, saying %q", errs[0], tt.path, tt.says)
			}
		})
	}
}

// The namespaces lambdagate implements are read by their owners and never
// reported, legacy names included.
func TestNewImplementedNamespacesNotReported(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"],
		"extra_config": {"router": {"return_error_msg": true}, "lambdagate/server": {"engine": "net/http"},
			"github_com/devopsfaith/krakend-cors": {}, "security/http": {"frame_deny": true}},
		"endpoints": [{"endpoint": "/a", "extra_config": {"proxy": {"sequential": true}, "qos/ratelimit/router": {"max_rate": 10}},
			"backend": [
				{"url_pattern": "/x", "extra_config": {"backend/http": {"return_error_code": true},
					"qos/circuit-breaker": {"interval": 60, "timeout": 10, "max_errors": 1}, "qos/ratelimit/proxy": {"max_rate": 5}}},
				{"url_pattern": "/y", "extra_config": {"github.com/devopsfaith/krakend-lambda": {"function_name": "f", "endpoint": "http://127.0.0.1:1"}}},
				{"url_pattern": "/z", "extra_config": {"backend/lambda": {"function_name": "g", "endpoint": "http://127.0.0.1:1"},
					"github.com/devopsfaith/krakend-ratelimit/juju/proxy": {"max_rate": 5}}}]},
			{"endpoint": "/b", "extra_config": {"github.com/devopsfaith/krakend-ratelimit/juju/router": {"client_max_rate": 1, "strategy": "ip"}},
				"backend": [{"url_pattern": "/x"}]}]}`)
	g, warns, err := New(cfg, Options{Logger: quiet})
	if err != nil || g == nil {
		t.Fatal(err)
	}
	defer g.Close()
	if len(warns) != 0 {
		t.Errorf("warnings = %q, want none", warns)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		router string
		path   string
		status int
	}{
		{"default", `{}`, "/__health", 200},
		{"moved", `{"health_path": "/status"}`, "/status", 200},
		{"moved: old path gone", `{"health_path": "/status"}`, "/__health", 404},
		{"disabled", `{"disable_health": true}`, "/__health", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, `{"version": 3, "extra_config": {"router": `+tt.router+`}}`)
			g, _, err := New(cfg, Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			before := time.Now().Truncate(time.Second)
			w := get(t, g.Handler(), tt.path)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if len(body) != 3 || body["status"] != "ok" || !reflect.DeepEqual(body["agents"], map[string]any{}) {
				t.Errorf("body = %s", w.Body.String())
			}
			now, err := time.Parse(time.RFC3339, body["now"].(string))
			if err != nil || now.Before(before) || now.After(time.Now().Add(time.Second)) {
				t.Errorf("now = %v, %v", body["now"], err)
			}
		})
	}
}

func TestPipelineThroughGateway(t *testing.T) {
	t.Parallel()
	host := backendServer(t, map[string]http.HandlerFunc{
		"/user/{id}": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"id": ` + r.PathValue("id") + `, "name": "ann", "shared": "user", "big": 12345678901234567890}`))
		},
		"/posts": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[{"t": "p1"}, {"t": "p2"}]`))
		},
		"/shared": jsonReply(`{"shared": "second"}`),
		"/down":   func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) },
		"/slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			w.Write([]byte(`{"slow": true}`))
		},
		"/by-name/{name}": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"profile": "` + r.PathValue("name") + `"}`))
		},
	})
	cfg := parse(t, `{"version": 3, "host": ["`+host+`"], "cache_ttl": "30s",
		"extra_config": {"router": {"return_error_msg": true}},
		"endpoints": [
			{"endpoint": "/merged/{id}", "backend": [
				{"url_pattern": "/user/{id}", "allow": ["id", "name", "shared", "big"]},
				{"url_pattern": "/posts", "is_collection": true, "mapping": {"collection": "posts"}},
				{"url_pattern": "/shared"}]},
			{"endpoint": "/partial", "backend": [{"url_pattern": "/user/1", "group": "u"}, {"url_pattern": "/down"}]},
			{"endpoint": "/timeout", "timeout": "200ms", "backend": [{"url_pattern": "/user/2", "group": "u"}, {"url_pattern": "/slow"}]},
			{"endpoint": "/failed", "backend": [{"url_pattern": "/down"}, {"url_pattern": "/slow"}], "timeout": "100ms"},
			{"endpoint": "/seq/{id}", "extra_config": {"proxy": {"sequential": true}}, "backend": [
				{"url_pattern": "/user/{id}", "group": "user"},
				{"url_pattern": "/by-name/{resp0_user.name}"}]},
			{"endpoint": "/seq-title/{id}", "extra_config": {"proxy": {"sequential": true}}, "backend": [
				{"url_pattern": "/user/{Id}", "group": "user", "allow": ["name"]},
				{"url_pattern": "/by-name/{Resp0_user.name}"}]}
		]}`)
	g, warns, err := New(cfg, Options{Logger: quiet})
	if err != nil || len(warns) != 0 {
		t.Fatalf("New: %v %q", err, warns)
	}
	tests := []struct {
		path      string
		status    int
		completed string
		cache     string
		body      string
	}{
		{"/merged/7", 200, "true", "public, max-age=30",
			`{"big":12345678901234567890,"id":7,"name":"ann","posts":[{"t":"p1"},{"t":"p2"}],"shared":"second"}`},
		{"/partial", 200, "false", "", `{"u":{"big":12345678901234567890,"id":1,"name":"ann","shared":"user"}}`},
		{"/timeout", 200, "false", "", `{"u":{"big":12345678901234567890,"id":2,"name":"ann","shared":"user"}}`},
		{"/failed", 500, "false", "", ``},
		{"/seq-title/5", 200, "true", "public, max-age=30", `{"profile":"ann","user":{"name":"ann"}}`},
		{"/seq/5", 200, "true", "public, max-age=30", `{"profile":"ann","user":{"big":12345678901234567890,"id":5,"name":"ann","shared":"user"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			w := get(t, g.Handler(), tt.path)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.status, w.Body.String())
			}
			if got := w.Header().Get("X-Krakend-Completed"); got != tt.completed {
				t.Errorf("X-Krakend-Completed = %q, want %q", got, tt.completed)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if tt.status == 500 {
				if !strings.HasPrefix(w.Body.String(), "backend ") {
					t.Errorf("return_error_msg body = %q", w.Body.String())
				}
				return
			}
			if got := w.Body.String(); got != tt.body {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
		})
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	host := backendServer(t, map[string]http.HandlerFunc{"/ok": jsonReply(`{"ok": true}`)})
	cfg := parse(t, `{"version": 3, "host": ["`+host+`"], "endpoints": [
		{"endpoint": "/panic", "backend": [{"url_pattern": "/x", "extra_config": {"test/panic": {}}}]},
		{"endpoint": "/ok", "backend": [{"url_pattern": "/ok"}]}]}`)
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	g, _, err := New(cfg, Options{Logger: logger, Kinds: []backend.NewKind{kindtest.Panicking("boom")}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	for i := range 2 {
		resp, err := http.Get(srv.URL + "/panic")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 500 {
			t.Errorf("panic %d: status %d, want 500", i, resp.StatusCode)
		}
		resp, err = http.Get(srv.URL + "/ok")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != `{"ok": true}` {
			t.Errorf("after panic %d: %d %s", i, resp.StatusCode, b)
		}
	}
	if !regexp.MustCompile(`msg="panic serving a request" method=GET path=/panic request_id=[0-9a-f]{32} panic=boom stack=`).MatchString(logs.String()) {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
}

func TestServeGraceful(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	host := backendServer(t, map[string]http.HandlerFunc{
		"/slow": func(w http.ResponseWriter, _ *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			w.Write([]byte(`{"done": true}`))
		},
	})
	cfg := parse(t, `{"version": 3, "listen_ip": "127.0.0.1", "port": 0, "host": ["`+host+`"],
		"endpoints": [{"endpoint": "/slow", "timeout": "3s", "backend": [{"url_pattern": "/slow"}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := g.Listen()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("listening on %s", addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()
	<-started
	cancel()
	r := <-got
	if r.err != nil || r.status != 200 || r.body != `{"done": true}` {
		t.Errorf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still accepting connections after shutdown")
	}
}

func TestServeShutdownBound(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	host := backendServer(t, map[string]http.HandlerFunc{
		"/stuck": func(w http.ResponseWriter, r *http.Request) {
			close(started)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
	})
	defer close(release)
	cfg := parse(t, `{"version": 3, "listen_ip": "127.0.0.1", "port": 0, "host": ["`+host+`"], "max_shutdown_wait_time": "100ms",
		"endpoints": [{"endpoint": "/stuck", "timeout": "10s", "backend": [{"url_pattern": "/stuck"}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := g.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx, ln) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	start := time.Now()
	cancel()
	err = <-served
	if err == nil || err.Error() != "requests still in flight after 100ms (max_shutdown_wait_time) were cut" {
		t.Errorf("Serve = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

func TestListenBusyPort(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	cfg := parse(t, `{"version": 3, "listen_ip": "127.0.0.1"}`)
	cfg.Port = port
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Listen(); err == nil || !strings.Contains(err.Error(), "is another process using the port? change port, or run with --port") {
		t.Errorf("Listen on a busy port: %v", err)
	}
}

func TestDrainDefaultsToLongestTimeout(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["h"], "endpoints": [
		{"endpoint": "/a", "timeout": "3s", "backend": [{"url_pattern": "/x"}]},
		{"endpoint": "/b", "timeout": "7s", "backend": [{"url_pattern": "/x"}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if g.drain != 7*time.Second {
		t.Errorf("drain = %v, want 7s", g.drain)
	}
}

func TestRouterNamespace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		router string
		method string
		path   string
		status int
	}{
		{"trailing slash redirect", `{}`, "GET", "/a/", 301},
		{"trailing slash off", `{"disable_redirect_trailing_slash": true}`, "GET", "/a/", 404},
		{"case redirect", `{}`, "GET", "/A", 301},
		{"case off", `{"disable_redirect_fixed_path": true}`, "GET", "/A", 404},
		{"405", `{}`, "POST", "/a", 405},
		{"405 off", `{"disable_handle_method_not_allowed": true}`, "POST", "/a", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, `{"version": 3, "host": ["h"], "extra_config": {"router": `+tt.router+`},
				"endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/x"}]}]}`)
			g, _, err := New(cfg, Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			g.Handler().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
		})
	}
}

// TestNewOnPartialConfig builds gateways from the partial Service Parse
// returns with errors, as check does: New must report, never panic.
func TestNewOnPartialConfig(t *testing.T) {
	t.Parallel()
	srcs := []string{
		`{"version": 3, "endpoints": [{"backend": [{"url_pattern": "/x", "host": ["h"]}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "a/{", "method": "FETCH", "timeout": "0s", "backend": [{"url_pattern": "/x/{", "host": ["h"]}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/a", "backend": [{"host": ["h"], "encoding": "xml", "sd": "dns"}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/a", "output_encoding": "xml", "backend": [{"url_pattern": "/x", "host": ["h"], "sd": "dns"}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/a"}, {"endpoint": "/a", "backend": [1, {"url_pattern": "/x"}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/a", "output_encoding": "no-op", "backend": [{"url_pattern": "/x", "host": ["h"]}, {"url_pattern": "/y", "host": ["h"]}]}]}`,
		`{"version": 3, "extra_config": {"router": 1}, "endpoints": [{"endpoint": "/a", "extra_config": {"proxy": []}, "backend": [{"url_pattern": "/x", "host": ["h"]}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/{a}/{a}", "backend": [{"url_pattern": "/{a}", "host": ["h"]}]}]}`,
	}
	for _, src := range srcs {
		cfg, _, perr := config.Parse([]byte(src))
		if cfg == nil {
			t.Fatalf("%s: Parse = nil, %v; want a (partial) Service", src, perr)
		}
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s: New panicked: %v", src, v)
				}
			}()
			if g, _, err := New(cfg, Options{Logger: quiet}); perr == nil && (g != nil || err == nil) {
				t.Errorf("%s: New accepted it", src)
			}
		}()
	}
}

func TestServerEngineOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ns, want, err string
	}{
		{``, EngineFast, ""},
		{`"lambdagate/server": {"engine": "net/http"}`, EngineNetHTTP, ""},
		{`"lambdagate/server": {"engine": "fasthttp"}`, EngineFast, ""},
		{`"lambdagate/server": {"engine": "h2c"}`, "", `extra_config["lambdagate/server"].engine: "h2c" is not an engine`},
		{`"lambdagate/server": {"engin": "net/http"}`, "", `extra_config["lambdagate/server"]`},
	} {
		cfg, _, err := config.Parse([]byte(`{"version": 3, "extra_config": {` + tc.ns + `}, "endpoints": []}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.ns, err)
		}
		g, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.ns, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.ns, err)
		}
		if g.engine != tc.want {
			t.Errorf("%s: engine %q, want %q", tc.ns, g.engine, tc.want)
		}
	}
}

func TestHeaderBufferWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cfg string
		warn      bool
	}{
		{"default", `{"version": 3, "endpoints": []}`, false},
		{"64 KiB", `{"version": 3, "max_header_bytes": 65536, "endpoints": []}`, false},
		{"1 MiB", `{"version": 3, "max_header_bytes": 1048576, "endpoints": []}`, true},
		{"1 MiB, net/http", `{"version": 3, "max_header_bytes": 1048576, "extra_config": {"lambdagate/server": {"engine": "net/http"}}, "endpoints": []}`, false},
	} {
		cfg, _, err := config.Parse([]byte(tc.cfg))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, warns, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := false
		for _, w := range warns {
			if strings.HasPrefix(w, "max_header_bytes: 1048576 bytes is the read buffer") && strings.Contains(w, `"net/http"`) {
				got = true
			}
		}
		if got != tc.warn {
			t.Errorf("%s: warning %v, want %v (warnings: %q)", tc.name, got, tc.warn, warns)
		}
	}
}

// TestHeaderSpellingPartialWarning: an apigateway_v1 Lambda backend on a
// server that canonicalises HTTP/1.1 header names (net/http over TLS) is
// warned about as partial; on fasthttp, on net/http over plain HTTP/1.1
// (recorded by package h1names), or with payload 2.0 (lower-cased
// anyway), it is not. Only a backend showing the spelling makes the
// server record it.
func TestHeaderSpellingPartialWarning(t *testing.T) {
	pem := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(pem, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	for _, tc := range []struct {
		name, server, tls, format string
		warn, record              bool // the partial warning; the server records names (h1names)
	}{
		{"fasthttp, 1.0", `{}`, ``, "apigateway_v1", false, true},
		{"net/http, 1.0", `{"engine": "net/http"}`, ``, "apigateway_v1", false, true},
		{"net/http over TLS, 1.0", `{"engine": "net/http"}`, `"tls": {"public_key": "` + pem + `", "private_key": "` + pem + `"}, `, "apigateway_v1", true, true},
		{"net/http, 2.0", `{"engine": "net/http"}`, ``, "apigateway_v2", false, false},
		{"net/http, krakend", `{"engine": "net/http"}`, ``, "krakend", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(`{"version": 3, ` + tc.tls + `"extra_config": {"lambdagate/server": ` + tc.server + `},
				"endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/",
				"extra_config": {"backend/lambda": {"function_name": "f", "payload_format": "` + tc.format + `"}}}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			g, warns, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), LocalLambdaURL: "http://127.0.0.1:1"})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if g.wireNames != tc.record {
				t.Errorf("records header names: %v, want %v", g.wireNames, tc.record)
			}
			got := false
			for _, w := range warns {
				if strings.HasPrefix(w, `endpoints[0].backend[0].extra_config["backend/lambda"].payload_format: partial: `) {
					got = true
				}
			}
			if got != tc.warn {
				t.Errorf("partial warning %v, want %v (warnings: %q)", got, tc.warn, warns)
			}
		})
	}
}
