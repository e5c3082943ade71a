package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// KrakenD CE's Lua endpoints (tests/fixtures/krakend.json, specs lua_1
// and lua_2): a lua-proxy post script reshaping a collection, and a
// lua-backend pre script answering custom_error's status and body; and the
// order of the layers: lua-proxy around the endpoint's CEL checks, and
// lua-backend around the backend's.
func TestLuaKrakenDSpecs(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/collection") {
			w.Write([]byte(`[{"path":"/collection/1","i":1},{"path":"/collection/2","i":2}]`))
			return
		}
		w.Write([]byte(`{"path":"` + r.URL.Path + `","x_in":"` + r.Header.Get("X-In") + `"}`))
	}))
	defer srv.Close()
	h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"], "endpoints": [
		{"endpoint": "/lua/custom_error", "backend": [{"url_pattern": "/collection/", "is_collection": true,
			"extra_config": {"modifier/lua-backend": {"sources": ["testdata/collection.lua"], "pre": "json_error()"}}}]},
		{"endpoint": "/lua/collection", "backend": [{"url_pattern": "/collection/", "is_collection": true}],
		 "extra_config": {"modifier/lua-proxy": {"sources": ["testdata/collection.lua"], "post": "post_proxy(response.load())", "live": true, "allow_open_libs": true}}},
		{"endpoint": "/lua/order/{id}", "input_headers": ["X-In"],
		 "extra_config": {
			"modifier/lua-proxy": {"pre": "local r = request.load(); r:headers('X-In', 'set-by-lua')"},
			"validation/cel": [{"check_expr": "req_headers['X-In'] == ['set-by-lua']"}]},
		 "backend": [{"url_pattern": "/p/{id}",
			"extra_config": {
				"github.com/devopsfaith/krakend-lua/proxy/backend": {"pre": "local r = request.load(); r:params('Id', r:params('Id') .. '0')", "post": "response.load():data():set('lua', true)"},
				"validation/cel": [{"check_expr": "req_params.Id == '70'"}]}}]}
	]}`, nil)
	for _, c := range []struct {
		name, path, header string
		status             int
		body, ctype        string
		hits               int64
	}{
		{"lua_2: custom_error", "/lua/custom_error", "", 418, `{"msg":"I refuse to make any coffee, I am a teapot!"}`, "text/plain; charset=utf-8", 0},
		{"lua_1: post_proxy", "/lua/collection", "", 200, `{"paths":{"1":"/collection/1","2":"/collection/2"},"total":2}`, "application/json", 1},
		{"lua before CEL, at both levels", "/lua/order/7", "from-client", 200, `{"lua":true,"path":"/p/70","x_in":"set-by-lua"}`, "application/json", 1},
		{"a CEL check behind the script refuses", "/lua/order/8", "", 500, "", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := hits.Load()
			r := httptest.NewRequest(http.MethodGet, c.path, nil)
			if c.header != "" {
				r.Header.Set("X-In", c.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.body || !strings.HasPrefix(w.Header().Get("Content-Type"), c.ctype) {
				t.Errorf("%d %q (%s), want %d %q (%s)", w.Code, w.Body, w.Header().Get("Content-Type"), c.status, c.body, c.ctype)
			}
			if n := hits.Load() - before; n != c.hits {
				t.Errorf("backend calls = %d, want %d", n, c.hits)
			}
		})
	}
}

// A configuration with Lua modifiers starts with a warning naming them
// and saying the support is partial.
func TestLuaPartialWarning(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "endpoints": [
		{"endpoint": "/a", "extra_config": {"modifier/lua-proxy": {"pre": "x = 1"}}, "backend": [{"url_pattern": "/", "extra_config": {"modifier/lua-backend": {"post": "x = 2"}}}]},
		{"endpoint": "/b", "backend": [{"url_pattern": "/"}]}]}`)
	g, warns, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	want := `endpoints[0].extra_config["modifier/lua-proxy"], endpoints[0].backend[0].extra_config["modifier/lua-backend"]: Lua support is partial`
	if len(warns) != 1 || !strings.HasPrefix(warns[0], want) {
		t.Errorf("warnings = %q, want %q...", warns, want)
	}
	cfg = parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "endpoints": [{"endpoint": "/b", "backend": [{"url_pattern": "/"}]}]}`)
	g2, warns, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	if len(warns) != 0 {
		t.Errorf("no Lua, warnings %q", warns)
	}
}

func TestLuaStartupErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ endpoint, want string }{
		{`{"endpoint": "/a", "extra_config": {"modifier/lua-proxy": {"pre": "if then"}}, "backend": [{"url_pattern": "/"}]}`,
			`endpoints[0].extra_config["modifier/lua-proxy"].pre: Lua syntax error in pre: pre line:1`},
		{`{"endpoint": "/a", "backend": [{"url_pattern": "/", "extra_config": {"modifier/lua-backend": {"pre": "x()", "sourcez": []}}}]}`,
			`endpoints[0].backend[0].extra_config["modifier/lua-backend"].sourcez: unknown key`},
		{`{"endpoint": "/a", "backend": [{"url_pattern": "/", "extra_config": {"modifier/lua-proxy": {"pre": "x()"}}}]}`,
			`endpoints[0].backend[0].extra_config["modifier/lua-proxy"]`},
		{`{"endpoint": "/a", "extra_config": {"modifier/lua-endpoint": {"pre": "x()", "post": "y()"}}, "backend": [{"url_pattern": "/"}]}`,
			`endpoints[0].extra_config["modifier/lua-endpoint"]: post and skip_next do not apply`},
	} {
		cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "endpoints": [`+c.endpoint+`]}`)
		_, _, err := New(cfg, Options{Logger: quiet})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New = %v, want %q", err, c.want)
		}
	}
}

// modifier/lua-endpoint: the ctx object on the client's request, before
// the endpoint reads it.
func TestLuaEndpointCtx(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"path":"` + r.URL.Path + `","q":"` + r.URL.Query().Get("q") + `","h":"` + r.Header.Get("X-In") + `","m":"` + r.Method + `","b":` + strconv.Quote(string(b)) + `}`))
	}))
	defer srv.Close()
	h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"], "endpoints": [
		{"endpoint": "/e/{id}", "method": "POST", "input_headers": ["X-In"], "input_query_strings": ["q"],
		 "extra_config": {"github.com/devopsfaith/krakend-lua/router": {"pre": "local c = ctx.load(); if c:headers('X-Block') ~= '' then custom_error('blocked', 403) end; c:headers('X-In', c:method() .. c:host()); c:query('q', c:query('q') .. '!'); c:params('id', c:params('id') .. '0'); c:body(c:body() .. '+lua')"}},
		 "backend": [{"url_pattern": "/b/{id}"}]}
	]}`, nil)
	call := func(block bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/e/4?q=x", strings.NewReader("body"))
		r.Host = "gw.test"
		if block {
			r.Header.Set("X-Block", "1")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := call(false)
	if want := `{"path":"/b/40","q":"x!","h":"POSTgw.test","m":"POST","b":"body+lua"}`; w.Code != 200 || strings.TrimSpace(w.Body.String()) != want {
		t.Errorf("%d %s, want %s", w.Code, w.Body, want)
	}
	if w := call(true); w.Code != 403 || w.Body.String() != "blocked" {
		t.Errorf("custom_error: %d %q", w.Code, w.Body)
	}
}

// http_response through the gateway: a lua-proxy pre script asks a
// second server on 127.0.0.1 with the gateway's client and User-Agent;
// and a modifier/lua-endpoint script that loops is stopped at the
// endpoint's timeout.
func TestLuaHTTPResponseAndEndpointBudget(t *testing.T) {
	t.Parallel()
	side := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("tenant-" + r.URL.Query().Get("u") + " " + r.Header.Get("User-Agent")))
	}))
	defer side.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"tenant":"` + r.Header.Get("X-Tenant") + `"}`))
	}))
	defer srv.Close()
	h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"], "endpoints": [
		{"endpoint": "/t/{u}", "input_headers": ["X-Tenant"],
		 "extra_config": {"modifier/lua-proxy": {"pre": "local r = request.load(); local s = http_response.new('`+side.URL+`/?u=' .. r:params('U')); r:headers('X-Tenant', s:body()); s:close()"}},
		 "backend": [{"url_pattern": "/"}]},
		{"endpoint": "/loop", "timeout": "200ms",
		 "extra_config": {"modifier/lua-endpoint": {"pre": "while true do end"}},
		 "backend": [{"url_pattern": "/"}]}
	]}`, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/t/7", nil))
	if want := `{"tenant":"tenant-7 lambdagate Version `; w.Code != 200 || !strings.HasPrefix(w.Body.String(), want) {
		t.Errorf("%d %s, want %s", w.Code, w.Body, want)
	}
	start := time.Now()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/loop", nil))
	if w.Code != 500 || time.Since(start) > 2*time.Second {
		t.Errorf("a looping lua-endpoint script: %d after %s", w.Code, time.Since(start))
	}
}

// modifier/lua-endpoint on the service: every request, before routing
// (an unknown path too), after security/http and before the bot detector,
// as KrakenD registers them.
func TestLuaServiceEndpoint(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"svc":"` + r.Header.Get("X-Svc") + `","q":"` + r.URL.Query().Get("q") + `"}`))
	}))
	defer srv.Close()
	h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"],
		"extra_config": {
			"modifier/lua-endpoint": {"pre": "local c = ctx.load(); if c:headers('X-Block') ~= '' then custom_error('blocked by lua', 403) end; c:headers('X-Svc', c:method() .. c:url()); c:query('q', 'svc')"},
			"security/bot-detector": {"deny": ["badbot"]}},
		"endpoints": [{"endpoint": "/a/{id}", "input_headers": ["X-Svc"], "input_query_strings": ["q"], "backend": [{"url_pattern": "/b/{id}"}]}]}`, nil)
	for _, c := range []struct {
		name, path, block, ua string
		status                int
		body                  string
	}{
		{"rewrites the request the endpoint reads", "/a/1?q=x", "", "", 200, `{"svc":"GET/a/1?q=x","q":"svc"}`},
		{"runs before routing", "/nowhere", "1", "", 403, "blocked by lua"},
		{"runs before the bot detector", "/a/1", "1", "badbot", 403, "blocked by lua"},
		{"the bot detector behind it", "/a/1", "", "badbot", 403, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, c.path, nil)
			if c.block != "" {
				r.Header.Set("X-Block", c.block)
			}
			if c.ua != "" {
				r.Header.Set("User-Agent", c.ua)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status || (c.body != "" && strings.TrimSpace(w.Body.String()) != c.body) {
				t.Errorf("%d %q, want %d %q", w.Code, w.Body, c.status, c.body)
			}
			if c.body == "" && strings.Contains(w.Body.String(), "lua") {
				t.Errorf("body %q", w.Body)
			}
		})
	}
	for _, c := range []struct{ extra, want string }{
		{`{"modifier/lua-endpoint": {"pre": "x()", "post": "y()"}}`, `extra_config["modifier/lua-endpoint"]: post and skip_next do not apply`},
		{`{"modifier/lua-endpoint": {"pre": "local c = ctx.load(); c:params('id', '1')"}}`, ``},
		{`{"github.com/devopsfaith/krakend-lua/router": {"pre": "if then"}}`, `extra_config["github.com/devopsfaith/krakend-lua/router"].pre: Lua syntax error`},
	} {
		cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "extra_config": `+c.extra+`, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}]}`)
		g, _, err := New(cfg, Options{Logger: quiet})
		if c.want == "" {
			if err != nil {
				t.Errorf("New = %v", err)
				continue
			}
			// ctx:params on the service is a Lua error: 500.
			w := httptest.NewRecorder()
			g.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/a", nil))
			if w.Code != 500 {
				t.Errorf("ctx:params on the service: %d", w.Code)
			}
			g.Close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New = %v, want %q", err, c.want)
		}
	}
}

// A script that allocates without end becomes a 500 for its request,
// long before the endpoint's timeout, logged; the gateway serves the next
// request. Not parallel: the watchdog reads the process's heap.
func TestLuaMemoryBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"], "timeout": "60s", "endpoints": [
		{"endpoint": "/grow", "extra_config": {"modifier/lua-proxy": {"pre": "local t = {}; local i = 0; while true do i = i + 1; t[i] = string.rep('x', 1000) .. i end"}},
		 "backend": [{"url_pattern": "/"}]},
		{"endpoint": "/ok", "backend": [{"url_pattern": "/"}]}
	]}`, nil)
	start := time.Now()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/grow", nil))
	if w.Code != 500 || time.Since(start) > 30*time.Second {
		t.Errorf("an allocating script: %d after %s", w.Code, time.Since(start))
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ok", nil))
	if w.Code != 200 {
		t.Errorf("the next request: %d", w.Code)
	}
}
