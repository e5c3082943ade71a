package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/proxy"
)

// The events' sourceIp is the client's address as the router's client-IP
// options resolved it (proxy.Request.ClientIP), not the peer's: behind a
// trusted load balancer, the peer is the balancer.
func TestSourceIPIsTheResolvedClient(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rt := route{pattern: "/users/{id}", params: []string{"id"}}
	for _, c := range []struct {
		name, clientIP, want string
	}{
		{"resolved", "203.0.113.9", "203.0.113.9"},
		{"not resolved: the peer", "", "192.0.2.7"},
	} {
		req := eventRequest()
		req.ClientIP = c.clientIP
		var v1 events.APIGatewayProxyRequest
		b, _ := json.Marshal(apiGatewayV1Event(req, rt, "rid", now))
		if err := json.Unmarshal(b, &v1); err != nil {
			t.Fatal(err)
		}
		var v2 events.APIGatewayV2HTTPRequest
		b, _ = json.Marshal(apiGatewayV2Event(req, rt, "rid", now))
		if err := json.Unmarshal(b, &v2); err != nil {
			t.Fatal(err)
		}
		if v1.RequestContext.Identity.SourceIP != c.want || v2.RequestContext.HTTP.SourceIP != c.want {
			t.Errorf("%s: sourceIp v1 %q, v2 %q; want %q", c.name, v1.RequestContext.Identity.SourceIP, v2.RequestContext.HTTP.SourceIP, c.want)
		}
	}
}

// A max_concurrency refusal is its own outcome in the metrics: no
// invocation, no error, one refusal.
func TestMaxConcurrencyRefusalMetrics(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Int64
	f := invoketest.Start(t, func(w http.ResponseWriter, _ call, _ int) {
		started.Add(1)
		<-release
		w.Write([]byte(`{"ok":true}`))
	})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	hooks := &factoryHooks{backoff: invoketest.FastBackoff, meter: mp.Meter("test")}
	p := transportWith(t, gatewayConfig{lambda: `{"function_name": "slow", "max_concurrency": 1, "endpoint": "` + f.URL + `"}`}, nil, hooks)
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
	_, err := p(ctxT(t), getReq(nil))
	var se *proxy.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests {
		t.Fatalf("second call: %v, want 429", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := collect(t, reader)
	sum := func(m string) (n int64) {
		for k, v := range got[m] {
			if len(k) < 4 || k[:4] != "sum:" {
				n += v
			}
		}
		return n
	}
	if n := sum(MetricInvocations); n != 1 {
		t.Errorf("invocations = %d, want 1 (the refused call made none): %v", n, got[MetricInvocations])
	}
	if n := sum(MetricErrors); n != 0 {
		t.Errorf("errors = %d, want 0: %v", n, got[MetricErrors])
	}
	if n := got[MetricConcurrencyRefusals]["aws.lambda.function=slow"]; n != 1 {
		t.Errorf("refusals = %v, want 1 for slow", got[MetricConcurrencyRefusals])
	}
}

// A cache_ttl hit does not log the cached invocation's log tail again:
// one invocation, one log-tail line.
func TestCacheHitLogsNoTail(t *testing.T) {
	var invocations atomic.Int64
	f := invoketest.Start(t, func(w http.ResponseWriter, _ call, _ int) {
		invocations.Add(1)
		w.Header().Set("X-Amz-Log-Result", "aGVsbG8K") // "hello\n"
		w.Write([]byte(`{}`))
	})
	svc, _, err := config.Parse([]byte(gatewayConfig{lambda: `{"function_name": "fn", "log_type": "Tail", "cache_ttl": "1h", "endpoint": "` + f.URL + `"}`}.json()))
	if err != nil {
		t.Fatal(err)
	}
	h := &recordHandler{}
	spec := specOf(svc, nil, "")
	spec.Logger = slog.New(h)
	p, _, err := builder(nil)(spec)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := p(ctxT(t), getReq(nil)); err != nil {
			t.Fatal(err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	tails := 0
	for _, r := range h.recs {
		if r.Message == "lambda function log tail" {
			tails++
		}
	}
	if invocations.Load() != 1 || tails != 1 {
		t.Errorf("%d invocations, %d log-tail lines; want 1 and 1", invocations.Load(), tails)
	}
}
