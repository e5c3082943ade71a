package gateway

import (
	"context"
	"encoding/json"
	"time"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/backend/lambda"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/telemetry"
)

// shutdownTelemetryWait bounds flushing the spans not yet exported when
// the gateway stops.
const shutdownTelemetryWait = 5 * time.Second

// newTelemetry decodes the service's "telemetry/opentelemetry" namespace
// and builds its instrumentation: nil when the namespace is absent.
func newTelemetry(cfg *config.Service) (*telemetry.Telemetry, []string, error) {
	o, warns, err := telemetry.DecodeOTel(&cfg.ExtraConfig)
	if err != nil || o == nil {
		return nil, warns, err
	}
	t, err := telemetry.New(o)
	if err != nil {
		return nil, warns, &config.Error{Path: config.Join(cfg.ExtraConfig.Path, telemetry.OTelNamespace), Msg: err.Error()}
	}
	return t, warns, nil
}

// startTelemetry serves the Prometheus exporters and starts the OTLP ones;
// the gateway's close shuts them down.
func (g *Gateway) startTelemetry() error {
	if g.tel == nil {
		return nil
	}
	if err := g.tel.Start(g.logger); err != nil {
		g.tel.Shutdown(context.Background())
		return err
	}
	g.closers = append(g.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTelemetryWait)
		defer cancel()
		if err := g.tel.Shutdown(ctx); err != nil {
			g.logger.Warn("stopping telemetry: " + err.Error())
		}
	})
	return nil
}

// lambdaTarget is the telemetry target of a Lambda backend: its
// function_name, or {param} when the function comes from the path
// parameter function_param_name (never the client's value: labels stay
// bounded). The Lambda transport may replace it with its own.
func lambdaTarget(spec backend.Spec) string {
	x := &spec.Backend.ExtraConfig
	raw, ok := x.Raw(lambda.Namespace)
	if !ok {
		raw, _ = x.Raw(lambda.LegacyNamespace)
	}
	var o struct {
		FunctionName      string `json:"function_name"`
		FunctionParamName string `json:"function_param_name"`
	}
	json.Unmarshal(raw, &o)
	if o.FunctionName == "" && o.FunctionParamName != "" {
		return "{" + o.FunctionParamName + "}"
	}
	return o.FunctionName
}
