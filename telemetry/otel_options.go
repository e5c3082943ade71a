package telemetry

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lambdagate/lambdagate/config"
)

// OTelNamespace is the service-level extra_config key of OTelOptions.
const OTelNamespace = "telemetry/opentelemetry"

// Default ports of the exporters, as in KrakenD.
const (
	DefaultPrometheusPort = 9090
	DefaultOTLPGRPCPort   = 4317
	DefaultOTLPHTTPPort   = 4318
)

// OTelOptions is the decoded "telemetry/opentelemetry" namespace: what to
// measure and where to send it.
type OTelOptions struct {
	// ServiceName is the service.name of every metric and span (default
	// "lambdagate").
	ServiceName string
	// ServiceVersion is the service.version resource attribute.
	ServiceVersion string
	// DeployEnv is the deployment.environment.name resource attribute.
	DeployEnv string
	// TraceSampleRate is the share of traces recorded, 0 to 1 (default 1);
	// a client's sampled traceparent is always followed.
	TraceSampleRate float64
	// SkipPaths are endpoint paths, as written in the configuration, that
	// are not instrumented (default: the health path /__health).
	SkipPaths []string
	// Prometheus are the Prometheus exporters: one scrape endpoint each.
	Prometheus []PrometheusExporter
	// OTLP are the OTLP exporters: traces are pushed to each.
	OTLP []OTLPExporter
	// DisableMetrics turns every metric off (layers.global.disable_metrics).
	DisableMetrics bool
	// DisableTraces turns every span off (layers.global.disable_traces).
	DisableTraces bool
	// DisablePropagation neither reads traceparent from clients nor sends
	// it to backends (layers.global.disable_propagation).
	DisablePropagation bool
	// DisableBackendMetrics turns the backend metrics off
	// (layers.backend.metrics.disable_stage).
	DisableBackendMetrics bool
	// DisableBackendTraces turns the backend spans off
	// (layers.backend.traces.disable_stage).
	DisableBackendTraces bool
}

// PrometheusExporter serves the metrics for Prometheus to scrape.
type PrometheusExporter struct {
	// Name identifies the exporter in messages.
	Name string
	// ListenIP is the address to listen on (default: every interface).
	ListenIP string
	// Port is the port to listen on (default 9090; 0 lets the system
	// choose, and the chosen URL is logged).
	Port int
	// ProcessMetrics adds the process_* collector (CPU, memory, files).
	ProcessMetrics bool
	// GoMetrics adds the go_* collector (goroutines, GC, heap).
	GoMetrics bool
}

// OTLPExporter pushes spans to an OpenTelemetry collector.
type OTLPExporter struct {
	// Name identifies the exporter in messages.
	Name string
	// Host is the collector's host; an https:// prefix turns TLS on,
	// otherwise the connection is plain.
	Host string
	// Port is the collector's port (default 4317 for gRPC, 4318 for HTTP).
	Port int
	// UseHTTP sends OTLP over HTTP (protobuf) instead of gRPC.
	UseHTTP bool
}

// The namespace's JSON, level by level, so that every error names its
// exact path. json.RawMessage fields are KrakenD options lambdagate
// accepts and does not implement: a warning names them.
type otelJSON struct {
	ServiceName           string          `json:"service_name"`
	ServiceVersion        string          `json:"service_version"`
	DeployEnv             string          `json:"deploy_env"`
	TraceSampleRate       *float64        `json:"trace_sample_rate"`
	SkipPaths             []string        `json:"skip_paths"`
	Exporters             json.RawMessage `json:"exporters"`
	Layers                json.RawMessage `json:"layers"`
	MetricReportingPeriod json.RawMessage `json:"metric_reporting_period" schema:"warned"`
	Histograms            json.RawMessage `json:"histograms" schema:"warned"`
}

type exportersJSON struct {
	OTLP       []json.RawMessage `json:"otlp"`
	Prometheus []json.RawMessage `json:"prometheus"`
}

type prometheusJSON struct {
	Name           string          `json:"name"`
	Port           *int            `json:"port"`
	ListenIP       string          `json:"listen_ip"`
	ProcessMetrics bool            `json:"process_metrics"`
	GoMetrics      bool            `json:"go_metrics"`
	DisableMetrics json.RawMessage `json:"disable_metrics" schema:"warned"`
	// CustomMetricReportingPeriod does not apply: Prometheus scrapes.
	CustomMetricReportingPeriod json.RawMessage `json:"custom_metric_reporting_period" schema:"warned"`
}

type otlpJSON struct {
	Name           string          `json:"name"`
	Host           string          `json:"host"`
	Port           *int            `json:"port"`
	UseHTTP        bool            `json:"use_http"`
	DisableTraces  bool            `json:"disable_traces"`
	DisableMetrics json.RawMessage `json:"disable_metrics"`
	// CustomMetricReportingPeriod does not apply: no metrics over OTLP.
	CustomMetricReportingPeriod json.RawMessage `json:"custom_metric_reporting_period" schema:"warned"`
}

type layersJSON struct {
	Global  json.RawMessage `json:"global"`
	Proxy   json.RawMessage `json:"proxy"`
	Backend json.RawMessage `json:"backend"`
}

type globalLayerJSON struct {
	DisableMetrics     bool            `json:"disable_metrics"`
	DisableTraces      bool            `json:"disable_traces"`
	DisablePropagation bool            `json:"disable_propagation"`
	ReportHeaders      json.RawMessage `json:"report_headers" schema:"warned"`
	SkipHeaders        json.RawMessage `json:"skip_headers" schema:"warned"`
	MetricsStatic      json.RawMessage `json:"metrics_static_attributes" schema:"warned"`
	TracesStatic       json.RawMessage `json:"traces_static_attributes" schema:"warned"`
	SemanticConvention json.RawMessage `json:"semantic_convention" schema:"warned"`
}

type proxyLayerJSON struct {
	DisableMetrics json.RawMessage `json:"disable_metrics" schema:"warned"`
	DisableTraces  json.RawMessage `json:"disable_traces" schema:"warned"`
	ReportHeaders  json.RawMessage `json:"report_headers" schema:"warned"`
	SkipHeaders    json.RawMessage `json:"skip_headers" schema:"warned"`
	MetricsStatic  json.RawMessage `json:"metrics_static_attributes" schema:"warned"`
	TracesStatic   json.RawMessage `json:"traces_static_attributes" schema:"warned"`
}

type backendLayerJSON struct {
	Metrics json.RawMessage `json:"metrics"`
	Traces  json.RawMessage `json:"traces"`
}

type backendStageJSON struct {
	DisableStage       bool            `json:"disable_stage"`
	RoundTrip          json.RawMessage `json:"round_trip" schema:"warned"`
	ReadPayload        json.RawMessage `json:"read_payload" schema:"warned"`
	DetailedConnection json.RawMessage `json:"detailed_connection" schema:"warned"`
	StaticAttributes   json.RawMessage `json:"static_attributes" schema:"warned"`
	ReportHeaders      json.RawMessage `json:"report_headers" schema:"warned"`
	SkipHeaders        json.RawMessage `json:"skip_headers" schema:"warned"`
}

// DecodeOTel decodes the service's "telemetry/opentelemetry" namespace. It
// returns nil options when the namespace is absent, warnings naming the
// options accepted but not implemented, and a config.Errors value with
// every problem at its JSON path.
func DecodeOTel(x *config.ExtraConfig) (*OTelOptions, []string, error) {
	var raw otelJSON
	present, err := x.Decode(OTelNamespace, &raw)
	if !present {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	d := &otelDecoder{path: config.Join(x.Path, OTelNamespace)}
	o := &OTelOptions{
		ServiceName:     raw.ServiceName,
		ServiceVersion:  raw.ServiceVersion,
		DeployEnv:       raw.DeployEnv,
		TraceSampleRate: 1,
		SkipPaths:       raw.SkipPaths,
	}
	if o.ServiceName == "" {
		o.ServiceName = "lambdagate"
	}
	if o.SkipPaths == nil {
		o.SkipPaths = []string{"/__health"}
	}
	if r := raw.TraceSampleRate; r != nil {
		if *r < 0 || *r > 1 {
			d.errs.Add(config.Join(d.path, "trace_sample_rate"), "%v is not a rate: use a number from 0 (no trace) to 1 (every trace)", *r)
		}
		o.TraceSampleRate = *r
	}
	d.unsupported(d.path, "metric_reporting_period", raw.MetricReportingPeriod, "only Prometheus, which is scraped, exports metrics")
	d.unsupported(d.path, "histograms", raw.Histograms, "the histograms keep lambdagate's buckets")
	d.exporters(o, raw.Exporters)
	d.layers(o, raw.Layers)
	if len(o.Prometheus) == 0 && len(o.OTLP) == 0 {
		d.warns = append(d.warns, config.Join(d.path, "exporters")+": no exporter is configured: nothing is reported")
	}
	return o, d.warns, d.errs.Err()
}

type otelDecoder struct {
	path  string
	errs  config.Errors
	warns []string
}

// object decodes raw at path into v strictly; it reports whether it could.
func (d *otelDecoder) object(path string, raw json.RawMessage, v any) bool {
	if isNull(raw) {
		return false
	}
	if err := config.DecodeNamespace(path, raw, v); err != nil {
		d.errs.Append(path, err)
		return false
	}
	return true
}

// unsupported warns about an option that is set and has no effect here.
func (d *otelDecoder) unsupported(path, key string, raw json.RawMessage, why string) {
	if isNull(raw) || isOff(raw) {
		return
	}
	d.warns = append(d.warns, fmt.Sprintf("%s: not supported by lambdagate, ignored (%s)", config.Join(path, key), why))
}

func (d *otelDecoder) exporters(o *OTelOptions, raw json.RawMessage) {
	path := config.Join(d.path, "exporters")
	var ex exportersJSON
	if !d.object(path, raw, &ex) {
		return
	}
	names := map[string]string{}
	name := func(p, n string) {
		switch prev, dup := names[n]; {
		case n == "":
			d.errs.Add(config.Join(p, "name"), "is required: name the exporter")
		case dup:
			d.errs.Add(config.Join(p, "name"), "%q is already the name of %s", n, prev)
		default:
			names[n] = p
		}
	}
	for i, r := range ex.Prometheus {
		p := config.Index(config.Join(path, "prometheus"), i)
		var pj prometheusJSON
		if !d.object(p, r, &pj) {
			continue
		}
		name(p, pj.Name)
		d.unsupported(p, "disable_metrics", pj.DisableMetrics, "a Prometheus exporter exports metrics only: remove it instead")
		d.unsupported(p, "custom_metric_reporting_period", pj.CustomMetricReportingPeriod, "Prometheus scrapes the metrics: there is no reporting period")
		e := PrometheusExporter{Name: pj.Name, ListenIP: pj.ListenIP, Port: DefaultPrometheusPort, ProcessMetrics: pj.ProcessMetrics, GoMetrics: pj.GoMetrics}
		if pj.Port != nil {
			e.Port = d.port(config.Join(p, "port"), *pj.Port)
		}
		o.Prometheus = append(o.Prometheus, e)
	}
	for i, r := range ex.OTLP {
		p := config.Index(config.Join(path, "otlp"), i)
		var oj otlpJSON
		if !d.object(p, r, &oj) {
			continue
		}
		name(p, oj.Name)
		d.unsupported(p, "custom_metric_reporting_period", oj.CustomMetricReportingPeriod, "metrics are not exported over OTLP")
		if string(bytes.TrimSpace(oj.DisableMetrics)) != "true" {
			// Metrics over OTLP are not implemented: say so unless
			// the file already turned them off.
			d.warns = append(d.warns, config.Join(p, "disable_metrics")+": metrics are not exported over OTLP by lambdagate (traces are): scrape the Prometheus exporter, and set \"disable_metrics\": true to say so")
		}
		if oj.Host == "" {
			d.errs.Add(config.Join(p, "host"), "is required: the collector's host name or address")
		}
		e := OTLPExporter{Name: oj.Name, Host: oj.Host, UseHTTP: oj.UseHTTP, Port: DefaultOTLPGRPCPort}
		if oj.UseHTTP {
			e.Port = DefaultOTLPHTTPPort
		}
		if oj.Port != nil {
			e.Port = d.port(config.Join(p, "port"), *oj.Port)
		}
		if oj.DisableTraces {
			continue
		}
		o.OTLP = append(o.OTLP, e)
	}
}

func (d *otelDecoder) port(path string, p int) int {
	if p < 0 || p > 65535 {
		d.errs.Add(path, "%d is not a port (0 to 65535)", p)
	}
	return p
}

func (d *otelDecoder) layers(o *OTelOptions, raw json.RawMessage) {
	path := config.Join(d.path, "layers")
	var l layersJSON
	if !d.object(path, raw, &l) {
		return
	}
	var g globalLayerJSON
	gp := config.Join(path, "global")
	if d.object(gp, l.Global, &g) {
		o.DisableMetrics, o.DisableTraces, o.DisablePropagation = g.DisableMetrics, g.DisableTraces, g.DisablePropagation
		d.unsupported(gp, "report_headers", g.ReportHeaders, "headers are not reported")
		d.unsupported(gp, "skip_headers", g.SkipHeaders, "headers are not reported")
		d.unsupported(gp, "metrics_static_attributes", g.MetricsStatic, "static attributes are not added")
		d.unsupported(gp, "traces_static_attributes", g.TracesStatic, "static attributes are not added")
		d.unsupported(gp, "semantic_convention", g.SemanticConvention, "lambdagate's metric names are its own (see observability.md)")
	}
	var px proxyLayerJSON
	pp := config.Join(path, "proxy")
	if d.object(pp, l.Proxy, &px) {
		why := "lambdagate instruments requests and backend calls, not a separate proxy layer"
		d.unsupported(pp, "disable_metrics", px.DisableMetrics, why)
		d.unsupported(pp, "disable_traces", px.DisableTraces, why)
		d.unsupported(pp, "report_headers", px.ReportHeaders, why)
		d.unsupported(pp, "skip_headers", px.SkipHeaders, why)
		d.unsupported(pp, "metrics_static_attributes", px.MetricsStatic, why)
		d.unsupported(pp, "traces_static_attributes", px.TracesStatic, why)
	}
	var b backendLayerJSON
	bp := config.Join(path, "backend")
	if !d.object(bp, l.Backend, &b) {
		return
	}
	o.DisableBackendMetrics = d.backendStage(config.Join(bp, "metrics"), b.Metrics)
	o.DisableBackendTraces = d.backendStage(config.Join(bp, "traces"), b.Traces)
}

// backendStage decodes layers.backend.metrics or .traces and returns its
// disable_stage.
func (d *otelDecoder) backendStage(path string, raw json.RawMessage) bool {
	var s backendStageJSON
	if !d.object(path, raw, &s) {
		return false
	}
	why := "backend calls are measured as a whole"
	d.unsupported(path, "round_trip", s.RoundTrip, why)
	d.unsupported(path, "read_payload", s.ReadPayload, why)
	d.unsupported(path, "detailed_connection", s.DetailedConnection, why)
	d.unsupported(path, "static_attributes", s.StaticAttributes, "static attributes are not added")
	d.unsupported(path, "report_headers", s.ReportHeaders, "headers are not reported")
	d.unsupported(path, "skip_headers", s.SkipHeaders, "headers are not reported")
	return s.DisableStage
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// isOff reports whether an option's value says "nothing": false or an
// empty list.
func isOff(raw json.RawMessage) bool {
	t := string(bytes.TrimSpace(raw))
	return t == "false" || t == "[]"
}
