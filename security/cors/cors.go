// Package cors is the service's CORS layer: the "security/cors" namespace
// (KrakenD's options, defaults and legacy name), served by
// github.com/rs/cors, the library KrakenD's own CORS module wraps.
//
// The layer wraps the whole router: it answers every preflight request
// (OPTIONS with Origin and Access-Control-Request-Method) itself, for any
// path, without calling an endpoint, and adds the CORS headers to actual
// requests. The Access-Control-* headers of a response are the layer's
// alone: those a backend or function returns are dropped (see owned).
//
// Options are decoded and checked once, in New. This package must not know
// routes or endpoints.
package cors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	rscors "github.com/rs/cors"

	"github.com/lambdagate/lambdagate/config"
)

// Namespace is the service extra_config key of Options.
const Namespace = "security/cors"

// LegacyNamespace is KrakenD's older name for the same options, read when
// Namespace is absent.
const LegacyNamespace = "github_com/devopsfaith/krakend-cors"

// Options is the "security/cors" namespace, with KrakenD's names and
// defaults.
type Options struct {
	// AllowOrigins are the origins browsers may call the API from, such as
	// "https://example.com". "*" allows any origin; one * inside an origin
	// stands for any run of characters ("https://*.example.com"). Matching
	// ignores letter case. Absent or empty: any origin.
	AllowOrigins []string `json:"allow_origins"`
	// AllowMethods are the methods cross-origin requests may use, in
	// uppercase: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS. Absent or
	// empty: GET, HEAD and POST.
	AllowMethods []string `json:"allow_methods"`
	// AllowHeaders are the request headers a cross-origin request may send
	// ("*": any). Absent or empty: any header, as in KrakenD.
	AllowHeaders []string `json:"allow_headers"`
	// ExposeHeaders are the response headers a browser lets the calling
	// script read (Access-Control-Expose-Headers). Absent: none.
	ExposeHeaders []string `json:"expose_headers"`
	// AllowCredentials lets requests carry cookies, HTTP authentication or
	// client certificates (Access-Control-Allow-Credentials: true).
	AllowCredentials bool `json:"allow_credentials"`
	// MaxAge is how long a browser may cache a preflight's answer, a
	// duration such as "12h" (Access-Control-Max-Age, in whole seconds).
	// Absent, or under a second: no header (browsers then cache for 5s).
	MaxAge string `json:"max_age"`
	// OptionsPassthrough lets preflight requests go on to the router after
	// the layer has set its headers, instead of answering them.
	OptionsPassthrough bool `json:"options_passthrough"`
	// OptionsSuccessStatus is the status of an answered preflight: 200 to
	// 299. Absent or 0: 204.
	OptionsSuccessStatus int `json:"options_success_status"`
	// AllowPrivateNetwork answers a preflight that asks for private network
	// access (Access-Control-Request-Private-Network: true) with
	// Access-Control-Allow-Private-Network: true.
	AllowPrivateNetwork bool `json:"allow_private_network"`
	// Debug logs, at DEBUG level, how each request was handled.
	Debug bool `json:"debug"`
}

// methods are the values allow_methods takes (KrakenD's schema).
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// New returns the CORS layer the service's extra_config x asks for, or nil
// when x has neither name of the namespace. It returns warnings about
// options that are valid but do not do what they seem to, and config.Errors
// naming the JSON path of every bad value. logger receives the debug lines.
func New(x *config.ExtraConfig, logger *slog.Logger) (func(http.Handler) http.Handler, []string, error) {
	var o Options
	ns, err := x.DecodeWithLegacy(Namespace, LegacyNamespace, &o)
	if ns == "" || err != nil {
		return nil, nil, err
	}
	opts, warns, err := o.resolve(config.Join(x.Path, ns))
	if err != nil {
		return nil, warns, err
	}
	if o.Debug && logger != nil {
		opts.Logger = debugLogger{logger}
	}
	c := rscors.New(opts)
	return func(next http.Handler) http.Handler { return c.Handler(owned(next)) }, warns, nil
}

// resolve checks o and turns it into rs/cors options, with KrakenD's
// defaults (path is the namespace's JSON path, for messages).
func (o Options) resolve(path string) (rscors.Options, []string, error) {
	var (
		errs  config.Errors
		warns []string
	)
	anyOrigin := len(o.AllowOrigins) == 0
	for i, origin := range o.AllowOrigins {
		switch {
		case origin == "*":
			anyOrigin = true
		case strings.Count(origin, "*") > 1:
			errs.Add(config.Index(config.Join(path, "allow_origins"), i), "%q has more than one *: write an origin such as \"https://example.com\" or \"https://*.example.com\", or \"*\" for any", origin)
		case origin == "":
			errs.Add(config.Index(config.Join(path, "allow_origins"), i), "is empty: write an origin such as \"https://example.com\", or \"*\" for any")
		}
	}
	for i, m := range o.AllowMethods {
		if !slices.Contains(methods, m) {
			errs.Add(config.Index(config.Join(path, "allow_methods"), i), "%q is not a method CORS allows here: write one of %s, in uppercase", m, strings.Join(methods, ", "))
		}
	}
	var maxAge time.Duration
	if o.MaxAge != "" {
		d, err := time.ParseDuration(o.MaxAge)
		switch {
		case err != nil:
			errs.Add(config.Join(path, "max_age"), "%q is not a duration: write a number with a unit, such as \"12h\", \"30m\" or \"3600s\"", o.MaxAge)
		case d < 0:
			errs.Add(config.Join(path, "max_age"), "%q is negative: write a duration such as \"12h\", or leave it out", o.MaxAge)
		}
		maxAge = d
	}
	if s := o.OptionsSuccessStatus; s != 0 && (s < 200 || s > 299) {
		errs.Add(config.Join(path, "options_success_status"), "%d is not a success status: browsers accept a preflight answered 200 to 299; write 204 (the default) or 200", s)
	}
	if o.AllowCredentials && anyOrigin {
		warns = append(warns, fmt.Sprintf(`%s: allow_credentials with any origin answers "Access-Control-Allow-Origin: *", which browsers refuse for requests with credentials; list the origins in allow_origins`, path))
	}
	if o.OptionsPassthrough {
		warns = append(warns, fmt.Sprintf("%s.options_passthrough: preflight requests go on to the router, which answers them only where an endpoint has method OPTIONS (405 elsewhere, unless router auto_options answers them)", path))
	}
	headers := o.AllowHeaders
	if len(headers) == 0 {
		// KrakenD's default: any header (rs/cors's own default is three).
		headers = []string{"*"}
	}
	return rscors.Options{
		AllowedOrigins:       o.AllowOrigins,
		AllowedMethods:       o.AllowMethods,
		AllowedHeaders:       headers,
		ExposedHeaders:       o.ExposeHeaders,
		AllowCredentials:     o.AllowCredentials,
		MaxAge:               int(maxAge / time.Second),
		OptionsPassthrough:   o.OptionsPassthrough,
		OptionsSuccessStatus: o.OptionsSuccessStatus,
		AllowPrivateNetwork:  o.AllowPrivateNetwork,
	}, warns, errs.Err()
}

// debugLogger writes rs/cors's debug lines to the gateway's log.
type debugLogger struct{ l *slog.Logger }

// Printf logs one line at DEBUG level.
func (d debugLogger) Printf(format string, args ...any) {
	if !d.l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	d.l.Debug(fmt.Sprintf(format, args...), "layer", "cors")
}
