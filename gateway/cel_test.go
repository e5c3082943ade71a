package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The CEL endpoints of KrakenD CE's integration configuration
// (tests/fixtures/krakend.json) and its specs cel-1 to cel-7: endpoint
// checks on a header and a param, one check per backend, and a token
// check behind auth/validator.
func TestCELKrakenDSpecs(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/jwt/") {
			w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
			return
		}
		w.Write([]byte(`{"message":"pong"}`))
	}))
	defer srv.Close()
	h := builtGateway(t, `{"version": 3, "host": ["`+srv.URL+`"], "endpoints": [
		{"endpoint": "/cel/req-resp/{id}", "input_headers": ["X-Header"],
		 "backend": [
			{"url_pattern": "/__debug/1/{id}", "group": "backend1",
			 "extra_config": {"validation/cel": [{"check_expr": "int(req_params.Id) % 3 == 0"}]}},
			{"url_pattern": "/__debug/2/{id}", "group": "backend2",
			 "extra_config": {"validation/cel": [{"check_expr": "int(req_params.Id) % 5 == 0"}]}}],
		 "extra_config": {"validation/cel": [
			{"check_expr": "'something' in req_headers['X-Header']"},
			{"check_expr": "int(req_params.Id) % 2 == 0"}]}},
		{"endpoint": "/cel/jwt/{id}",
		 "backend": [{"url_pattern": "/jwt/{id}/{JWT.sub}"}],
		 "extra_config": {
			"validation/cel": [{"check_expr": "size(JWT.roles)>1"}],
			"auth/validator": {"alg": "RS256", "jwk_local_path": "`+f.jwks+`", "roles_key": "roles", "roles": ["role_a", "role_b", "role_y"]}}},
		{"endpoint": "/cel/resp",
		 "backend": [{"url_pattern": "/x", "extra_config": {"github.com/devopsfaith/krakend-cel": [{"check_expr": "resp_data.message == 'pong' && resp_metadata_status == 200"}]}}],
		 "extra_config": {"validation/cel": [{"check_expr": "resp_completed && resp_data.message == 'ping'"}]}}
	]}`, nil)
	two := f.token(t, map[string]any{"roles": []string{"role_a", "role_b"}})
	one := f.token(t, map[string]any{"roles": []string{"role_y"}})
	for _, c := range []struct {
		name, path, header, token string
		status                    int
		body, completed           string
		hits                      int64
	}{
		{"cel-1: odd id", "/cel/req-resp/1", "something", "", 500, "", "false", 0},
		{"cel-2: no header", "/cel/req-resp/30", "", "", 500, "", "false", 0},
		{"cel-3: backend1 refused", "/cel/req-resp/10", "something", "", 200, `{"backend2":{"message":"pong"}}`, "false", 1},
		{"cel-4: backend2 refused", "/cel/req-resp/6", "something", "", 200, `{"backend1":{"message":"pong"}}`, "false", 1},
		{"cel-5: both pass", "/cel/req-resp/30", "something", "", 200, `{"backend1":{"message":"pong"},"backend2":{"message":"pong"}}`, "true", 2},
		{"both backends refused", "/cel/req-resp/2", "something", "", 500, "", "false", 0},
		{"cel-6: one role: 401", "/cel/jwt/ko", "", one, 401, "", "", 0},
		{"cel-7: two roles", "/cel/jwt/ok", "", two, 200, `{"path":"/jwt/ok/ada"}`, "true", 1},
		{"no token: the validator's 401", "/cel/jwt/ok", "", "", 401, "", "", 0},
		{"backend response passes, endpoint response refused", "/cel/resp", "", "", 500, "", "false", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := hits.Load()
			r := httptest.NewRequest(http.MethodGet, c.path, nil)
			if c.header != "" {
				r.Header.Set("X-Header", c.header)
			}
			if c.token != "" {
				r.Header.Set("Authorization", "Bearer "+c.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.body || w.Header().Get("X-Krakend-Completed") != c.completed {
				t.Errorf("%d %q (completed %q), want %d %q (%q)", w.Code, w.Body, w.Header().Get("X-Krakend-Completed"), c.status, c.body, c.completed)
			}
			if n := hits.Load() - before; n != c.hits {
				t.Errorf("backend calls = %d, want %d", n, c.hits)
			}
		})
	}
}

func TestCELStartupErrors(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t)
	for _, c := range []struct{ endpoint, want string }{
		{`{"endpoint": "/a", "extra_config": {"validation/cel": [{"check_expr": "req_method =="}]}, "backend": [{"url_pattern": "/"}]}`,
			`endpoints[0].extra_config["validation/cel"][0].check_expr: does not compile`},
		{`{"endpoint": "/a", "backend": [{"url_pattern": "/", "extra_config": {"validation/cel": [{"check_expr": "JWT.sub == 'a'"}]}}]}`,
			`endpoints[0].backend[0].extra_config["validation/cel"][0].check_expr: reads JWT on a backend`},
		{`{"endpoint": "/a", "extra_config": {"validation/cel": [{"check_expr": "JWT.sub == 'a'"}]}, "backend": [{"url_pattern": "/"}]}`,
			`endpoints[0].extra_config["validation/cel"][0].check_expr: reads JWT, but the endpoint validates no token`},
		{`{"endpoint": "/a", "extra_config": {"validation/cel": [{"check_expr": "req_method == 'GET'"}], "github.com/devopsfaith/krakend-cel": [{"check_expr": "req_method == 'GET'"}]}, "backend": [{"url_pattern": "/"}]}`,
			`both "validation/cel" and its legacy name are set`},
	} {
		cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "endpoints": [`+c.endpoint+`]}`)
		_, _, err := New(cfg, Options{Logger: quiet})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New = %v, want %q", err, c.want)
		}
	}
	// On the service, KrakenD never reads it: refused.
	cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"], "extra_config": {"validation/cel": [{"check_expr": "req_method == 'GET'"}]},
		"endpoints": [{"endpoint": "/a", "extra_config": {"auth/validator": {"alg": "RS256", "jwk_local_path": "`+f.jwks+`"}}, "backend": [{"url_pattern": "/"}]}]}`)
	if _, _, err := New(cfg, Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), `extra_config["validation/cel"]`) {
		t.Errorf("validation/cel on the service: %v, want refused", err)
	}
}
