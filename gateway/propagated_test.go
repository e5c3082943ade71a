package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// TestSequentialPropagatedParams checks proxy.sequential_propagated_params
// through a whole gateway with two real HTTP backends: the fields of the
// first backend's response become params (RespN_field) of the second's
// request, which its Lua script turns into headers the second backend
// receives and its CEL check reads; an array is joined by commas, a
// missing field leaves the param unset, as in KrakenD.
func TestSequentialPropagatedParams(t *testing.T) {
	t.Parallel()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"user": {"id": 7, "role": "`+strings.TrimPrefix(r.URL.Path, "/user/")+`"}, "tags": ["a", "b"]}`)
	}))
	t.Cleanup(first.Close)
	var secondCalls atomic.Int32
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secondCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"role_seen": "`+r.Header.Get("X-Role")+`", "tags_seen": "`+r.Header.Get("X-Tags")+`", "missing_seen": "`+r.Header.Get("X-Missing")+`"}`)
	}))
	t.Cleanup(second.Close)
	const lua = `local r = request.load(); r:headers('X-Role', r:params('Resp0_user.role')); r:headers('X-Tags', r:params('Resp0_tags')); if r:params('Resp0_nope') ~= nil and r:params('Resp0_nope') ~= '' then r:headers('X-Missing', 'set') end`
	file := func(params string) string {
		return `{"version":3,"endpoints":[{"endpoint":"/t/{role}","extra_config":{"proxy":{"sequential":true,"sequential_propagated_params":` + params + `}},"backend":[
			{"host":["` + first.URL + `"],"url_pattern":"/user/{role}"},
			{"host":["` + second.URL + `"],"url_pattern":"/second","group":"second","input_headers":["X-Role","X-Tags","X-Missing"],
			 "extra_config":{"modifier/lua-backend":{"pre":"` + lua + `"},"validation/cel":[{"check_expr":"req_params['Resp0_user.role'] == 'admin'"}]}}]}]}`
	}
	tests := []struct {
		name, params, role, want, completed string
		secondCalled                        bool
	}{
		{"params reach the second backend", `["resp0_user.role", "resp0_tags", "resp0_nope"]`, "admin",
			`{"second":{"missing_seen":"","role_seen":"admin","tags_seen":"a,b"},"tags":["a","b"],"user":{"id":7,"role":"admin"}}`, "true", true},
		{"the second backend's CEL check reads them", `["Resp0_user.role"]`, "guest",
			`{"tags":["a","b"],"user":{"id":7,"role":"guest"}}`, "false", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(file(tt.params)))
			if err != nil {
				t.Fatal(err)
			}
			gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			before := secondCalls.Load()
			w := httptest.NewRecorder()
			gw.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/t/"+tt.role, nil))
			if w.Code != 200 || w.Body.String() != tt.want || w.Header().Get("X-Krakend-Completed") != tt.completed {
				t.Errorf("got %d %s (completed %q), want 200 %s (completed %s)", w.Code, w.Body, w.Header().Get("X-Krakend-Completed"), tt.want, tt.completed)
			}
			if called := secondCalls.Load() > before; called != tt.secondCalled {
				t.Errorf("second backend called: %v, want %v", called, tt.secondCalled)
			}
		})
	}
}

func TestSequentialPropagatedParamsConfig(t *testing.T) {
	t.Parallel()
	const backends = `"backend":[{"host":["http://127.0.0.1:1"],"url_pattern":"/a"},{"host":["http://127.0.0.1:1"],"url_pattern":"/b"}]`
	for _, tt := range []struct{ name, proxy, wantErr, wantWarn string }{
		{"not a response field", `{"sequential":true,"sequential_propagated_params":["user_id"]}`,
			`endpoints[0].extra_config.proxy.sequential_propagated_params[0]: "user_id" is not a response field`, ""},
		{"a backend the endpoint lacks", `{"sequential":true,"sequential_propagated_params":["resp0_id","resp2_id"]}`,
			`endpoints[0].extra_config.proxy.sequential_propagated_params[1]: "resp2_id" reads backend 2, but the endpoint has 2 backends`, ""},
		{"without sequential: ignored", `{"sequential_propagated_params":["resp0_id"]}`, "",
			`endpoints[0].extra_config.proxy.sequential_propagated_params: ignored, as KrakenD ignores it, on an endpoint without "sequential": true`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[{"endpoint":"/t","extra_config":{"proxy":` + tt.proxy + `},` + backends + `}]}`))
			if err != nil {
				t.Fatal(err)
			}
			_, warns, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(warns, "\n"); !strings.Contains(got, tt.wantWarn) {
				t.Errorf("warnings %q, want %q", got, tt.wantWarn)
			}
		})
	}
}
