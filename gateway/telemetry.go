package gateway

import (
	"context"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/telemetry"
)

// shutdownTelemetryWait bounds flushing the spans not yet exported when
// the gateway stops.
const shutdownTelemetryWait = 5 * time.Second

// newTelemetry decodes the service's "telemetry/opentelemetry" namespace
// and builds its instrumentation: nil when the namespace is absent; running
// when set (a reload's: the namespace is only checked then).
func newTelemetry(cfg *config.Service, running *telemetry.Telemetry) (*telemetry.Telemetry, []string, error) {
	o, warns, err := telemetry.DecodeOTel(&cfg.ExtraConfig)
	if running != nil {
		return running, warns, err
	}
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
// the function it returns shuts them down.
func (g *Gateway) startTelemetry() (func(), error) {
	if g.tel == nil {
		return func() {}, nil
	}
	if err := g.tel.Start(g.logger); err != nil {
		g.tel.Shutdown(context.Background())
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTelemetryWait)
		defer cancel()
		if err := g.tel.Shutdown(ctx); err != nil {
			g.logger.Warn("stopping telemetry: " + err.Error())
		}
	}, nil
}

// Telemetry returns the gateway's OpenTelemetry set-up, nil when the
// configuration has no "telemetry/opentelemetry" namespace: the local
// Lambda runtime started with the gateway records its metrics with its
// meter.
func (g *Gateway) Telemetry() *telemetry.Telemetry { return g.tel }
