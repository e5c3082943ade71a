package telemetry

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

func decodeOTel(t *testing.T, ns string) (*OTelOptions, []string, error) {
	t.Helper()
	cfg, _, err := config.Parse([]byte(`{"version": 3, "extra_config": {"telemetry/opentelemetry": ` + ns + `}}`))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return DecodeOTel(&cfg.ExtraConfig)
}

func TestDecodeOTelAbsent(t *testing.T) {
	t.Parallel()
	cfg, _, err := config.Parse([]byte(`{"version": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	o, warns, err := DecodeOTel(&cfg.ExtraConfig)
	if o != nil || warns != nil || err != nil {
		t.Errorf("DecodeOTel = %v, %v, %v; want nothing", o, warns, err)
	}
	tel, err := New(nil)
	if tel != nil || err != nil {
		t.Errorf("New(nil) = %v, %v", tel, err)
	}
}

func TestDecodeOTel(t *testing.T) {
	t.Parallel()
	o, warns, err := decodeOTel(t, `{
		"service_name": "edge", "service_version": "1.2", "deploy_env": "prod",
		"trace_sample_rate": 0.25, "skip_paths": ["/private"],
		"exporters": {
			"prometheus": [{"name": "prom", "port": 0, "listen_ip": "127.0.0.1", "go_metrics": true}],
			"otlp": [{"name": "grpc", "host": "collector"},
			         {"name": "http", "host": "https://collector", "use_http": true, "port": 443, "disable_metrics": true}]
		},
		"layers": {"global": {"disable_propagation": true}, "backend": {"metrics": {"disable_stage": true}}}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	want := &OTelOptions{
		ServiceName: "edge", ServiceVersion: "1.2", DeployEnv: "prod", TraceSampleRate: 0.25,
		SkipPaths:  []string{"/private"},
		Prometheus: []PrometheusExporter{{Name: "prom", ListenIP: "127.0.0.1", Port: 0, GoMetrics: true}},
		OTLP: []OTLPExporter{
			{Name: "grpc", Host: "collector", Port: DefaultOTLPGRPCPort},
			{Name: "http", Host: "https://collector", Port: 443, UseHTTP: true},
		},
		DisablePropagation: true, DisableBackendMetrics: true,
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("options =\n%+v\nwant\n%+v", o, want)
	}
	wantWarns := []string{`extra_config["telemetry/opentelemetry"].exporters.otlp[0].disable_metrics: metrics are not exported over OTLP by lambdagate (traces are): scrape the Prometheus exporter, and set "disable_metrics": true to say so`}
	if !reflect.DeepEqual(warns, wantWarns) {
		t.Errorf("warnings =\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(wantWarns, "\n"))
	}
	if got := otlpURL(o.OTLP[0]); got != "http://collector:4317" {
		t.Errorf("grpc url = %s", got)
	}
	if got := otlpURL(o.OTLP[1]); got != "https://collector:443/v1/traces" {
		t.Errorf("http url = %s", got)
	}
}

func TestDecodeOTelDefaults(t *testing.T) {
	t.Parallel()
	o, warns, err := decodeOTel(t, `{"exporters": {"prometheus": [{"name": "p"}]}}`)
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	if o.ServiceName != "lambdagate" || o.TraceSampleRate != 1 || !reflect.DeepEqual(o.SkipPaths, []string{"/__health"}) || o.Prometheus[0].Port != 9090 {
		t.Errorf("defaults = %+v", o)
	}
	if _, warns, _ := decodeOTel(t, `{}`); len(warns) != 1 || !strings.Contains(warns[0], "no exporter") {
		t.Errorf("no exporter: warnings %q", warns)
	}
}

func TestDecodeOTelErrors(t *testing.T) {
	t.Parallel()
	const ns = `extra_config["telemetry/opentelemetry"]`
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown top key", `{"servce_name": "x"}`,
			[]string{ns + `.servce_name: unknown key (check its spelling against the documentation)`}},
		{"wrong type", `{"trace_sample_rate": "1"}`,
			[]string{ns + `.trace_sample_rate: must be a number, got a JSON string`}},
		{"rate out of range", `{"trace_sample_rate": 2, "exporters": {"prometheus": [{"name": "p"}]}}`,
			[]string{ns + `.trace_sample_rate: 2 is not a rate: use a number from 0 (no trace) to 1 (every trace)`}},
		{"exporter errors at their index", `{"exporters": {
			"prometheus": [{"name": "a"}, {"name": "a", "port": 70000}, {"nme": "c"}],
			"otlp": [{"port": 1, "disable_metrics": true}],
			"zipkin": []}}`,
			[]string{
				ns + `.exporters.zipkin: unknown key (check its spelling against the documentation)`,
			}},
		{"exporter values", `{"exporters": {
			"prometheus": [{"name": "a"}, {"name": "a", "port": 70000}, {"nme": "c"}],
			"otlp": [{"port": 1, "disable_metrics": true}]}}`,
			[]string{
				ns + `.exporters.prometheus[1].name: "a" is already the name of ` + ns + `.exporters.prometheus[0]`,
				ns + `.exporters.prometheus[1].port: 70000 is not a port (0 to 65535)`,
				ns + `.exporters.prometheus[2].nme: unknown key (check its spelling against the documentation)`,
				ns + `.exporters.otlp[0].name: is required: name the exporter`,
				ns + `.exporters.otlp[0].host: is required: the collector's host name or address`,
			}},
		{"layers", `{"layers": {"global": {"disable_metric": true}, "backend": {"traces": {"disable_stage": "yes"}}}}`,
			[]string{
				ns + `.layers.global.disable_metric: unknown key (check its spelling against the documentation)`,
				ns + `.layers.backend.traces.disable_stage: must be true or false, got a JSON string`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := decodeOTel(t, tt.src)
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors =\n%s\nwant\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecodeOTelUnsupportedWarns(t *testing.T) {
	t.Parallel()
	_, warns, err := decodeOTel(t, `{"metric_reporting_period": 10,
		"exporters": {"prometheus": [{"name": "p", "disable_metrics": false}]},
		"layers": {"global": {"report_headers": true}, "proxy": {"disable_metrics": false, "report_headers": true},
			"backend": {"metrics": {"round_trip": true, "static_attributes": []}, "traces": {"detailed_connection": true}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	const ns = `extra_config["telemetry/opentelemetry"]`
	var paths []string
	for _, w := range warns {
		p, _, _ := strings.Cut(w, ": ")
		paths = append(paths, strings.TrimPrefix(p, ns))
	}
	want := []string{".metric_reporting_period", ".layers.global.report_headers", ".layers.proxy.report_headers",
		".layers.backend.metrics.round_trip", ".layers.backend.traces.detailed_connection"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("warned about\n%s\nwant\n%s\n(%q)", strings.Join(paths, "\n"), strings.Join(want, "\n"), warns)
	}
}
