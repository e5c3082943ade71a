package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redisbatch"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

// onePool is a RedisPools of one client.
type onePool struct {
	name string
	b    *redisbatch.Batcher
}

func newOnePool(name string, c *redis.Client) onePool { return onePool{name, redisbatch.New(c, 0)} }

func (p onePool) Batcher(name string) (*redisbatch.Batcher, bool) { return p.b, name == p.name }
func (p onePool) Names() []string                                 { return []string{p.name} }

// counters returns each counter's series, by attributes.
func counters(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			series := map[string]int64{}
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range d.DataPoints {
					series[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
				}
			}
			out[m.Name] = series
		}
	}
	return out
}

// The service's Redis limit counts its checks, its refusals by status and
// Redis's failures by policy, named by pool and namespace; its keys are the
// service's, apart from any endpoint's.
func TestRedisServiceMetricsAndKeys(t *testing.T) {
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	x := config.NewExtraConfig("extra_config", map[string]json.RawMessage{
		ServiceRedisNamespace: json.RawMessage(`{"connection_name": "rl", "max_rate": 1, "every": "1h", "on_failure_local": true}`),
	})
	s, warns, err := NewRedisService(&x, RedisDeps{Pools: newOnePool("rl", client), Meter: mp.Meter("test")})
	if err != nil || s == nil || len(warns) > 0 {
		t.Fatalf("NewRedisService = %v, %v, %v", s, warns, err)
	}
	t.Cleanup(s.Close)
	h := s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	get := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
		return w.Code
	}
	if a, b := get(), get(); a != 200 || b != 503 {
		t.Fatalf("Redis up: %d, %d; want 200, 503", a, b)
	}
	if n, err := client.Exists(context.Background(), serviceRedisPrefix+"endpoint").Result(); err != nil || n != 1 {
		t.Errorf("the service's key %q: exists %d, %v", serviceRedisPrefix+"endpoint", n, err)
	}
	srv.Stop()
	if a, b := get(), get(); a != 200 || b != 503 {
		t.Errorf("Redis stopped, on_failure_local: %d, %d; want 200, 503 (the memory's bucket)", a, b)
	}
	const pool = "connection=rl,namespace=qos/ratelimit/service/redis"
	got := counters(t, reader)
	for _, c := range []struct {
		metric, attrs string
		want          int64
	}{
		{MetricRedisChecks, pool, 4},
		{MetricRedisRejections, pool + ",status=503", 1},
		{MetricRedisErrors, pool + ",on_failure=local", 2},
	} {
		if n := got[c.metric][c.attrs]; n != c.want {
			t.Errorf("%s{%s} = %d, want %d (all: %v)", c.metric, c.attrs, n, c.want, got[c.metric])
		}
	}
}

// Many concurrent checks on one pool count as a serial run does: each
// client gets exactly its capacity, the endpoint exactly its own (every
// check is one atomic script run, whichever batch carries it), and the
// checks went out in fewer round trips than checks (they were batched).
func TestRedisConcurrentChecksCountAsSerial(t *testing.T) {
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { client.Close() })
	pool := newOnePool("rl", client)
	t.Cleanup(pool.b.Close)
	for _, c := range []struct {
		name, extra      string
		clients, perEach int
		// want counts the statuses.
		want map[int]int
	}{
		{"clients", `"client_max_rate": 20, "client_capacity": 20, "strategy": "header", "key": "X-Client", "every": "1h"`,
			8, 30, map[int]int{200: 8 * 20, 429: 8 * 10}},
		{"endpoint", `"max_rate": 100, "capacity": 100, "every": "1h"`,
			6, 50, map[int]int{200: 100, 503: 200}},
		{"clients and endpoint", `"max_rate": 50, "capacity": 50, "client_max_rate": 1000, "client_capacity": 1000, "strategy": "header", "key": "X-Client", "every": "1h"`,
			4, 50, map[int]int{200: 50, 503: 150}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := parseEndpoint(t, "/"+strings.ReplaceAll(c.name, " ", "-"), `{"qos/ratelimit/router/redis": {"connection_name": "rl", `+c.extra+`}}`)
			l, _, err := NewRedisEndpoint(e, RedisDeps{Pools: pool, Timeout: 5 * time.Second})
			if err != nil || l == nil {
				t.Fatalf("NewRedisEndpoint = %v, %v", l, err)
			}
			h := l.Wrap(func(w http.ResponseWriter, _ *http.Request, _ []string) {})
			rounds0, calls0 := pool.b.Stats()
			var mu sync.Mutex
			got := map[int]int{}
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range c.clients * c.perEach {
				wg.Go(func() {
					r := httptest.NewRequest("GET", "/x", nil)
					r.Header.Set("X-Client", fmt.Sprint(i%c.clients))
					w := httptest.NewRecorder()
					<-start
					h(w, r, nil)
					mu.Lock()
					got[w.Code]++
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			if !maps.Equal(got, c.want) {
				t.Errorf("statuses %v, want %v (as a serial run)", got, c.want)
			}
			rounds, calls := pool.b.Stats()
			rounds, calls = rounds-rounds0, calls-calls0
			if calls != uint64(c.clients*c.perEach) || rounds >= calls/2 {
				t.Errorf("%d checks in %d round trips: want every check, batched", calls, rounds)
			}
		})
	}
}
