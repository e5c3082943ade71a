package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// TestJSONSchema checks validation/json-schema through a whole gateway:
// an invalid body gets 400 and reaches no backend, its errors shown with
// return_error_msg; a valid one is served.
func TestJSONSchema(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(srv.Close)
	cfg, _, err := config.Parse([]byte(`{"version":3,"extra_config":{"router":{"return_error_msg":true}},"endpoints":[{"endpoint":"/t","method":"POST",
		"extra_config":{"validation/json-schema":{"type":"object","required":["name"]}},
		"backend":[{"host":["` + srv.URL + `"],"url_pattern":"/"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		body, want string
		status     int
		calls      int64
	}{
		{`{"age": 3}`, "- at /: missing property 'name'", 400, 0},
		{``, "could not validate an empty body", 400, 0},
		{`{"name": "x"}`, `{"ok": true}`, 200, 1},
	} {
		w := httptest.NewRecorder()
		gw.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/t", strings.NewReader(tt.body)))
		if w.Code != tt.status || w.Body.String() != tt.want || calls.Load() != tt.calls {
			t.Errorf("body %q: got %d %q (backend calls %d), want %d %q (%d)", tt.body, w.Code, w.Body, calls.Load(), tt.status, tt.want, tt.calls)
		}
	}
}
