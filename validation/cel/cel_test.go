package cel

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestCompile(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		expr  string
		phase Phase
		err   string
	}{
		{"int(req_params.Id) % 3 == 0", PhaseRequest, ""},
		{"'::1' in req_headers['X-Forwarded-For']", PhaseRequest, ""},
		{"req_method == 'GET' && req_path.startsWith('/a')", PhaseRequest, ""},
		{"has(req_querystring.page)", PhaseRequest, ""},
		{"resp_metadata_status == 200 && resp_completed", PhaseResponse, ""},
		{"'x' in resp_data && resp_metadata_headers['Content-Type'][0] != ''", PhaseResponse, ""},
		{"size(JWT.roles) > 1", PhaseJWT, ""},
		{"timestamp(now) > timestamp('2020-01-01T00:00:00Z') && req_method == 'GET'", PhaseRequest, ""},
		{"", 0, "is empty"},
		{"req_method ==", 0, "does not compile"},
		{"req_method + 1", 0, "does not compile"},
		{"req_method", 0, "a check must be a bool"},
		{"unknown_var == 1", 0, "does not compile"},
		{"now != ''", 0, "reads none of"},
		{"req_method == 'GET' && resp_completed", 0, "mixes"},
		{"JWT.sub == req_params.Id", 0, "mixes"},
	} {
		p, err := Compile("x.check_expr", c.expr)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "x.check_expr: ") {
				t.Errorf("Compile(%q) = %v, want an error at x.check_expr with %q", c.expr, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Compile(%q): %v", c.expr, err)
			continue
		}
		if p.Phase != c.phase {
			t.Errorf("Compile(%q).Phase = %d, want %d", c.expr, p.Phase, c.phase)
		}
	}
}

func extra(t *testing.T, ns, raw string) *config.ExtraConfig {
	t.Helper()
	x := config.NewExtraConfig("endpoints[0].extra_config", map[string]json.RawMessage{ns: json.RawMessage(raw)})
	return &x
}

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		ns, raw string
		n       [3]int
		err     string
	}{
		{Namespace, `[{"check_expr": "req_method == 'GET'"}, {"check_expr": "resp_completed"}, {"check_expr": "JWT.sub != ''"}]`, [3]int{1, 1, 1}, ""},
		{LegacyNamespace, `[{"check_expr": "req_method == 'GET'", "@comment": "kept"}]`, [3]int{1, 0, 0}, ""},
		{Namespace, `{"check_expr": "req_method == 'GET'"}`, [3]int{}, `endpoints[0].extra_config["validation/cel"]: must be an array`},
		{Namespace, `[]`, [3]int{}, "is empty"},
		{Namespace, `[{"check_exp": "req_method == 'GET'"}]`, [3]int{}, `["validation/cel"][0].check_exp: unknown key`},
		{Namespace, `[{"check_expr": "req_method == 'GET'"}, {"check_expr": "req_method = 1"}, {"check_expr": ")"}]`, [3]int{}, `["validation/cel"][1].check_expr: does not compile`},
	} {
		s, err := Decode(extra(t, c.ns, c.raw))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Decode(%s) = %v, want %q", c.raw, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Decode(%s): %v", c.raw, err)
		}
		if got := [3]int{len(s.Request), len(s.Response), len(s.JWT)}; got != c.n {
			t.Errorf("Decode(%s) phases = %v, want %v", c.raw, got, c.n)
		}
	}
	var none config.ExtraConfig
	if s, err := Decode(&none); s != nil || err != nil {
		t.Errorf("Decode(no namespace) = %v, %v; want nil, nil", s, err)
	}
	// Every bad item is reported, not only the first.
	_, err := Decode(extra(t, Namespace, `[{"check_expr": ")"}, {"check_expr": "("}]`))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Errorf("two bad checks: %v, want two errors", err)
	}
}

func set(t testing.TB, exprs ...string) *Set {
	t.Helper()
	var s Set
	for _, e := range exprs {
		p, err := Compile("check", e)
		if err != nil {
			t.Fatal(err)
		}
		switch p.Phase {
		case PhaseRequest:
			s.Request = append(s.Request, p)
		case PhaseResponse:
			s.Response = append(s.Response, p)
		case PhaseJWT:
			s.JWT = append(s.JWT, p)
		}
	}
	return &s
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	backend := func(status int, data map[string]any) proxy.Proxy {
		return func(context.Context, *proxy.Request) (*proxy.Response, error) {
			return &proxy.Response{Data: data, IsComplete: true, Metadata: proxy.Metadata{StatusCode: status, Headers: http.Header{"X-B": {"b"}}}}, nil
		}
	}
	req := &proxy.Request{
		Method: "GET", Path: "/a/42", Params: proxy.Params{"42", "7"},
		Headers: http.Header{"X-Header": {"something"}}, Query: url.Values{"page": {"2"}},
	}
	data := map[string]any{"n": json.Number("3"), "list": []any{"a", "b"}, "obj": map[string]any{"k": "v"}}
	for _, c := range []struct {
		name   string
		exprs  []string
		called bool
		pass   bool
	}{
		{"params by KrakenD's name", []string{"int(req_params.Id) % 2 == 0", "req_params.Other == '7'"}, true, true},
		{"params false", []string{"int(req_params.Id) % 5 == 0"}, false, false},
		{"lower-case param name is not KrakenD's", []string{"has(req_params.id)"}, false, false},
		{"header in list", []string{"'something' in req_headers['X-Header']"}, true, true},
		{"missing header: evaluation error refuses", []string{"'x' in req_headers['X-Missing']"}, false, false},
		{"method, path, query", []string{"req_method == 'GET' && req_path.endsWith('/42') && req_querystring.page[0] == '2'"}, true, true},
		{"now is RFC 3339", []string{"timestamp(now) > timestamp('2020-01-01T00:00:00Z') && req_method == 'GET'"}, true, true},
		{"response status and headers", []string{"resp_metadata_status == 200 && resp_metadata_headers['X-B'] == ['b'] && resp_completed"}, true, true},
		{"response data: numbers as their JSON text", []string{"int(resp_data.n) == 3 && size(resp_data.list) == 2 && resp_data.obj.k == 'v'"}, true, true},
		{"response false", []string{"resp_metadata_status == 201"}, true, false},
		{"request passes, response refuses", []string{"req_method == 'GET'", "'missing' in resp_data"}, true, false},
		{"second request check refuses", []string{"req_method == 'GET'", "req_method == 'POST'"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			called := false
			mw := set(t, c.exprs...).Middleware([]string{"Id", "Other"}, nil)
			p := mw(func(ctx context.Context, r *proxy.Request) (*proxy.Response, error) {
				called = true
				return backend(200, data)(ctx, r)
			})
			resp, err := p(context.Background(), req)
			if called != c.called {
				t.Errorf("next called = %v, want %v", called, c.called)
			}
			if c.pass && (err != nil || resp == nil) {
				t.Errorf("refused: %v", err)
			}
			if !c.pass && (err == nil || resp != nil || !errors.Is(err, ErrRefused) || proxy.StatusFor(err) != 500) {
				t.Errorf("got %v, %v; want a refusal (500)", resp, err)
			}
		})
	}
	if set(t, "JWT.sub == 'a'").Middleware(nil, nil) != nil {
		t.Error("a set with JWT checks only has a request/response middleware")
	}
	var nilSet *Set
	if nilSet.Middleware(nil, nil) != nil || nilSet.ClaimsCheck(nil) != nil {
		t.Error("a nil set has layers")
	}
}

func TestClaimsCheck(t *testing.T) {
	t.Parallel()
	check := set(t, "size(JWT.roles) > 1", "JWT.sub.startsWith('u-')").ClaimsCheck(nil)
	for _, c := range []struct {
		claims map[string]any
		ok     bool
	}{
		{map[string]any{"roles": []any{"a", "b"}, "sub": "u-1"}, true},
		{map[string]any{"roles": []any{"a"}, "sub": "u-1"}, false},
		{map[string]any{"roles": []any{"a", "b"}, "sub": "x"}, false},
		{map[string]any{"sub": "u-1"}, false},
		{nil, false},
	} {
		if got := check(context.Background(), c.claims); got != c.ok {
			t.Errorf("claims %v: %v, want %v", c.claims, got, c.ok)
		}
	}
	if set(t, "req_method == 'GET'").ClaimsCheck(nil) != nil {
		t.Error("a set without JWT checks has a claims check")
	}
}

func TestParamNames(t *testing.T) {
	t.Parallel()
	cfg, _, err := config.Parse([]byte(`{"version": 3, "host": ["http://127.0.0.1:1"], "endpoints": [{"endpoint": "/a/{id}/{Name}", "extra_config": {"proxy": {"sequential": true}},
		"backend": [{"url_pattern": "/x/{id}"}, {"url_pattern": "/y/{resp0_field}"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(ParamNames(cfg.Endpoints[0]), ",")
	if got != "Id,Name,Resp0_field" {
		t.Errorf("ParamNames = %s, want Id,Name,Resp0_field", got)
	}
}

// FuzzCompile: compiling any text never panics, and what compiles has a
// phase.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"int(req_params.Id) % 3 == 0", "size(JWT.roles)>1", "resp_data.a.b[0] == 1", "'a' in req_headers['X']", ")(", "\x00", "[1,2].all(x, x > 0) && resp_completed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Compile("f", expr)
		if err == nil && (p.Phase < PhaseRequest || p.Phase > PhaseJWT) {
			t.Fatalf("Compile(%q): no phase", expr)
		}
	})
}
