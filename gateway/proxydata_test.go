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
	tests := []struct {
		name, proxy, want string
		backend           bool // proxy is the backend's, not the endpoint's
	}{
		{"static without data", `{"static": {"strategy": "always"}}`, `endpoints[0].extra_config.proxy.static.data: is missing`, false},
		{"static data not an object", `{"static": {"data": [1]}}`, `endpoints[0].extra_config.proxy.static.data: must be an object`, false},
		{"static bad strategy", `{"static": {"data": {}, "strategy": "sometimes"}}`, `endpoints[0].extra_config.proxy.static.strategy: "sometimes" is not a strategy: use always, success, complete, errored or incomplete`, false},
		{"endpoint flatmap append with one path", `{"flatmap_filter": [{"type": "append", "args": ["a"]}]}`, `endpoints[0].extra_config.proxy.flatmap_filter: [0]: append takes two paths`, false},
		{"backend flatmap bad move", `{"flatmap_filter": [{"type": "move", "args": ["a"]}]}`, `endpoints[0].backend[0].extra_config.proxy.flatmap_filter: [0]: move takes two paths`, true},
		{"decompress_gzip not a boolean", `{"decompress_gzip": 1024}`, `endpoints[0].extra_config.proxy.decompress_gzip: must be true or false, got a JSON number`, false},
		{"backend unknown key", `{"flatmap": []}`, `endpoints[0].backend[0].extra_config.proxy.flatmap: unknown key`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			endpointProxy, backendProxy := tt.proxy, `{}`
			if tt.backend {
				endpointProxy, backendProxy = `{}`, tt.proxy
			}
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[{"endpoint":"/t","extra_config":{"proxy":` + endpointProxy + `},
				"backend":[{"host":["http://127.0.0.1:1"],"url_pattern":"/","extra_config":{"proxy":` + backendProxy + `}}]}]}`))
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

// TestFlatmapFilter checks proxy.flatmap_filter through a whole gateway:
// on a backend (replacing allow and mapping, as KrakenD), on an endpoint
// after merging two backends, and ignored with a warning on an endpoint
// with one backend, as KrakenD ignores it.
func TestFlatmapFilter(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/lists" {
			io.WriteString(w, `{"new": [{"id": 3}], "old": [{"id": 1}, {"id": 2}]}`)
			return
		}
		io.WriteString(w, `{"items": [{"id": 1, "secret": "s"}, {"id": 2, "secret": "t"}]}`)
	}))
	t.Cleanup(srv.Close)
	host := `"host":["` + srv.URL + `"]`
	tests := []struct {
		name, endpoint, want, warn string
	}{
		{"backend", `{"endpoint":"/t","backend":[{` + host + `,"url_pattern":"/","allow":["nothing"],"group":"g",
			"extra_config":{"proxy":{"flatmap_filter":[{"type":"del","args":["items.*.secret"]},{"type":"move","args":["items.*.id","items.*.code"]}]}}}]}`,
			`{"g":{"items":[{"code":1},{"code":2}]}}`, ""},
		{"endpoint with two backends", `{"endpoint":"/t","extra_config":{"proxy":{"flatmap_filter":[{"type":"move","args":["a.items","list"]},{"type":"del","args":["list.*.secret"]}]}},
			"backend":[{` + host + `,"url_pattern":"/","group":"a"},{` + host + `,"url_pattern":"/","group":"b","deny":["items"]}]}`,
			`{"a":null,"b":{},"list":[{"id":1},{"id":2}]}`, ""},
		{"backend append", `{"endpoint":"/t","backend":[{` + host + `,"url_pattern":"/lists","group":"g",
			"extra_config":{"proxy":{"flatmap_filter":[{"type":"append","args":["new","old"]},{"type":"move","args":["old.*.id","old.*.code"]}]}}}]}`,
			`{"g":{"old":[{"code":1},{"code":2},{"code":3}]}}`, ""},
		{"endpoint append after merging", `{"endpoint":"/t","extra_config":{"proxy":{"flatmap_filter":[{"type":"append","args":["b.items","a.items"]},{"type":"del","args":["a.items.*.secret","b"]}]}},
			"backend":[{` + host + `,"url_pattern":"/","group":"a"},{` + host + `,"url_pattern":"/","group":"b"}]}`,
			`{"a":{"items":[{"id":1},{"id":2},{"id":1},{"id":2}]}}`, ""},
		{"endpoint with one backend: ignored", `{"endpoint":"/t","extra_config":{"proxy":{"flatmap_filter":[{"type":"del","args":["items"]}]}},
			"backend":[{` + host + `,"url_pattern":"/"}]}`,
			`{"items": [{"id": 1, "secret": "s"}, {"id": 2, "secret": "t"}]}`, "endpoints[0].extra_config.proxy.flatmap_filter: ignored, as KrakenD ignores it, on an endpoint with one backend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[` + tt.endpoint + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			gw, warns, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(warns, "\n"); (tt.warn == "") != (got == "") || !strings.Contains(got, tt.warn) {
				t.Errorf("warnings %q, want %q", got, tt.warn)
			}
			w := httptest.NewRecorder()
			gw.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/t", nil))
			if w.Code != 200 || w.Body.String() != tt.want {
				t.Errorf("got %d %s, want 200 %s", w.Code, w.Body, tt.want)
			}
		})
	}
}
