package lua

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lambdagate/lambdagate/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newScript(t testing.TB, o Options, names ...string) *Script {
	t.Helper()
	s, err := New(&o, Spec{Path: "endpoints[0].extra_config[\"modifier/lua-proxy\"]", ParamNames: names})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func baseRequest() *proxy.Request {
	return &proxy.Request{
		Method: "GET", Path: "/a/1", Params: proxy.Params{"1", "x"},
		Query:   url.Values{"q": {"1"}},
		Headers: http.Header{"X-In": {"in"}, "X-Many": {"a", "b"}},
		Body:    []byte("hello"),
	}
}

// The request's getters and setters in a pre script: what the layer
// behind receives.
func TestRequestAPI(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, pre string
		check     func(*proxy.Request) bool
	}{
		{"method", `local r = request.load(); r:method(r:method() .. "X")`, func(r *proxy.Request) bool { return r.Method == "GETX" }},
		{"path", `local r = request.load(); r:path(r:path() .. "/more")`, func(r *proxy.Request) bool { return r.Path == "/a/1/more" }},
		{"query", `local r = request.load(); r:query(r:query() .. "&z=2")`, func(r *proxy.Request) bool { return r.Query.Get("q") == "1" && r.Query.Get("z") == "2" }},
		{"params by KrakenD's name", `local r = request.load(); r:params("Id", r:params("Id") .. r:params("Name"))`, func(r *proxy.Request) bool { return r.Params.Value(0) == "1x" }},
		{"params table", `local r = request.load(); local p = r:params(); r:params("Name", p:get("Id") .. p:len())`, func(r *proxy.Request) bool { return r.Params.Value(1) == "12" }},
		{"headers get, set, delete", `local r = request.load(); r:headers("x-out", r:headers("X-In")); r:headers("X-In", nil)`, func(r *proxy.Request) bool {
			return r.Headers.Get("X-Out") == "in" && r.Headers.Get("X-In") == ""
		}},
		{"headers table", `local r = request.load(); local h = r:headers(); r:headers("X-N", tostring(h:get("X-Many"):len()))`, func(r *proxy.Request) bool { return r.Headers.Get("X-N") == "2" }},
		{"headerList", `local r = request.load(); local l = r:headerList("X-Many"); l:set(2, "c"); r:headerList("X-Copy", l)`, func(r *proxy.Request) bool {
			return strings.Join(r.Headers["X-Copy"], ",") == "a,b,c"
		}},
		{"body", `local r = request.load(); r:body(r:body() .. " world")`, func(r *proxy.Request) bool { return string(r.Body) == "hello world" }},
		{"url getter is empty before a backend", `local r = request.load(); r:headers("X-Url", "[" .. r:url() .. "]")`, func(r *proxy.Request) bool { return r.Headers.Get("X-Url") == "[]" && r.URL == "" }},
		{"url setter", `local r = request.load(); r:url("http://127.0.0.1:9/x?y=1"); r:headers("X-Url", r:url())`, func(r *proxy.Request) bool {
			return r.URL == "http://127.0.0.1:9/x?y=1" && r.Headers.Get("X-Url") == r.URL
		}},
		{"string, table and math libraries", `local r = request.load(); r:headers("X-S", string.upper("a") .. table.concat({"b"}) .. math.floor(2.5))`, func(r *proxy.Request) bool { return r.Headers.Get("X-S") == "Ab2" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, Options{Pre: c.pre}, "Id", "Name")
			var got *proxy.Request
			orig := baseRequest()
			_, err := s.Middleware()(func(_ context.Context, r *proxy.Request) (*proxy.Response, error) {
				got = r
				return &proxy.Response{IsComplete: true}, nil
			})(context.Background(), orig)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Errorf("the request after %q: %+v", c.pre, got)
			}
			if orig.Method != "GET" || orig.Headers.Get("X-In") != "in" || orig.Params.Value(0) != "1" {
				t.Errorf("the shared request was changed: %+v", orig)
			}
		})
	}
}

// request:url() in a backend's script reads the URL the backend would
// call, and pins it (the call goes to the host read) until a params or
// query setter changes what it is built from; a URL set is kept.
func TestRequestURLOnBackend(t *testing.T) {
	t.Parallel()
	var built int
	u := func(r *proxy.Request) (string, error) {
		built++
		return "http://h" + strconv.Itoa(built) + "/a/" + r.Params.Value(0) + "?" + r.Query.Encode(), nil
	}
	for _, c := range []struct{ name, pre, want, header string }{
		{"read", `local r = request.load(); r:headers("X-Url", r:url())`, "http://h1/a/1?q=1", "http://h1/a/1?q=1"},
		{"read then append (KrakenD CE's lua_1)", `local r = request.load(); r:url(r:url() .. "&id=7")`, "http://h1/a/1?q=1&id=7", ""},
		{"read then change a param", `local r = request.load(); r:headers("X-Url", r:url()); r:params("Id", "2")`, "", "http://h1/a/1?q=1"},
		{"set then change a param", `local r = request.load(); r:url("https://other/z"); r:params("Id", "2")`, "https://other/z", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			built = 0
			s, err := New(&Options{Pre: c.pre}, Spec{Path: "b", ParamNames: []string{"Id", "Name"}, URL: u})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got *proxy.Request
			orig := baseRequest()
			if _, err := s.Middleware()(func(_ context.Context, r *proxy.Request) (*proxy.Response, error) {
				got = r
				return &proxy.Response{IsComplete: true}, nil
			})(context.Background(), orig); err != nil {
				t.Fatal(err)
			}
			if got.URL != c.want || got.Headers.Get("X-Url") != c.header || orig.URL != "" {
				t.Errorf("URL %q, X-Url %q; want %q, %q (the layer's own request: %q)", got.URL, got.Headers.Get("X-Url"), c.want, c.header, orig.URL)
			}
		})
	}
	s := newScript(t, Options{Pre: `request.load():url("/relative")`})
	_, err := s.Middleware()(func(context.Context, *proxy.Request) (*proxy.Response, error) { return nil, nil })(context.Background(), baseRequest())
	if err == nil || !strings.Contains(err.Error(), "not an absolute http:// or https:// URL") {
		t.Errorf("a relative URL: %v", err)
	}
}

// The response's getters and setters in a post script.
func TestResponseAPI(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, post string
		want       string
		check      func(*proxy.Response) bool
	}{
		{"data set, get, del, keys, keyExists", `local d = response.load():data(); d:set("b", d:get("a") + 1); d:del("a"); d:set("k", d:keys():get(0) .. tostring(d:keyExists("a")))`,
			`{"b":2,"k":"bfalse","list":["x","y"],"obj":{"n":"v"}}`, nil},
		{"nested table and list", `local d = response.load():data(); d:set("n", d:get("obj"):get("n") .. d:get("list"):get(1) .. d:get("list"):len()); local l = d:get("list"); l:del(0)`,
			`{"a":1,"list":["x","y"],"n":"vy2","obj":{"n":"v"}}`, nil},
		{"new luaTable and luaList, Lua tables", `local d = response.load():data(); local t = luaTable.new(); t:set("x", true); local l = luaList.new(); l:set(0, "z"); d:set("t", t); d:set("l", l); d:set("plain", {1, 2, {k = "v"}})`,
			`{"a":1,"l":["z"],"list":["x","y"],"obj":{"n":"v"},"plain":{"1":1,"2":2,"3":{"k":"v"}},"t":{"x":true}}`, nil},
		{"status, headers, isComplete", `local r = response.load(); r:statusCode(r:statusCode() + 1); r:headers("X-Out", r:headers("X-B")); r:isComplete(false); local l = luaList.new(); l:set(0, "1"); l:set(1, "2"); r:headerList("X-L", l)`,
			"", func(r *proxy.Response) bool {
				return r.Metadata.StatusCode == 201 && r.Metadata.Headers.Get("X-Out") == "b" && !r.IsComplete && strings.Join(r.Metadata.Headers["X-L"], ",") == "1,2"
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, Options{Post: c.post})
			resp, err := s.Middleware()(func(context.Context, *proxy.Request) (*proxy.Response, error) {
				return &proxy.Response{IsComplete: true, Data: map[string]any{"a": json.Number("1"), "list": []any{"x", "y"}, "obj": map[string]any{"n": "v"}},
					Metadata: proxy.Metadata{StatusCode: 200, Headers: http.Header{"X-B": {"b"}}}}, nil
			})(context.Background(), baseRequest())
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" {
				b, _ := json.Marshal(resp.Data)
				if string(b) != c.want {
					t.Errorf("data = %s, want %s", b, c.want)
				}
			}
			if c.check != nil && !c.check(resp) {
				t.Errorf("response = %+v", resp)
			}
		})
	}
}

func TestSourcesAndOptions(t *testing.T) {
	t.Parallel()
	col := filepath.Join("testdata", "collection.lua")
	next := func(context.Context, *proxy.Request) (*proxy.Response, error) {
		return &proxy.Response{IsComplete: true, Data: map[string]any{"collection": []any{
			map[string]any{"path": "/c/1"}, map[string]any{"path": "/c/2"},
		}}}, nil
	}
	t.Run("CE's collection post_proxy", func(t *testing.T) {
		s := newScript(t, Options{Sources: []string{col}, Post: "post_proxy(response.load())"})
		resp, err := s.Middleware()(next)(context.Background(), baseRequest())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(resp.Data)
		if string(b) != `{"paths":{"1":"/c/1","2":"/c/2"},"total":2}` {
			t.Errorf("data = %s", b)
		}
	})
	t.Run("custom_error", func(t *testing.T) {
		s := newScript(t, Options{Sources: []string{col}, Pre: "json_error()"})
		called := false
		_, err := s.Middleware()(func(ctx context.Context, r *proxy.Request) (*proxy.Response, error) {
			called = true
			return next(ctx, r)
		})(context.Background(), baseRequest())
		var ce *CustomError
		if !errors.As(err, &ce) || proxy.StatusFor(err) != 418 || called {
			t.Fatalf("err = %v (status %d), next called %v; want custom 418", err, proxy.StatusFor(err), called)
		}
		if body, ct, ok := ce.RelayedBody(); !ok || string(body) != `{"msg":"I refuse to make any coffee, I am a teapot!"}` || ct != "application/json" {
			t.Errorf("body %q %q", body, ct)
		}
	})
	t.Run("custom_error without status: 500", func(t *testing.T) {
		s := newScript(t, Options{Pre: "custom_error('no')"})
		_, err := s.Middleware()(next)(context.Background(), baseRequest())
		if proxy.StatusFor(err) != 500 || err.Error() != "no" {
			t.Errorf("err = %v (%d)", err, proxy.StatusFor(err))
		}
	})
	t.Run("runtime error: 500 naming the file and line", func(t *testing.T) {
		s := newScript(t, Options{Sources: []string{col}, Pre: "fails()"})
		_, err := s.Middleware()(next)(context.Background(), baseRequest())
		if !errors.Is(err, ErrScript) || proxy.StatusFor(err) != 500 || !strings.Contains(err.Error(), "collection.lua:21") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("skip_next", func(t *testing.T) {
		s := newScript(t, Options{SkipNext: true, Post: `response.load():data():set("from", "lua")`})
		resp, err := s.Middleware()(func(context.Context, *proxy.Request) (*proxy.Response, error) {
			t.Error("next called with skip_next")
			return nil, nil
		})(context.Background(), baseRequest())
		if err != nil || resp.Data["from"] != "lua" {
			t.Errorf("%v, %v", resp, err)
		}
	})
	t.Run("os and io only with allow_open_libs", func(t *testing.T) {
		s := newScript(t, Options{Pre: `request.load():headers("X-T", tostring(os.time() > 0))`})
		if _, err := s.Middleware()(next)(context.Background(), baseRequest()); err == nil || !strings.Contains(err.Error(), "key 'time'") {
			t.Errorf("os without allow_open_libs: %v", err)
		}
		s = newScript(t, Options{Pre: `dofile("x.lua")`})
		if _, err := s.Middleware()(next)(context.Background(), baseRequest()); err == nil {
			t.Error("dofile without allow_open_libs: no error")
		}
		s = newScript(t, Options{AllowOpenLibs: true, Pre: `local r = request.load(); r:headers("X-T", tostring(os.time() > 0) .. tostring(io ~= nil))`})
		var got *proxy.Request
		if _, err := s.Middleware()(func(ctx context.Context, r *proxy.Request) (*proxy.Response, error) { got = r; return next(ctx, r) })(context.Background(), baseRequest()); err != nil || got.Headers.Get("X-T") != "truetrue" {
			t.Errorf("os with allow_open_libs: %v", err)
		}
	})
	t.Run("a looping script stops at the deadline", func(t *testing.T) {
		s := newScript(t, Options{Pre: "while true do end"})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Middleware()(next)(ctx, baseRequest())
		if !errors.Is(err, ErrScript) || !strings.Contains(err.Error(), "timeout") || time.Since(start) > 5*time.Second {
			t.Errorf("err = %v after %v", err, time.Since(start))
		}
	})
	t.Run("deep recursion stops at the call stack limit", func(t *testing.T) {
		s := newScript(t, Options{Pre: "local function f(n) return f(n + 1) + 1 end f(0)"})
		_, err := s.Middleware()(next)(context.Background(), baseRequest())
		if !errors.Is(err, ErrScript) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("VMs are pooled: globals survive between requests", func(t *testing.T) {
		s := newScript(t, Options{Pre: `n = (n or 0) + 1; request.load():headers("X-N", tostring(n))`})
		var got []string
		p := s.Middleware()(func(ctx context.Context, r *proxy.Request) (*proxy.Response, error) {
			got = append(got, r.Headers.Get("X-N"))
			return next(ctx, r)
		})
		for range 3 {
			if _, err := p(context.Background(), baseRequest()); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(got, ",") != "1,2,3" {
			t.Errorf("X-N = %v, want one VM reused", got)
		}
	})
	t.Run("response.load in pre fails", func(t *testing.T) {
		s := newScript(t, Options{Pre: `response.load()`})
		if _, err := s.Middleware()(next)(context.Background(), baseRequest()); err == nil {
			t.Error("no error")
		}
	})
}

func TestStartupErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "fails.lua")
	os.WriteFile(bad, []byte("error('at load')"), 0o600)
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Sources: []string{"testdata/syntax.lua"}, Pre: "ok()"}, `.sources[0]: Lua syntax error in testdata/syntax.lua: testdata/syntax.lua line:5`},
		{Options{Pre: "if then"}, `.pre: Lua syntax error in pre: pre line:1`},
		{Options{Post: "x = = 1"}, `.post: Lua syntax error in post`},
		{Options{Sources: []string{"testdata/missing.lua"}, Pre: "x()"}, `.sources[0]: cannot read the Lua source`},
		{Options{Sources: []string{"testdata/collection.lua"}, Pre: "x()", MD5: map[string]string{"testdata/collection.lua": "00"}}, `md5`},
		{Options{Sources: []string{bad}, Pre: "x()"}, `fails when loaded`},
		{Options{}, `has neither pre nor post`},
	} {
		_, err := New(&c.o, Spec{Path: "p"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want %q", c.o, err, c.want)
		}
	}
}

// live: a changed source is read again; without live it is not.
func TestLive(t *testing.T) {
	t.Parallel()
	for _, live := range []bool{true, false} {
		dir := t.TempDir()
		src := filepath.Join(dir, "v.lua")
		os.WriteFile(src, []byte(`function v() return "one" end`), 0o600)
		s := newScript(t, Options{Sources: []string{src}, Live: live, Pre: `request.load():headers("X-V", v())`})
		s.every = 0
		var got string
		p := s.Middleware()(func(_ context.Context, r *proxy.Request) (*proxy.Response, error) {
			got = r.Headers.Get("X-V")
			return &proxy.Response{}, nil
		})
		p(context.Background(), baseRequest())
		if got != "one" {
			t.Fatalf("first: %q", got)
		}
		os.WriteFile(src, []byte(`function v() return "two" end`), 0o600)
		future := time.Now().Add(time.Minute)
		os.Chtimes(src, future, future)
		p(context.Background(), baseRequest())
		want := "one"
		if live {
			want = "two"
		}
		if got != want {
			t.Errorf("live %v: after the change %q, want %q", live, got, want)
		}
	}
}

// FuzzScript: any pre code either fails to compile or runs to an error or
// an end; nothing panics.
func FuzzScript(f *testing.F) {
	for _, s := range []string{`request.load():headers("a", "b")`, `response.load()`, `luaList.new():set(-1, 2)`, `luaTable.new():get()`, `custom_error()`, `for i=1,10 do end`, `local t = {} t.t = t luaTable.new():set("x", t)`, `http_response.new("http://127.0.0.1:1/", "GET", "", {a = {"b"}}):body()`, `string.rep("x", 1e9)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		// http_response goes nowhere: the fuzzer's scripts make no calls.
		s, err := New(&Options{Pre: code}, Spec{Path: "p", Client: &http.Client{Transport: refuse{}}})
		if err != nil {
			return
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		s.Middleware()(func(context.Context, *proxy.Request) (*proxy.Response, error) { return &proxy.Response{}, nil })(ctx, baseRequest())
	})
}

// refuse is a transport that sends nothing.
type refuse struct{}

func (refuse) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no calls while fuzzing")
}
