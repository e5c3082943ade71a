package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// TestStatic checks proxy.static through a whole gateway: its data merged
// into a single backend's reply (which so no longer passes through
// undecoded), replacing the backend's keys, and the errored strategy
// answering with the data when the backend fails.
func TestStatic(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a": 1.50, "src": "backend"}`)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name, static, path string
		wantStatus         int
		wantCompleted      string
		wantBody           string
	}{
		{"always, single backend", `{"data": {"src": "static", "_links": {"n": 2}}}`, "/up", 200, "true", `{"_links":{"n":2},"a":1.50,"src":"static"}`},
		{"success on a failure: nothing", `{"strategy": "success", "data": {"src": "static"}}`, "/down", 500, "false", ``},
		{"errored on a failure", `{"strategy": "errored", "data": {"src": "static"}}`, "/down", 200, "false", `{"src":"static"}`},
		{"errored on a success: nothing", `{"strategy": "errored", "data": {"src": "static"}}`, "/up", 200, "true", `{"a":1.50,"src":"backend"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[{"endpoint":"/t","extra_config":{"proxy":{"static":` + tt.static + `}},
				"backend":[{"host":["` + srv.URL + `"],"url_pattern":"` + tt.path + `"}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			gw.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/t", nil))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody || w.Header().Get("X-Krakend-Completed") != tt.wantCompleted {
				t.Errorf("got %d %q (completed %q), want %d %q (completed %q)", w.Code, w.Body, w.Header().Get("X-Krakend-Completed"), tt.wantStatus, tt.wantBody, tt.wantCompleted)
			}
		})
	}
}

func TestProxyOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, proxy, want string }{
		{"static without data", `{"static": {"strategy": "always"}}`, `endpoints[0].extra_config.proxy.static.data: is missing`},
		{"static data not an object", `{"static": {"data": [1]}}`, `endpoints[0].extra_config.proxy.static.data: must be an object`},
		{"static bad strategy", `{"static": {"data": {}, "strategy": "sometimes"}}`, `endpoints[0].extra_config.proxy.static.strategy: "sometimes" is not a strategy: use always, success, complete, errored or incomplete`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[{"endpoint":"/t","extra_config":{"proxy":` + tt.proxy + `},
				"backend":[{"host":["http://127.0.0.1:1"],"url_pattern":"/"}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
