package lambda

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/redistest"
	"github.com/lambdagate/lambdagate/proxy"
)

// testPools are Redis pools by name (backend.RedisPools).
type testPools map[string]*redis.Client

func (p testPools) Get(name string) (*redis.Client, bool) { c, ok := p[name]; return c, ok }
func (p testPools) Names() []string {
	var n []string
	for k := range p {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

func poolsTo(t *testing.T, addr string) testPools {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return testPools{"fleet": c}
}

// buildFleet builds g's backend with the pools and hooks.
func buildFleet(t *testing.T, g gatewayConfig, pools testPools, hooks *factoryHooks) (proxy.Proxy, error) {
	t.Helper()
	svc, _, err := config.Parse([]byte(g.json()))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, g.json())
	}
	spec := specOf(svc, nil, "")
	spec.Redis = pools
	if hooks == nil {
		hooks = &factoryHooks{backoff: invoketest.FastBackoff}
	}
	p, _, err := builder(hooks)(spec)
	return p, err
}

func TestFleetConfigErrors(t *testing.T) {
	pools := testPools{"fleet": nil}
	for _, tc := range []struct {
		name, lambda, path, fragment string
	}{
		{"without max_concurrency", `{"function_name": "a", "region": "us-east-1", "max_concurrency_redis": {"connection_name": "fleet"}}`, `.max_concurrency_redis`, "only applies with max_concurrency"},
		{"no connection_name", `{"function_name": "a", "region": "us-east-1", "max_concurrency": 2, "max_concurrency_redis": {}}`, `.max_concurrency_redis.connection_name`, "names no pool"},
		{"unknown pool", `{"function_name": "a", "region": "us-east-1", "max_concurrency": 2, "max_concurrency_redis": {"connection_name": "other"}}`, `.max_concurrency_redis.connection_name`, `"other" is not one of the service's redis.connection_pools ["fleet"]`},
		{"streams", `{"function_name": "a", "region": "us-east-1", "invoke_mode": "RESPONSE_STREAM", "max_concurrency": 2, "max_concurrency_redis": {"connection_name": "fleet"}}`, `.max_concurrency`, "not implemented with invoke_mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildFleet(t, gatewayConfig{outputEncoding: "no-op", backendExtra: `"encoding": "no-op",`, lambda: tc.lambda}, pools, nil)
			wantConfigError(t, err, nsPath+tc.path, tc.fragment)
		})
	}
}

// The fleet's cap counts its refusals as the node-local cap does
// (lambdagate.lambda.concurrency.refusals, no invocation) and the calls
// Redis did not answer in lambdagate.lambda.concurrency.redis.errors, by
// the policy applied; a 503 of the refuse policy is no invocation either.
func TestFleetMetrics(t *testing.T) {
	srv := redistest.Start(t)
	var started atomic.Int64
	release := make(chan struct{})
	f := invoketest.Start(t, func(w http.ResponseWriter, _ call, _ int) {
		started.Add(1)
		<-release
		w.Write([]byte(`{"ok":true}`))
	})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	hooks := &factoryHooks{backoff: invoketest.FastBackoff, meter: mp.Meter("test")}
	pools := poolsTo(t, srv.Addr())
	p, err := buildFleet(t, gatewayConfig{lambda: `{"function_name": "slow", "endpoint": "` + f.URL + `", "max_concurrency": 1, "max_concurrency_redis": {"connection_name": "fleet"}}`}, pools, hooks)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p(ctxT(t), getReq(nil))
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); started.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first invocation did not start")
		}
	}
	_, err = p(ctxT(t), getReq(nil))
	var se *proxy.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests || se.Header.Get("Retry-After") != "1" {
		t.Fatalf("second call: %v, want 429 with Retry-After: 1", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, err = p(ctxT(t), getReq(nil))
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || se.Header.Get("Retry-After") != "" {
		t.Fatalf("Redis stopped: %v, want 503 without Retry-After", err)
	}
	got := collect(t, reader)
	if n := got[MetricInvocations]["aws.lambda.function=slow"]; n != 1 || len(got[MetricErrors]) != 0 {
		t.Errorf("invocations %v, errors %v: want the one invocation and no error", got[MetricInvocations], got[MetricErrors])
	}
	if n := got[MetricConcurrencyRefusals]["aws.lambda.function=slow"]; n != 1 {
		t.Errorf("refusals = %v, want 1 for slow", got[MetricConcurrencyRefusals])
	}
	if n := got[MetricConcurrencyRedisErrors]["aws.lambda.function=slow,connection=fleet,on_failure=refuse"]; n != 1 {
		t.Errorf("Redis errors = %v, want 1 (refuse)", got[MetricConcurrencyRedisErrors])
	}
}
