package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/telemetry"
)

// Reload metric names (the Prometheus exporter scrapes them as
// lambdagate_config_reloads_total, lambdagate_config_load_duration_seconds
// and lambdagate_config_info).
const (
	// MetricConfigReloads counts reloads by AttrReloadOutcome.
	MetricConfigReloads = "lambdagate.config.reloads"
	// MetricConfigLoadDuration is the histogram of the time a load took
	// (reading, parsing and building the whole gateway), in seconds, by
	// AttrReloadOutcome; the load at start-up is counted as a success.
	MetricConfigLoadDuration = "lambdagate.config.load.duration"
	// MetricConfigInfo is 1 with the hash of the configuration being
	// served as AttrConfigHash.
	MetricConfigInfo = "lambdagate.config.info"
	// AttrReloadOutcome is "success" or "failure".
	AttrReloadOutcome = "outcome"
	// AttrConfigHash is the served configuration's hash (HashConfig).
	AttrConfigHash = "config_hash"
)

// HashConfig names a configuration file's content: the first 16 hex
// digits of its SHA-256, as /__health and the metrics report it.
func HashConfig(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:8])
}

// Reloader rebuilds a Live's gateway from its configuration file (on
// SIGHUP, or when the file changes): the new file is read, parsed and the
// whole gateway built, every check `lambdagate check` makes, before
// anything changes; on success the new gateway replaces the old for new
// requests (Live.Swap); on failure nothing changes and every problem is
// logged with its JSON path. Settings bound when the server started
// (RestartOnly) keep their old values, with a warning naming each.
type Reloader struct {
	live    *Live
	file    string
	opts    Options
	prepare func(*config.Service)

	mu      sync.Mutex // serialises reloads
	started *config.Service
	hash    atomic.Value // string: the served configuration's

	reloads  metric.Int64Counter
	duration metric.Float64Histogram
	reg      metric.Registration
}

// NewReloader returns the reloader of live, whose current gateway was
// built from started (the file at file, with hash) with opts. prepare, when
// set, applies the command line's overrides (--port) to every configuration
// read, as it was applied to started. took is how long the first load
// took, for the load-time metric. An error says the metrics could not be
// created: the reloader returned works, without them.
func NewReloader(live *Live, file string, started *config.Service, hash string, opts Options, prepare func(*config.Service), took time.Duration) (*Reloader, error) {
	if opts.Logger == nil {
		opts.Logger = live.logger
	}
	r := &Reloader{live: live, file: file, opts: opts, prepare: prepare, started: started}
	r.hash.Store(hash)
	err := r.instrument(live.first.tel.Meter())
	if err != nil {
		// Served without its metrics rather than not at all.
		r.instrument(noop.NewMeterProvider().Meter(telemetry.ScopeName))
	}
	r.duration.Record(context.Background(), took.Seconds(), metric.WithAttributes(attribute.String(AttrReloadOutcome, "success")))
	return r, err
}

func (r *Reloader) instrument(m metric.Meter) error {
	var err, e error
	r.reloads, e = m.Int64Counter(MetricConfigReloads, metric.WithUnit("{reload}"),
		metric.WithDescription("Configuration reloads, by outcome."))
	err = errors.Join(err, e)
	r.duration, e = m.Float64Histogram(MetricConfigLoadDuration, metric.WithUnit("s"),
		metric.WithDescription("Time a configuration load took: reading, parsing and building the whole gateway."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	err = errors.Join(err, e)
	info, e := m.Int64ObservableGauge(MetricConfigInfo,
		metric.WithDescription("1, with the hash of the configuration being served."))
	err = errors.Join(err, e)
	if err != nil {
		return err
	}
	r.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(info, 1, metric.WithAttributes(attribute.String(AttrConfigHash, r.Hash())))
		return nil
	}, info)
	return err
}

// Close stops the reloader's metrics callback.
func (r *Reloader) Close() {
	if r.reg != nil {
		r.reg.Unregister()
	}
}

// Hash returns the hash of the configuration being served.
func (r *Reloader) Hash() string { return r.hash.Load().(string) }

// ErrUnchanged is Reload's answer when the file holds the configuration
// being served already: nothing is rebuilt.
var ErrUnchanged = errors.New("the configuration file is unchanged")

// Reload reads the file and, when it holds a configuration that builds,
// serves it. It returns nil on success, ErrUnchanged when the file's
// content is the one served (and force is false), or the problems
// (a config.Errors value, each with its JSON path), which it also logs.
func (r *Reloader) Reload(force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	logger := r.opts.Logger
	data, err := os.ReadFile(r.file)
	if err == nil && !force && HashConfig(data) == r.hash.Load().(string) {
		return ErrUnchanged
	}
	var (
		gw   *Gateway
		hash = HashConfig(data)
	)
	if err != nil {
		err = &config.Error{Msg: fmt.Sprintf("cannot read the configuration: %v", err)}
	} else {
		gw, err = r.build(data, hash)
	}
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	took := time.Since(start)
	attrs := metric.WithAttributes(attribute.String(AttrReloadOutcome, outcome))
	r.reloads.Add(context.Background(), 1, attrs)
	r.duration.Record(context.Background(), took.Seconds(), attrs)
	if err != nil {
		var errs config.Errors
		if !errors.As(err, &errs) {
			errs = config.Errors{&config.Error{Msg: err.Error()}}
		}
		for _, e := range errs {
			logger.Error("configuration reload refused: "+e.Error(), "file", r.file, "path", e.Path)
		}
		logger.Error("configuration reload failed: the configuration served is unchanged", "file", r.file, "problems", len(errs), "config_hash", r.hash.Load().(string))
		return errs
	}
	if !r.live.Swap(gw) {
		return errors.New("the gateway is stopping")
	}
	r.hash.Store(hash)
	logger.Info("configuration reloaded", "file", r.file, "config_hash", hash, "endpoints", len(gw.cfg.Endpoints), "took", took.Round(time.Microsecond).String())
	return nil
}

// build parses data and builds its gateway, as `lambdagate check` does;
// the restart-only settings are warned about.
func (r *Reloader) build(data []byte, hash string) (*Gateway, error) {
	logger := r.opts.Logger
	cfg, warns, err := config.Parse(data)
	if err != nil {
		return nil, err
	}
	if r.prepare != nil {
		r.prepare(cfg)
	}
	// The logger is the one started with (restart-only); the namespace is
	// checked all the same.
	if _, lwarns, err := telemetry.NewLogger(&cfg.ExtraConfig, io.Discard, io.Discard); err != nil {
		return nil, err
	} else {
		warns = append(warns, lwarns...)
	}
	opts := r.opts
	opts.ConfigHash = hash
	opts.Telemetry = r.live.first.tel
	gw, gwarns, err := New(cfg, opts)
	warns = append(warns, gwarns...)
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		logger.Warn(w)
	}
	if bound := r.live.bodyBound(); bound > 0 && gw.maxBody > bound {
		logger.Warn(fmt.Sprintf("a request body limit of the file (%d bytes, max_payload or router max_payload) is above the one the server started with (%d bytes): larger bodies are refused with 413 until a restart", gw.maxBody, bound), "file", r.file)
	}
	if first := r.live.first; gw.wireNames && !first.wireNames && first.engine != EngineFast && (first.cfg.TLS == nil || first.cfg.TLS.Disabled) {
		logger.Warn("partial: the server started without an apigateway_v1 backend or payload 1.0 authorizer, so on the net/http engine it does not record how clients spell header names: their events show them canonical (\"Day\" for \"day\") until a restart", "file", r.file)
	}
	for _, name := range RestartOnly(r.started, cfg) {
		logger.Warn(name+": changed in the file, but only a restart applies it; the running value is kept", "file", r.file)
	}
	return gw, nil
}

// RestartOnly names the settings that differ between the configuration
// the server started with and cfg and that a reload cannot apply: the
// listener (port, listen_ip, tls), the server's timeouts and header limit,
// its engine (lambdagate/server), the logger (telemetry/logging) and the
// OpenTelemetry set-up (telemetry/opentelemetry: its exporters listen and
// connect at start).
func RestartOnly(started, cfg *config.Service) []string {
	var changed []string
	check := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			changed = append(changed, name)
		}
	}
	check("port", started.Port, cfg.Port)
	check("listen_ip", started.ListenIP, cfg.ListenIP)
	check("tls", started.TLS, cfg.TLS)
	check("read_timeout", started.ReadTimeout, cfg.ReadTimeout)
	check("write_timeout", started.WriteTimeout, cfg.WriteTimeout)
	check("idle_timeout", started.IdleTimeout, cfg.IdleTimeout)
	check("read_header_timeout", started.ReadHeaderTimeout, cfg.ReadHeaderTimeout)
	check("max_header_bytes", started.MaxHeaderBytes, cfg.MaxHeaderBytes)
	for _, ns := range []string{ServerNamespace, telemetry.LoggingNamespace, telemetry.OTelNamespace} {
		a, _ := started.ExtraConfig.Raw(ns)
		b, _ := cfg.ExtraConfig.Raw(ns)
		if !sameJSON(a, b) {
			changed = append(changed, fmt.Sprintf("extra_config[%q]", ns))
		}
	}
	return changed
}

// sameJSON reports whether two JSON texts (nil: absent) hold the same value.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
