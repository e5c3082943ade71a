package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/redistest"
)

// qos/http-cache with connection_name: a reply one gateway stores is
// served by another from Redis, without a backend call; with Redis
// stopped, each gateway calls the backend (and caches in its memory).
func TestHTTPCacheSharedThroughRedis(t *testing.T) {
	srv := redistest.Start(t)
	var calls atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write([]byte(`{"n":` + r.URL.Query().Get("n") + `}`))
	}))
	t.Cleanup(be.Close)
	cfg := `{"version": 3, "host": ["` + be.URL + `"],
	  "extra_config": {"redis": {"connection_pools": [{"name": "c", "address": "` + srv.Addr() + `", "max_retries": 0}]}},
	  "endpoints": [{"endpoint": "/a", "input_query_strings": ["n"], "backend": [{"url_pattern": "/r", "extra_config": {"qos/http-cache": {"connection_name": "c"}}}]}]}`
	a, b := builtGateway(t, cfg, nil), builtGateway(t, cfg, nil)
	for i, c := range []struct {
		h     http.Handler
		path  string
		calls int64
	}{
		{a, "/a?n=1", 1}, // stored by a, in its memory and in Redis
		{b, "/a?n=1", 1}, // b's miss, read from Redis
		{b, "/a?n=1", 1}, // b's memory
		{b, "/a?n=2", 2}, // another URL
		{a, "/a?n=2", 2}, // from Redis
	} {
		w := from(c.h, "192.0.2.1:1", c.path, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"n":`+c.path[len(c.path)-1:]) {
			t.Errorf("step %d: %d %q", i+1, w.Code, w.Body)
		}
		if n := calls.Load(); n != c.calls {
			t.Errorf("step %d: %d backend calls, want %d", i+1, n, c.calls)
		}
	}
	srv.Stop()
	if w := from(b, "192.0.2.1:1", "/a?n=3", nil); w.Code != 200 || calls.Load() != 3 {
		t.Errorf("Redis stopped: %d, %d backend calls; want 200 and 3", w.Code, calls.Load())
	}
	// A Redis that accepts connections and never answers: a miss within
	// the read's 250 ms (and the write's), the backend's reply, no error.
	hung := builtGateway(t, strings.Replace(cfg, srv.Addr(), redistest.BlackHole(t), 1), nil)
	start := time.Now()
	if w := from(hung, "192.0.2.1:1", "/a?n=4", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"n":4`) || calls.Load() != 4 {
		t.Errorf("hanging Redis: %d %q, %d backend calls; want 200 from the backend, 4 calls", w.Code, w.Body, calls.Load())
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("hanging Redis: the request took %v, want within the read's and the write's 250ms", d)
	}
}
