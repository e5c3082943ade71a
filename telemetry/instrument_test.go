package telemetry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/lambdagate/lambdagate/proxy"
)

func newTestTelemetry(t *testing.T) *Telemetry {
	t.Helper()
	tel, err := New(&OTelOptions{ServiceName: "test", TraceSampleRate: 1, SkipPaths: []string{"/skipped"},
		Prometheus: []PrometheusExporter{{Name: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

// counts gathers the tel's metrics: for each family, the count (counter
// value or histogram count) of the series whose labels include want.
func counts(t *testing.T, tel *Telemetry, family string, want map[string]string) float64 {
	t.Helper()
	mfs, err := tel.registries[0].Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

func TestEndpointInstrumentation(t *testing.T) {
	t.Parallel()
	tel := newTestTelemetry(t)
	var inFlight float64
	h := tel.Endpoint("GET", "/users/{id}", func(w http.ResponseWriter, r *http.Request, params []string) {
		inFlight = counts(t, tel, "lambdagate_requests_in_flight", map[string]string{"http_route": "/users/{id}"})
		if params[0] == "404" {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Write([]byte("ok"))
	})
	for _, id := range []string{"1", "2", "404"} {
		h(httptest.NewRecorder(), httptest.NewRequest("GET", "/users/"+id, nil), []string{id})
	}
	if inFlight != 1 {
		t.Errorf("in flight while serving = %v, want 1", inFlight)
	}
	route := map[string]string{"http_request_method": "GET", "http_route": "/users/{id}"}
	if got := counts(t, tel, "lambdagate_requests_in_flight", route); got != 0 {
		t.Errorf("in flight after = %v", got)
	}
	for status, want := range map[string]float64{"200": 2, "404": 1} {
		l := map[string]string{"http_route": "/users/{id}", "http_response_status_code": status}
		if got := counts(t, tel, "lambdagate_requests_total", l); got != want {
			t.Errorf("requests{status=%s} = %v, want %v", status, got, want)
		}
		if got := counts(t, tel, "lambdagate_request_duration_seconds", l); got != want {
			t.Errorf("duration count{status=%s} = %v, want %v", status, got, want)
		}
	}
	called := false
	skipped := tel.Endpoint("GET", "/skipped", func(http.ResponseWriter, *http.Request, []string) { called = true })
	skipped(httptest.NewRecorder(), httptest.NewRequest("GET", "/skipped", nil), nil)
	if !called || counts(t, tel, "lambdagate_requests_total", map[string]string{"http_route": "/skipped"}) != 0 {
		t.Error("a skipped path was counted")
	}
	var nilTel *Telemetry
	if nilTel.Backend(Backend{}) != nil {
		t.Error("a nil Telemetry instruments backends")
	}
}

func TestEndpointInstrumentationPanics(t *testing.T) {
	t.Parallel()
	tel := newTestTelemetry(t)
	h := tel.Endpoint("GET", "/p", func(http.ResponseWriter, *http.Request, []string) { panic("boom") })
	func() {
		defer func() { recover() }()
		h(httptest.NewRecorder(), httptest.NewRequest("GET", "/p", nil), nil)
	}()
	if got := counts(t, tel, "lambdagate_requests_total", map[string]string{"http_route": "/p", "http_response_status_code": "500"}); got != 1 {
		t.Errorf("panicking request counted %v times as 500", got)
	}
	if got := counts(t, tel, "lambdagate_requests_in_flight", map[string]string{"http_route": "/p"}); got != 0 {
		t.Errorf("in flight = %v", got)
	}
}

func TestBackendOutcomes(t *testing.T) {
	t.Parallel()
	tel := newTestTelemetry(t)
	mw := tel.Backend(Backend{Kind: "http", Target: "h:1", Name: "endpoints[0].backend[0]"})
	answers := []func(ctx context.Context) (*proxy.Response, error){
		func(context.Context) (*proxy.Response, error) { return &proxy.Response{IsComplete: true}, nil },
		func(context.Context) (*proxy.Response, error) { return nil, errors.New("down") },
		func(ctx context.Context) (*proxy.Response, error) { <-ctx.Done(); return nil, ctx.Err() },
		func(context.Context) (*proxy.Response, error) {
			return &proxy.Response{Data: map[string]any{"a": 1}}, errors.New("details")
		},
		func(context.Context) (*proxy.Response, error) { return &proxy.Response{Data: map[string]any{}}, nil },
	}
	for _, a := range answers {
		p := mw(func(ctx context.Context, _ *proxy.Request) (*proxy.Response, error) { return a(ctx) })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		p(ctx, &proxy.Request{})
		cancel()
	}
	for outcome, want := range map[string]float64{"success": 1, "error": 1, "timeout": 1, "partial": 2} {
		l := map[string]string{"backend_kind": "http", "backend_target": "h:1", "backend_outcome": outcome}
		if got := counts(t, tel, "lambdagate_backend_calls_total", l); got != want {
			t.Errorf("calls{outcome=%s} = %v, want %v", outcome, got, want)
		}
		if got := counts(t, tel, "lambdagate_backend_duration_seconds", l); got != want {
			t.Errorf("duration count{outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
}
