package httpcache

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/lambdagate/lambdagate/internal/redistest"
	"github.com/lambdagate/lambdagate/proxy"
)

// backendReply is a backend whose every reply is fresh for a minute; it
// counts its calls.
func backendReply(calls *atomic.Int64) proxy.Proxy {
	return func(context.Context, *proxy.Request) (*proxy.Response, error) {
		calls.Add(1)
		return &proxy.Response{IsComplete: true, Raw: []byte(`{"ok":true}`), Metadata: proxy.Metadata{StatusCode: 200,
			Headers: http.Header{"Cache-Control": {"max-age=60"}}}}, nil
	}
}

// sharedLayer is a gateway's layer with a store of its own, shared through
// Redis at addr, its metrics in reader.
func sharedLayer(t *testing.T, addr string, reader *sdkmetric.ManualReader) *Layer {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	l := NewLayer(NewStore(&Settings{MaxItems: 100, MaxSize: 1 << 20}, nil), nil, false)
	if err := l.ShareThrough(c, "c", "endpoints[0].backend[0]", mp.Meter("test")); err != nil {
		t.Fatal(err)
	}
	return l
}

// counts reads reader's counters: metric → attributes → value.
func counts(t *testing.T, reader *sdkmetric.ManualReader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				out[m.Name] = map[string]int64{}
				for _, dp := range d.DataPoints {
					out[m.Name][dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
				}
			}
		}
	}
	return out
}

const attrs = "backend.name=endpoints[0].backend[0],connection=c"

// Two gateways' layers on one Redis share their replies: what a stores, b
// serves without a backend call (a Redis hit); b's memory serves it next
// (Redis not read again). Redis stopped, then hanging: each call is a
// miss answered by the backend, never an error to the caller, within the
// read's and the write's 250 ms bounds; the errors are counted by
// operation.
func TestSharedCacheMetricsAndFailures(t *testing.T) {
	srv := redistest.Start(t)
	ra, rb := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	a, b := sharedLayer(t, srv.Addr(), ra), sharedLayer(t, srv.Addr(), rb)
	hung := sharedLayer(t, redistest.BlackHole(t), sdkmetric.NewManualReader())
	var calls atomic.Int64
	send := backendReply(&calls)
	ctx := context.Background()
	call := func(l *Layer, key string) time.Duration {
		t.Helper()
		start := time.Now()
		resp, err := l.Call(ctx, key, http.Header{}, send, &proxy.Request{})
		if err != nil || string(resp.Raw) != `{"ok":true}` {
			t.Fatalf("%s: %v %v, want the reply", key, resp, err)
		}
		return time.Since(start)
	}
	call(a, "GET /r") // a's miss everywhere: the backend, stored in Redis
	call(b, "GET /r") // b's memory miss, a Redis hit
	call(b, "GET /r") // b's memory
	if calls.Load() != 1 {
		t.Errorf("%d backend calls, want 1: b read a's reply from Redis", calls.Load())
	}
	ga, gb := counts(t, ra), counts(t, rb)
	if ga[MetricRedisMisses][attrs] != 1 || ga[MetricRedisHits][attrs] != 0 || gb[MetricRedisHits][attrs] != 1 || gb[MetricRedisMisses][attrs] != 0 {
		t.Errorf("a: %v %v, b: %v %v; want a 1 miss, b 1 hit", ga[MetricRedisHits], ga[MetricRedisMisses], gb[MetricRedisHits], gb[MetricRedisMisses])
	}
	if len(ga[MetricRedisErrors])+len(gb[MetricRedisErrors]) != 0 {
		t.Errorf("errors %v %v with Redis up", ga[MetricRedisErrors], gb[MetricRedisErrors])
	}
	srv.Stop()
	call(b, "GET /other") // a miss: the backend answers
	if calls.Load() != 2 {
		t.Errorf("Redis stopped: %d backend calls, want 2", calls.Load())
	}
	gb = counts(t, rb)
	if gb[MetricRedisErrors][attrs+",operation=get"] != 1 || gb[MetricRedisErrors][attrs+",operation=set"] != 1 || gb[MetricRedisMisses][attrs] != 1 {
		t.Errorf("Redis stopped: errors %v, misses %v; want a get and a set error, one miss", gb[MetricRedisErrors], gb[MetricRedisMisses])
	}
	if d := call(hung, "GET /r"); d > 1500*time.Millisecond {
		t.Errorf("hanging Redis: the call took %v, want within the read's and the write's 250ms", d)
	}
	if calls.Load() != 3 {
		t.Errorf("hanging Redis: %d backend calls, want 3", calls.Load())
	}
}

// BenchmarkSharedCache is one GET through the layer: a hit of another
// gateway's reply in Redis (the memory misses: the store holds one entry
// and two keys alternate), against the backend call it saves (an
// in-process reply here; docs/BENCHMARKS.md adds the HTTP call's cost).
func BenchmarkSharedCache(b *testing.B) {
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true, ContextTimeoutEnabled: true})
	defer c.Close()
	var calls atomic.Int64
	send := backendReply(&calls)
	ctx := context.Background()
	writer := NewLayer(NewStore(&Settings{MaxItems: 10, MaxSize: 1 << 20}, nil), nil, false)
	writer.ShareThrough(c, "c", "b", nil)
	keys := []string{"GET /a", "GET /b"}
	for _, k := range keys {
		writer.Call(ctx, k, http.Header{}, send, &proxy.Request{})
	}
	l := NewLayer(NewStore(&Settings{MaxItems: 1, MaxSize: 1 << 20}, nil), nil, false)
	l.ShareThrough(c, "c", "b", nil)
	before := calls.Load()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := l.Call(ctx, keys[i%2], http.Header{}, send, &proxy.Request{}); err != nil {
			b.Fatal(err)
		}
	}
	if calls.Load() != before {
		b.Fatalf("%d backend calls: the benchmark measured misses", calls.Load()-before)
	}
}
