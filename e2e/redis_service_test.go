package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/internal/redistest"
)

// Two gateway processes on one redis-server share
// qos/ratelimit/service/redis: 3 requests an hour for the whole fleet,
// across endpoints and processes; the 4th, to either, gets 503 with
// Retry-After.
func TestRedisServiceLimitAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t) // skips, or fails with CI set, without redis-server
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(be.Close)
	cfg := `{"version": 3, "host": ["` + be.URL + `"],
	  "extra_config": {"redis": {"connection_pools": [{"name": "fleet", "address": "` + srv.Addr() + `"}]},
	    "qos/ratelimit/service/redis": {"connection_name": "fleet", "max_rate": 3, "capacity": 3, "every": "1h"}},
	  "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}, {"endpoint": "/b", "backend": [{"url_pattern": "/"}]}]}`
	a, b := startGateway(t, cfg), startGateway(t, cfg)
	var got []string
	for _, u := range []string{a.URL + "/a", b.URL + "/b", a.URL + "/b", b.URL + "/a", a.URL + "/a"} {
		r := do(t, "GET", u, "", nil)
		got = append(got, fmt.Sprintf("%d/%s", r.Status, r.Header.Get("Retry-After")))
	}
	if want := "200/ 200/ 200/ 503/1200 503/1200"; strings.Join(got, " ") != want {
		t.Errorf("statuses %s, want %s", strings.Join(got, " "), want)
	}
}
