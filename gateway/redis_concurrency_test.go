package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lambdagate/lambdagate/internal/redistest"
	"github.com/lambdagate/lambdagate/lambdalocal"
)

// inflightRuntime starts the local Lambda runtime with backend/lambda's
// test function "inflight", which reports how many of its invocations
// run at once (each leaves a file in the dir it is given while it sleeps).
func inflightRuntime(t *testing.T) string {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	srv, err := lambdalocal.Start(context.Background(), lambdalocal.Options{FunctionsDir: "../backend/lambda/testdata/functions", CacheDir: t.TempDir(), IdleTimeout: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv.URL()
}

// fleetCapped is a configuration with the Redis pool "fleet" at addr and
// the endpoint /inflight on the function "inflight" of the runtime at
// lambdaURL, with the backend/lambda options cap (JSON members).
func fleetCapped(addr, lambdaURL, cap string) string {
	return `{"version": 3,
		"extra_config": {"redis": {"connection_pools": [{"name": "fleet", "address": "` + addr + `", "max_retries": 0}]}},
		"endpoints": [{"endpoint": "/inflight", "timeout": "5s", "input_query_strings": ["dir", "ms"],
		  "backend": [{"host": ["http://unused.invalid"], "url_pattern": "/",
		    "extra_config": {"backend/lambda": {"function_name": "inflight", "endpoint": "` + lambdaURL + `"` + cap + `}}}]}]}`
}

// burstResult is what a burst of requests got.
type burstResult struct {
	ok, refused, unavailable int64
	seen                     int64 // the most invocations running at once, as the function saw them
	slowestRefusal           time.Duration
	others                   []string
}

// burst sends n concurrent GETs of /inflight, the i-th to gateways[i %
// len], each invocation sleeping ms; it waits for every answer.
func burst(t *testing.T, gateways []http.Handler, n, ms int) *burstResult {
	t.Helper()
	dir := t.TempDir()
	var r burstResult
	var mu sync.Mutex
	var seen atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		h := gateways[i%len(gateways)]
		wg.Go(func() {
			start := time.Now()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/inflight?dir="+dir+"&ms="+strconv.Itoa(ms), nil))
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case w.Code == 200:
				r.ok++
				var body struct{ Seen int64 }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Seen == 0 {
					r.others = append(r.others, fmt.Sprintf("200 %q", w.Body))
				}
				for m := seen.Load(); body.Seen > m && !seen.CompareAndSwap(m, body.Seen); m = seen.Load() {
				}
			case w.Code == 429 && w.Header().Get("Retry-After") == "1":
				r.refused++
				r.slowestRefusal = max(r.slowestRefusal, took)
			case w.Code == 503 && w.Header().Get("Retry-After") == "":
				r.unavailable++
				r.slowestRefusal = max(r.slowestRefusal, took)
			default:
				r.others = append(r.others, fmt.Sprintf("%d %q %v", w.Code, w.Body, w.Header()))
			}
		})
	}
	wg.Wait()
	r.seen = seen.Load()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d invocations still running after every answer", len(entries))
	}
	t.Logf("%d ok, %d refused (429), %d unavailable (503), at most %d running at once, slowest refusal %v", r.ok, r.refused, r.unavailable, r.seen, r.slowestRefusal)
	return &r
}

// leases counts the leases in Redis of the endpoint's backend.
func leases(t *testing.T, addr string) int64 {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	n, err := c.ZCard(context.Background(), "lambdagate:concurrency:GET /inflight:backend[0]").Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Two gateways built from the same configuration, sharing a Redis pool: a
// burst of 60 concurrent calls split across them, with max_concurrency 5
// and max_concurrency_redis, never has more than 5 invocations running at
// the local runtime (each reports how many run with it); the others get
// 429 with Retry-After: 1 at once, and every lease is given back. The same
// two gateways with the node-local cap alone run more than 5 at once (up
// to 5 each): what the fleet's cap prevents.
func TestFleetMaxConcurrencyAcrossTwoGateways(t *testing.T) {
	srv := redistest.Start(t)
	lambdaURL := inflightRuntime(t)
	// Ten warm processes first, so that both gateways' invocations start
	// together rather than one cold start after the other.
	burst(t, []http.Handler{builtGateway(t, fleetCapped(srv.Addr(), lambdaURL, ``), nil)}, 12, 600)
	for _, tc := range []struct {
		name             string
		cap              string
		minSeen, maxSeen int64
	}{
		{"max_concurrency_redis", `, "max_concurrency": 5, "max_concurrency_redis": {"connection_name": "fleet"}`, 1, 5},
		{"node-local cap only", `, "max_concurrency": 5`, 6, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fleetCapped(srv.Addr(), lambdaURL, tc.cap)
			a, b := builtGateway(t, cfg, nil), builtGateway(t, cfg, nil)
			r := burst(t, []http.Handler{a, b}, 60, 800)
			if len(r.others) > 0 {
				t.Fatalf("%d other answers, first: %s", len(r.others), r.others[0])
			}
			if r.seen < tc.minSeen || r.seen > tc.maxSeen {
				t.Errorf("at most %d invocations ran at once, want %d to %d", r.seen, tc.minSeen, tc.maxSeen)
			}
			if r.ok < 5 || r.refused < 30 || r.ok+r.refused != 60 {
				t.Errorf("%d ok, %d refused with 429: want 5 or more ok, most refused, none other", r.ok, r.refused)
			}
			if r.slowestRefusal > 500*time.Millisecond {
				t.Errorf("a refusal took %v: want at once (never queued)", r.slowestRefusal)
			}
			if n := leases(t, srv.Addr()); n != 0 {
				t.Errorf("%d leases left in Redis after the burst, want 0", n)
			}
		})
	}
}

// A replica that died holding leases (written to Redis as it would have,
// then never released) keeps the fleet at its cap until they expire; then
// the survivors invoke again.
func TestFleetDeadReplicasLeasesExpire(t *testing.T) {
	srv := redistest.Start(t)
	lambdaURL := inflightRuntime(t)
	g := builtGateway(t, fleetCapped(srv.Addr(), lambdaURL, `, "max_concurrency": 2, "max_concurrency_redis": {"connection_name": "fleet"}`), nil)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	ctx := context.Background()
	now, err := c.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	const life = 1500 * time.Millisecond
	key := "lambdagate:concurrency:GET /inflight:backend[0]"
	for i := range 2 {
		c.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(life).UnixMilli()), Member: "dead-replica:" + strconv.Itoa(i)})
	}
	dir := t.TempDir()
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest("GET", "/inflight?dir="+dir+"&ms=10", nil))
		return w
	}
	if w := get(); w.Code != 429 {
		t.Fatalf("the dead replica's leases alive: %d %q, want 429", w.Code, w.Body)
	}
	start := time.Now()
	for {
		w := get()
		if w.Code == 200 {
			break
		}
		if w.Code != 429 || time.Since(start) > 10*time.Second {
			t.Fatalf("after %v: %d %q, want 429 until the leases expire, then 200", time.Since(start), w.Code, w.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := time.Since(start); d > life+time.Second {
		t.Errorf("invoked again %v after, the leases lived %v", d, life)
	}
}

// Redis stopped or hanging: by default each call is refused with 503
// (no Retry-After) within the lease's timeout, nothing invoked; with
// on_failure_local the gateway caps the invocations at max_concurrency
// itself (a burst of 20 runs 5 at most, the rest 429). Redis back: the
// fleet's cap again.
func TestFleetMaxConcurrencyRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	lambdaURL := inflightRuntime(t)
	refuse := builtGateway(t, fleetCapped(srv.Addr(), lambdaURL, `, "max_concurrency": 5, "max_concurrency_redis": {"connection_name": "fleet"}`), nil)
	local := builtGateway(t, fleetCapped(srv.Addr(), lambdaURL, `, "max_concurrency": 5, "max_concurrency_redis": {"connection_name": "fleet", "on_failure_local": true}`), nil)
	hanging := builtGateway(t, fleetCapped(redistest.BlackHole(t), lambdaURL, `, "max_concurrency": 5, "max_concurrency_redis": {"connection_name": "fleet"}`), nil)
	if r := burst(t, []http.Handler{refuse}, 1, 10); r.ok != 1 {
		t.Fatalf("Redis up: %+v", r)
	}
	srv.Stop()
	for name, g := range map[string]http.Handler{"stopped": refuse, "hanging": hanging} {
		r := burst(t, []http.Handler{g}, 10, 10)
		if r.unavailable != 10 || r.seen != 0 {
			t.Errorf("%s Redis: %d of 10 answered 503 without Retry-After, %d invoked; want 10 and none (%v)", name, r.unavailable, r.ok, r.others)
		}
		if r.slowestRefusal > time.Second {
			t.Errorf("%s Redis: a call took %v, want within the 250ms lease timeout", name, r.slowestRefusal)
		}
	}
	r := burst(t, []http.Handler{local}, 20, 800)
	if len(r.others) > 0 || r.unavailable > 0 || r.ok < 5 || r.seen > 5 {
		t.Errorf("on_failure_local, Redis stopped: %d ok, %d refused, %d 503, at most %d running (%v); want 5 or more ok, at most 5 running, no 503", r.ok, r.refused, r.unavailable, r.seen, r.others)
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := burst(t, []http.Handler{refuse}, 1, 10)
		if r.ok == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis back: still %+v after 5s", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := leases(t, srv.Addr()); n != 0 {
		t.Errorf("Redis back: %d leases left, want 0", n)
	}
}
