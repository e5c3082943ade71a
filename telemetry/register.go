package telemetry

import "github.com/lambdagate/lambdagate/config"

// init records the options this package decodes, for the file's schema
// (lambdagate schema).
func init() {
	config.RegisterOptions(LoggingNamespace, config.OnService, LoggingOptions{}, nil)
	config.RegisterOptions(OTelNamespace, config.OnService, otelJSON{}, map[string]any{
		"exporters":              exportersJSON{},
		"exporters.prometheus[]": prometheusJSON{},
		"exporters.otlp[]":       otlpJSON{},
		"layers":                 layersJSON{},
		"layers.global":          globalLayerJSON{},
		"layers.proxy":           proxyLayerJSON{},
		"layers.backend":         backendLayerJSON{},
		"layers.backend.metrics": backendStageJSON{},
		"layers.backend.traces":  backendStageJSON{},
	})
}
