package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of every instrument and span of
// the gateway.
const ScopeName = "github.com/lambdagate/lambdagate"

// Telemetry is the gateway's OpenTelemetry set-up: a MeterProvider read by
// the Prometheus exporters, a TracerProvider sending to the OTLP exporters,
// the W3C propagator, and the instruments of the gateway's own metrics.
//
// New builds it without touching the network or the OpenTelemetry
// globals (so `lambdagate check` can build it too); Start serves and
// installs; Shutdown stops. A nil *Telemetry is valid: it instruments
// nothing, at no cost on the request path.
type Telemetry struct {
	opts       OTelOptions
	mp         *sdkmetric.MeterProvider // nil when metrics are off
	tp         *sdktrace.TracerProvider // nil when traces are off
	meter      metric.Meter
	tracer     trace.Tracer                  // nil when traces are off
	prop       propagation.TextMapPropagator // nil when propagation is off
	registries []*prometheus.Registry        // one per Prometheus exporter
	skip       map[string]bool
	inst       instruments
	servers    []*http.Server
}

type instruments struct {
	requests        metric.Int64Counter
	requestDuration metric.Float64Histogram
	inFlight        metric.Int64UpDownCounter
	backendCalls    metric.Int64Counter
	backendDuration metric.Float64Histogram
}

// New builds the set-up o describes. It returns nil, and no error, when o
// is nil: the namespace is absent and nothing is instrumented.
func New(o *OTelOptions) (*Telemetry, error) {
	if o == nil {
		return nil, nil
	}
	t := &Telemetry{opts: *o, skip: map[string]bool{}}
	for _, p := range o.SkipPaths {
		t.skip[p] = true
	}
	res := resource.NewSchemaless(resourceAttrs(o)...)
	if !o.DisablePropagation {
		t.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	if !o.DisableMetrics && len(o.Prometheus) > 0 {
		opts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter)}
		for _, pe := range o.Prometheus {
			reg := prometheus.NewRegistry()
			if pe.GoMetrics {
				reg.MustRegister(collectors.NewGoCollector())
			}
			if pe.ProcessMetrics {
				reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			}
			exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
			if err != nil {
				return nil, fmt.Errorf("prometheus exporter %q: %w", pe.Name, err)
			}
			t.registries = append(t.registries, reg)
			opts = append(opts, sdkmetric.WithReader(exp))
		}
		t.mp = sdkmetric.NewMeterProvider(opts...)
		t.meter = t.mp.Meter(ScopeName)
	} else {
		t.meter = metricnoop.NewMeterProvider().Meter(ScopeName)
	}
	if !o.DisableTraces && len(o.OTLP) > 0 {
		t.tp = sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.TraceSampleRate))),
		)
		t.tracer = t.tp.Tracer(ScopeName)
	}
	if err := t.inst.create(t.meter); err != nil {
		return nil, err
	}
	return t, nil
}

func resourceAttrs(o *OTelOptions) []attribute.KeyValue {
	attrs := []attribute.KeyValue{attribute.String("service.name", o.ServiceName)}
	if o.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", o.ServiceVersion))
	}
	if o.DeployEnv != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", o.DeployEnv))
	}
	return attrs
}

func (in *instruments) create(m metric.Meter) error {
	var err, e error
	in.requests, e = m.Int64Counter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered by an endpoint."))
	err = errors.Join(err, e)
	in.requestDuration, e = m.Float64Histogram(MetricRequestDuration, metric.WithUnit("s"),
		metric.WithDescription("Time an endpoint took to answer a request."),
		metric.WithExplicitBucketBoundaries(DurationBuckets...))
	err = errors.Join(err, e)
	in.inFlight, e = m.Int64UpDownCounter(MetricRequestsInFlight, metric.WithUnit("{request}"),
		metric.WithDescription("Requests being served."))
	err = errors.Join(err, e)
	in.backendCalls, e = m.Int64Counter(MetricBackendCalls, metric.WithUnit("{call}"),
		metric.WithDescription("Backend calls, by kind, target and outcome."))
	err = errors.Join(err, e)
	in.backendDuration, e = m.Float64Histogram(MetricBackendDuration, metric.WithUnit("s"),
		metric.WithDescription("Time a backend call took, reading and decoding its reply included."),
		metric.WithExplicitBucketBoundaries(DurationBuckets...))
	return errors.Join(err, e)
}

// Meter returns the meter other parts of the gateway (the Lambda
// transport, the local runtime) create their instruments with; a no-op
// meter when t is nil or metrics are off.
func (t *Telemetry) Meter() metric.Meter {
	if t == nil {
		return metricnoop.NewMeterProvider().Meter(ScopeName)
	}
	return t.meter
}

// Tracer returns the gateway's tracer; a no-op tracer when t is nil or
// traces are off.
func (t *Telemetry) Tracer() trace.Tracer {
	if t == nil || t.tracer == nil {
		return tracenoop.NewTracerProvider().Tracer(ScopeName)
	}
	return t.tracer
}

// Start connects the OTLP exporters, serves each Prometheus exporter on
// its own listener (logging its URL: "prometheus metrics served"), and
// installs the providers and propagator as the OpenTelemetry globals.
func (t *Telemetry) Start(logger *slog.Logger) error {
	if t == nil {
		return nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if t.tp != nil {
		for _, oe := range t.opts.OTLP {
			exp, err := newOTLPExporter(oe)
			if err != nil {
				return fmt.Errorf("otlp exporter %q: %w", oe.Name, err)
			}
			t.tp.RegisterSpanProcessor(sdktrace.NewBatchSpanProcessor(exp))
			logger.Info("otlp traces exported", "exporter", oe.Name, "endpoint", otlpURL(oe), "protocol", map[bool]string{true: "http", false: "grpc"}[oe.UseHTTP])
		}
		otel.SetTracerProvider(t.tp)
	}
	if t.mp != nil {
		for i, pe := range t.opts.Prometheus {
			if err := t.servePrometheus(pe, t.registries[i], logger); err != nil {
				return err
			}
		}
		otel.SetMeterProvider(t.mp)
	}
	if t.prop != nil {
		otel.SetTextMapPropagator(t.prop)
	}
	return nil
}

func (t *Telemetry) servePrometheus(pe PrometheusExporter, reg *prometheus.Registry, logger *slog.Logger) error {
	addr := net.JoinHostPort(pe.ListenIP, strconv.Itoa(pe.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("prometheus exporter %q: listening on %s: %w (change its port, or set it to 0)", pe.Name, addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	t.servers = append(t.servers, srv)
	go srv.Serve(ln)
	logger.Info("prometheus metrics served", "exporter", pe.Name, "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

func otlpURL(oe OTLPExporter) string {
	host, scheme := oe.Host, "http"
	if rest, ok := strings.CutPrefix(host, "https://"); ok {
		host, scheme = rest, "https"
	} else {
		host = strings.TrimPrefix(host, "http://")
	}
	u := scheme + "://" + net.JoinHostPort(strings.TrimRight(host, "/"), strconv.Itoa(oe.Port))
	if oe.UseHTTP {
		u += "/v1/traces"
	}
	return u
}

func newOTLPExporter(oe OTLPExporter) (sdktrace.SpanExporter, error) {
	ctx := context.Background()
	if oe.UseHTTP {
		return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(otlpURL(oe)))
	}
	return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(otlpURL(oe)))
}

// Shutdown stops the Prometheus listeners and flushes the spans not yet
// exported, within ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var err error
	for _, s := range t.servers {
		err = errors.Join(err, s.Shutdown(ctx))
	}
	if t.tp != nil {
		err = errors.Join(err, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		err = errors.Join(err, t.mp.Shutdown(ctx))
	}
	return err
}
