package ratelimit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

// onePool is a RedisPools of one client.
type onePool struct {
	name string
	c    *redis.Client
}

func (p onePool) Get(name string) (*redis.Client, bool) { return p.c, name == p.name }
func (p onePool) Names() []string                       { return []string{p.name} }

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
	s, warns, err := NewRedisService(&x, RedisDeps{Pools: onePool{"rl", client}, Meter: mp.Meter("test")})
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
