// Package telemetry is what the gateway tells its operators: the
// structured logger of the "telemetry/logging" namespace, and the
// OpenTelemetry set-up of "telemetry/opentelemetry" (Prometheus metrics,
// OTLP traces, W3C propagation) with the instrumentation the gateway puts
// around endpoints and backend calls.
//
// Instrumentation is built once per endpoint and backend, with its
// attribute sets prepared; when the namespace is absent the *Telemetry is
// nil and nothing is wrapped, so the request path pays nothing. This
// package must not decide anything about requests: it only observes them.
package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/lambdagate/lambdagate/config"
)

// LoggingNamespace is the extra_config key of LoggingOptions.
const LoggingNamespace = "telemetry/logging"

// LoggingOptions is the "telemetry/logging" namespace (KrakenD's names).
type LoggingOptions struct {
	// Level is DEBUG, INFO (default), WARNING, ERROR or CRITICAL.
	Level string `json:"level"`
	// Prefix is added to every line as the "prefix" attribute.
	Prefix string `json:"prefix"`
	// Stdout writes to standard output instead of standard error.
	Stdout bool `json:"stdout"`
	// Format is "text" (default; also KrakenD's "default") or "json"
	// (also KrakenD's "logstash").
	Format string `json:"format"`
	// Syslog is accepted for compatibility and not supported: a warning.
	Syslog bool `json:"syslog" schema:"warned"`
	// SyslogFacility, CustomFormat and KrakenD Enterprise's access-log
	// formats and backend log are accepted for compatibility and not
	// supported: a warning names each one set (schema:"warned").
	SyslogFacility            string          `json:"syslog_facility" schema:"warned"`
	CustomFormat              string          `json:"custom_format" schema:"warned"`
	AccessLogFormat           json.RawMessage `json:"access_log_format" schema:"warned"`
	AccessLogCustomFormat     json.RawMessage `json:"access_log_custom_format" schema:"warned"`
	AccessLogMissingKeyMarker json.RawMessage `json:"access_log_missing_key_marker" schema:"warned"`
	Backend                   json.RawMessage `json:"backend" schema:"warned"`
}

// LevelCritical is more severe than slog's ERROR, for KrakenD's CRITICAL.
const LevelCritical = slog.LevelError + 4

// ParseLevel maps KrakenD's level names to slog levels.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(s) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO", "":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	case "CRITICAL":
		return LevelCritical, nil
	}
	return 0, fmt.Errorf("%q is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL", s)
}

// NewLogger builds the logger a service's extra_config asks for. stdout and
// stderr are where lines go; warnings list options accepted but unused.
func NewLogger(x *config.ExtraConfig, stdout, stderr io.Writer) (*slog.Logger, []string, error) {
	var opts LoggingOptions
	if _, err := x.Decode(LoggingNamespace, &opts); err != nil {
		return nil, nil, err
	}
	path := config.Join(x.Path, LoggingNamespace)
	level, err := ParseLevel(opts.Level)
	if err != nil {
		return nil, nil, &config.Error{Path: config.Join(path, "level"), Msg: err.Error()}
	}
	var warns []string
	if opts.Syslog {
		warns = append(warns, config.Join(path, "syslog")+": syslog is not supported, ignored; lines go to "+map[bool]string{true: "stdout", false: "stderr"}[opts.Stdout])
	}
	for _, u := range []struct {
		key string
		set bool
	}{
		{"syslog_facility", opts.SyslogFacility != ""},
		{"custom_format", opts.CustomFormat != ""},
		{"access_log_format", opts.AccessLogFormat != nil},
		{"access_log_custom_format", opts.AccessLogCustomFormat != nil},
		{"access_log_missing_key_marker", opts.AccessLogMissingKeyMarker != nil},
		{"backend", opts.Backend != nil},
	} {
		if u.set {
			warns = append(warns, config.Join(path, u.key)+": not supported by lambdagate, ignored (the log lines keep lambdagate's format)")
		}
	}
	w := stderr
	if opts.Stdout {
		w = stdout
	}
	if w == nil {
		w = os.Stderr
	}
	hopts := &slog.HandlerOptions{Level: level, ReplaceAttr: levelNames}
	var h slog.Handler
	switch strings.ToLower(opts.Format) {
	case "", "text", "default":
		h = slog.NewTextHandler(w, hopts)
	case "json", "logstash":
		h = slog.NewJSONHandler(w, hopts)
	default:
		return nil, nil, &config.Error{Path: config.Join(path, "format"), Msg: fmt.Sprintf("%q is not a format: use text or json", opts.Format)}
	}
	logger := slog.New(h)
	if opts.Prefix != "" {
		logger = logger.With("prefix", opts.Prefix)
	}
	return logger, warns, nil
}

// levelNames writes CRITICAL for LevelCritical.
func levelNames(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey && len(groups) == 0 {
		if l, ok := a.Value.Any().(slog.Level); ok && l >= LevelCritical {
			a.Value = slog.StringValue("CRITICAL")
		}
	}
	return a
}
