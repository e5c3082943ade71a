// Package gateway assembles a running gateway from a validated
// configuration: the HTTP server, the router, and for every endpoint its
// pipeline of backends, merge and output encoding. It also starts and
// gracefully stops the server.
//
// Everything is built once, in New; a configuration that cannot be built is
// refused there with every problem listed (that is what `lambdagate check`
// runs). This package must not implement any stage itself.
package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/devendpoint"
	"github.com/lambdagate/lambdagate/internal/endpoint"
	"github.com/lambdagate/lambdagate/internal/redispool"
	"github.com/lambdagate/lambdagate/internal/router"
	"github.com/lambdagate/lambdagate/modifier/lua"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/security/botdetect"
	"github.com/lambdagate/lambdagate/security/cors"
	"github.com/lambdagate/lambdagate/security/httpsecure"
	"github.com/lambdagate/lambdagate/telemetry"
	"github.com/lambdagate/lambdagate/validation/cel"
	"github.com/lambdagate/lambdagate/validation/jsonschema"
)

// Options are the parts of a gateway that do not come from the file.
type Options struct {
	// Logger receives start-up messages, access-log lines and errors.
	Logger *slog.Logger
	// Kinds are kinds of backend of the caller's, which claim backends
	// before lambdagate's own (Lambda, then HTTP), in order. The gateway
	// builds them, as its own, and closes them when it stops.
	Kinds []backend.NewKind
	// LocalLambdaURL points Lambda backends and Lambda authorizers
	// (lambdagate/authorizer) without an explicit endpoint at the
	// in-process local runtime.
	LocalLambdaURL string
	// Version is the gateway's version, for its User-Agent.
	Version string
	// ConfigHash names the configuration the gateway was built from (a
	// hash of the file); /__health reports it as "config_hash".
	ConfigHash string
	// Telemetry, when set, is a running OpenTelemetry set-up (the one of
	// the gateway this one replaces on a reload): the gateway instruments
	// itself with it instead of building one from the file, and neither
	// starts nor stops it. The file's namespace is still decoded and
	// checked.
	Telemetry *telemetry.Telemetry
}

// Gateway is a built gateway, ready to serve.
type Gateway struct {
	cfg     *config.Service
	handler http.Handler
	logger  *slog.Logger
	drain   time.Duration
	closers []func()
	// kinds are the kinds of backend the gateway built; it closes them
	// when it stops.
	kinds []backend.Kind
	tel   *telemetry.Telemetry
	// redis are the service's redis connection pools (nil: none).
	redis *redispool.Pools
	// engine serves plain HTTP/1.1 (ServerOptions.Engine).
	engine string
	// maxBody is the largest request body any endpoint accepts.
	maxBody int64
	// route routes a request from its header, for its endpoint's body
	// limit, when endpoints' limits differ (nil otherwise).
	route func(method, path []byte) (string, int64)
	// wireNames is set when a backend or authorizer shows the client's
	// spelling of header names (apigateway_v1 events, REQUEST authorizers'
	// payload 1.0): the net/http engine then records it (package h1names).
	wireNames bool
}

// New builds a gateway. It returns warnings (options accepted but ignored,
// namespaces nobody implements) and, when the configuration cannot be built,
// a config.Errors value listing every problem.
func New(cfg *config.Service, opts Options) (*Gateway, []string, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	var (
		errs  config.Errors
		warns []string
	)
	ropts, rwarns, err := decodeRouterOptions(&cfg.ExtraConfig)
	errs.Append(cfg.ExtraConfig.Path, err)
	warns = append(warns, rwarns...)
	clientIP, cwarns, err := ropts.clientIP(cfg.ExtraConfig.Path)
	errs.Append(cfg.ExtraConfig.Path, err)
	warns = append(warns, cwarns...)

	rt := router.New(ropts.routerOptions())
	skipLog := ropts.skipLogPaths()
	var limits []int64
	if !ropts.DisableHealth {
		rt.Handle(http.MethodGet, ropts.healthPath(), healthHandler(opts.ConfigHash))
	}
	sopts, err := decodeServerOptions(&cfg.ExtraConfig)
	errs.Append(cfg.ExtraConfig.Path, err)
	warns = append(warns, headerBufferWarning(cfg, sopts)...)
	tel, twarns, err := newTelemetry(cfg, opts.Telemetry)
	errs.Append(cfg.ExtraConfig.Path, err)
	warns = append(warns, twarns...)
	g := &Gateway{cfg: cfg, logger: opts.Logger, drain: cfg.MaxShutdownWaitTime, tel: tel, engine: sopts.Engine}
	g.redisPools(cfg, &errs, &warns)
	var pools backend.RedisPools
	if g.redis != nil {
		pools = g.redis
	}
	kinds, err := buildKinds(append(append([]backend.NewKind(nil), opts.Kinds...), ownKinds(opts)...), backend.Deps{
		Service:   cfg,
		Logger:    opts.Logger,
		Telemetry: tel,
		Warn:      func(msg string) { warns = append(warns, msg) },
		Redis:     pools,
		// net/http serves TLS, canonicalising HTTP/1.1 header names; on
		// plain HTTP/1.1 both engines keep the client's spelling (the
		// net/http one through package h1names, when a backend asks).
		CanonicalHeaderNames: cfg.TLS != nil && !cfg.TLS.Disabled,
		RecordHeaderNames:    func() { g.wireNames = true },
	})
	if err != nil {
		errs.Append(cfg.ExtraConfig.Path, err)
		g.close()
		return nil, warns, errs
	}
	g.kinds = kinds
	// KrakenD's format ("KrakenD Version 2.x"), with lambdagate's name.
	userAgent := "lambdagate Version " + opts.Version
	// The client of the Lua scripts' http_response: the HTTP backends'.
	var scriptClient *http.Client
	for _, k := range kinds {
		if ck, ok := k.(backend.ClientKind); ok {
			scriptClient = ck.HTTPClient()
			break
		}
	}
	jwt, err := newJWTLayers(cfg, opts.Logger, userAgent, func(msg string) { warns = append(warns, msg) })
	errs.Append(cfg.ExtraConfig.Path, err)
	g.closers = append(g.closers, jwt.close)
	authz := newAuthorizerLayers(opts.LocalLambdaURL, opts.Logger, ropts, clientIP, func(msg string) { warns = append(warns, msg) })
	g.closers = append(g.closers, authz.close)

	var luaAt []string // the Lua modifiers' paths, for the partial-support warning
	for _, e := range cfg.Endpoints {
		if e.Timeout > g.drain && cfg.MaxShutdownWaitTime == 0 {
			g.drain = e.Timeout
		}
		popts, err := decodeProxyOptions(e)
		if err != nil {
			errs.Append(e.JSONPath, err)
		}
		// Shadow backends (proxy.shadow) are split from the others, as in
		// Lura: the endpoint is the others', the shadows get a copy.
		shadow := make([]bool, len(e.Backend))
		var shadowTimeout time.Duration
		shadowErr := false
		for i, b := range e.Backend {
			is, d, err := backend.Shadow(b, e.Timeout)
			if err != nil {
				errs.Append(b.JSONPath, err)
				shadowErr = true
			}
			shadow[i] = is
			shadowTimeout = max(shadowTimeout, d)
		}
		regular := len(e.Backend)
		for _, is := range shadow {
			if is {
				regular--
			}
		}
		if regular == 0 && len(e.Backend) > 0 {
			errs.Add(e.JSONPath, "every backend is a shadow (extra_config.proxy.shadow): KrakenD needs one that is not, whose answer the client gets; make one a regular backend")
			shadowErr = true
		}
		if regular < len(e.Backend) && popts.Sequential {
			errs.Add(config.Join(config.Join(e.ExtraConfig.Path, ProxyNamespace), "sequential"), "shadow backends on a sequential endpoint are not supported by lambdagate; move the shadow to an endpoint that is not sequential")
			shadowErr = true
		}
		if len(popts.SequentialPropagatedParams) > 0 && !popts.Sequential {
			warns = append(warns, fmt.Sprintf("%s: ignored, as KrakenD ignores it, on an endpoint without \"sequential\": true",
				config.Join(config.Join(e.ExtraConfig.Path, ProxyNamespace), "sequential_propagated_params")))
		}
		if popts.Flatmap != nil && regular == 1 {
			// KrakenD applies an endpoint's flatmap_filter after merging
			// several backends only.
			warns = append(warns, fmt.Sprintf("%s: ignored, as KrakenD ignores it, on an endpoint with one backend; move it to the backend's extra_config.proxy",
				config.Join(config.Join(e.ExtraConfig.Path, ProxyNamespace), "flatmap_filter")))
			popts.Flatmap = nil
		}
		authorize, err := authz.layer(e)
		if err != nil {
			errs.Append(e.JSONPath, err)
		}
		g.wireNames = g.wireNames || authz.wireNames
		sign, err := newSigner(e, opts.Logger, userAgent, func(msg string) { warns = append(warns, msg) }, &g.closers)
		if err != nil {
			errs.Append(e.JSONPath, err)
		}
		backends := make([]proxy.Proxy, 0, len(e.Backend))
		var shadows []proxy.Proxy
		for i, b := range e.Backend {
			p, err := backend.Build(backend.Spec{
				Endpoint:     e,
				Backend:      b,
				Sequential:   popts.Sequential,
				EndpointData: popts.Static != nil || popts.Flatmap != nil || sign != nil,
				Logger:       opts.Logger,
				HTTPClient:   scriptClient,
				UserAgent:    userAgent,
			}, kinds, tel)
			if err != nil {
				errs.Append(b.JSONPath, err)
				continue
			}
			if shadow[i] {
				shadows = append(shadows, p)
				continue
			}
			backends = append(backends, p)
		}
		if len(backends)+len(shadows) != len(e.Backend) || shadowErr {
			continue
		}
		var pipeline proxy.Proxy
		if popts.Sequential && len(backends) > 1 {
			pipeline = proxy.NewSequentialMerge(backends, sequentialNeeds(e))
		} else {
			pipeline = proxy.NewConcurrentMerge(backends)
		}
		if popts.Flatmap != nil {
			pipeline = proxy.NewFlatmapStage(popts.Flatmap)(pipeline)
		}
		if popts.Static != nil {
			// A bad strategy was reported by decodeProxyOptions.
			if static, err := proxy.NewStaticStage(popts.Static.Data, popts.Static.Strategy); err == nil {
				pipeline = static(pipeline)
			}
		}
		if len(shadows) > 0 {
			// Inside the endpoint's CEL, Lua and JSON-schema layers, as
			// Lura's shadow factory: a refused request reaches no shadow.
			pipeline = proxy.NewShadowStage(proxy.NewConcurrentMerge(shadows), shadowTimeout)(pipeline)
		}
		checks, err := cel.Decode(&e.ExtraConfig)
		if err != nil {
			errs.Append(e.JSONPath, err)
			continue
		}
		// The endpoint's CEL checks, around the merge as in KrakenD.
		if mw := checks.Middleware(cel.ParamNames(e), opts.Logger); mw != nil {
			pipeline = mw(pipeline)
		}
		// The endpoint's Lua modifier, around the CEL checks as in KrakenD.
		if o, path, err := lua.Decode(&e.ExtraConfig, lua.ProxyNamespace, lua.LegacyProxyNamespace); err != nil {
			errs.Append(e.JSONPath, err)
			continue
		} else if o != nil {
			script, err := lua.New(o, lua.Spec{Path: path, ParamNames: cel.ParamNames(e), NoOp: e.OutputEncoding == "no-op", Logger: opts.Logger, Client: scriptClient, UserAgent: userAgent})
			if err != nil {
				errs.Append(e.JSONPath, err)
				continue
			}
			pipeline = script.Middleware()(pipeline)
			luaAt = append(luaAt, path)
		}
		for _, b := range e.Backend {
			for _, ns := range []string{lua.BackendNamespace, lua.LegacyBackendNamespace} {
				if b.ExtraConfig.Has(ns) {
					luaAt = append(luaAt, config.Join(b.ExtraConfig.Path, ns))
				}
			}
		}
		validate, err := jsonschema.New(e)
		if err != nil {
			errs.Append(e.JSONPath, err)
		}
		if validate != nil {
			// Outermost: an invalid body reaches no backend.
			pipeline = validate(pipeline)
		}
		maxBody := maxBodyBytes(ropts, popts)
		if maxBody <= 0 {
			maxBody = endpoint.DefaultMaxBodyBytes
		}
		g.maxBody = max(g.maxBody, maxBody)
		limits = append(limits, maxBody)
		eopts := endpoint.Options{
			Endpoint:         e,
			Pipeline:         pipeline,
			Backends:         len(backends),
			ReturnErrorMsg:   ropts.ReturnErrorMsg,
			MaxBodyBytes:     maxBody,
			DecompressGzip:   popts.DecompressGzip,
			UserAgent:        userAgent,
			Logger:           opts.Logger,
			DisableAccessLog: ropts.DisableAccessLog,
			ClientIP:         clientIP,
			SendRequestID:    sopts.BackendRequestID,
			SkipLogPaths:     skipLog,
		}
		if sign != nil {
			eopts.Respond = sign.Respond
		}
		h, err := endpoint.New(eopts)
		if err != nil {
			errs.Append(e.JSONPath, err)
			continue
		}
		if h, err = g.rateLimit(e, h, clientIP, &warns); err != nil {
			errs.Append(e.JSONPath, err)
			continue
		}
		// modifier/lua-endpoint, on the client's request before the
		// endpoint reads it: in front of the rate limit, behind the
		// identity layers (KrakenD's order).
		if o, path, err := lua.Decode(&e.ExtraConfig, lua.RouterNamespace, lua.LegacyRouterNamespace); err != nil {
			errs.Append(e.JSONPath, err)
			continue
		} else if o != nil {
			if o.Post != "" || o.SkipNext {
				errs.Add(path, "post and skip_next do not apply to modifier/lua-endpoint (KrakenD runs its pre code only): move them to modifier/lua-proxy")
				continue
			}
			script, err := lua.New(o, lua.Spec{Path: path, Logger: opts.Logger, Client: scriptClient, UserAgent: userAgent, Timeout: e.Timeout})
			if err != nil {
				errs.Append(e.JSONPath, err)
				continue
			}
			h = script.Wrap(h, e.Params, maxBody)
			luaAt = append(luaAt, path)
		}
		// The identity layers, outside the rate limit: a JWT validator,
		// then a Lambda authorizer.
		if authorize != nil {
			h = authorize(h)
		}
		// The endpoint's CEL token checks, right behind the JWT validator
		// (KrakenD's rejecter).
		if h, err = claimsChecks(e, checks, opts.Logger, h); err != nil {
			errs.Append(e.JSONPath, err)
			continue
		}
		if h, err = jwt.wrap(e, !ropts.DisableAccessLog, h); err != nil {
			errs.Append(e.JSONPath, err)
			continue
		}
		// The endpoint's bot detector, outermost: a bot is refused before
		// its token is checked or counted.
		bots, err := botdetect.New(&e.ExtraConfig)
		if err != nil {
			errs.Append(e.JSONPath, err)
			continue
		}
		if bots != nil {
			h = bots.WrapRoute(h)
		}
		rt.Add(router.Route{Method: e.Method, Pattern: e.Path, Handler: tel.Endpoint(e.Method, e.Path, h), MaxBodyBytes: maxBody})
	}
	if ropts.AutoOptions {
		rt.AddAutoOptions()
	}
	for _, k := range kinds {
		if s, ok := k.(backend.Starter); ok {
			s.Started()
		}
	}
	// The service's modifier/lua-endpoint: every request, before routing.
	var luaService func(http.Handler) http.Handler
	if o, path, err := lua.Decode(&cfg.ExtraConfig, lua.RouterNamespace, lua.LegacyRouterNamespace); err != nil {
		errs.Append(cfg.ExtraConfig.Path, err)
	} else if o != nil {
		if o.Post != "" || o.SkipNext {
			errs.Add(path, "post and skip_next do not apply to modifier/lua-endpoint (KrakenD runs its pre code only): move them to an endpoint's modifier/lua-proxy")
		} else if script, err := lua.New(o, lua.Spec{Path: path, Logger: opts.Logger, Client: scriptClient, UserAgent: userAgent, Timeout: cfg.Timeout}); err != nil {
			errs.Append(cfg.ExtraConfig.Path, err)
		} else {
			maxBody := g.maxBody
			if maxBody <= 0 {
				maxBody = endpoint.DefaultMaxBodyBytes
			}
			luaService = func(next http.Handler) http.Handler { return script.WrapService(next, maxBody) }
			luaAt = append([]string{path}, luaAt...)
		}
	}
	if len(luaAt) > 0 {
		warns = append(warns, fmt.Sprintf("%s: Lua support is partial (a script's memory is bounded by a watchdog on the process's heap, not exactly per script): see docs/programmable.md", strings.Join(luaAt, ", ")))
	}
	secured, swarns, err := httpsecure.New(&cfg.ExtraConfig)
	errs.Append(cfg.ExtraConfig.Path, err)
	corsed, cwarns, err := cors.New(&cfg.ExtraConfig, opts.Logger)
	errs.Append(cfg.ExtraConfig.Path, err)
	warns = append(append(warns, swarns...), cwarns...)
	limited := g.serviceRateLimit(cfg, clientIP, &errs, &warns)
	var botLayer func(http.Handler) http.Handler
	bots, err := botdetect.New(&cfg.ExtraConfig)
	errs.Append(cfg.ExtraConfig.Path, err)
	if bots != nil {
		botLayer = bots.Wrap
	}
	warns = append(warns, unusedNamespaces(cfg, &errs)...)
	if len(errs) > 0 {
		g.close()
		return nil, warns, errs
	}
	// The service's route layers, outermost first: security/http, CORS,
	// the service's modifier/lua-endpoint (after security/http and before
	// the bot detector, as KrakenD registers them), the bot detector (a
	// bot takes no token), the service's rate limits;
	// then KrakenD's /__debug/ and /__echo/ (debug_endpoint,
	// echo_endpoint) in front of the router.
	dev := devendpoint.Layer(devendpoint.Options{Debug: cfg.DebugEndpoint, Echo: cfg.EchoEndpoint, Logger: opts.Logger})
	g.handler = recoverPanics(wrap(rt, dev, limited, botLayer, luaService, corsed, secured), opts.Logger)
	g.route = bodyLimits(rt, limits, g.maxBody)
	return g, warns, nil
}

// largeHeaderBuffer is the max_header_bytes above which the fasthttp
// engine's per-connection read buffer is worth a warning.
const largeHeaderBuffer = 64 << 10

// headerBufferWarning warns when plain HTTP/1.1 is served by fastserver
// with a large max_header_bytes (KrakenD files often say 1 MiB): each open
// connection then holds a read buffer of that size.
func headerBufferWarning(cfg *config.Service, o ServerOptions) []string {
	tls := cfg.TLS != nil && !cfg.TLS.Disabled
	if tls || o.Engine != EngineFast || cfg.MaxHeaderBytes <= largeHeaderBuffer {
		return nil
	}
	return []string{fmt.Sprintf("max_header_bytes: %d bytes is the read buffer of every open connection with the fasthttp engine (%d MB for 1,000 connections); lower it (default %d), or set extra_config[%q].engine to %q",
		cfg.MaxHeaderBytes, cfg.MaxHeaderBytes*1000>>20, config.DefaultMaxHeaderBytes, ServerNamespace, EngineNetHTTP)}
}

// bodyLimits returns the server's header hook that routes a request, so
// that a body above its endpoint's limit is refused before it is read and
// the router does not match the request again; nil when every endpoint has
// the same limit (the server's), and the router matches requests alone.
func bodyLimits(rt *router.Router, limits []int64, maxBody int64) func(method, path []byte) (string, int64) {
	for _, l := range limits {
		if l != maxBody {
			return rt.Preroute
		}
	}
	return nil
}

// sequentialNeeds lists, per backend, the fields of its response that
// later backends' url_patterns read ({respN_field}), with the slots of the
// request's params they fill.
func sequentialNeeds(e *config.Endpoint) [][]proxy.SequentialParam {
	needs := make([][]proxy.SequentialParam, len(e.Backend))
	for _, p := range e.Placeholders() {
		if p.Kind == config.RespPlaceholder {
			needs[p.Backend] = append(needs[p.Backend], proxy.SequentialParam{Name: p.Name, Backend: p.Backend, Path: p.Field, Slot: p.Slot, Optional: p.Propagated})
		}
	}
	return needs
}

// unusedNamespaces reports every extra_config namespace that no part of
// the gateway decoded, as config.ClassifyNamespace classes it: an error in
// errs when ignoring it would leave an endpoint unprotected or change the
// responses, else a warning (returned).
func unusedNamespaces(cfg *config.Service, errs *config.Errors) []string {
	warns := cfg.ExtraConfig.CheckUnused(errs)
	for _, e := range cfg.Endpoints {
		warns = append(warns, e.ExtraConfig.CheckUnused(errs)...)
		for _, b := range e.Backend {
			warns = append(warns, b.ExtraConfig.CheckUnused(errs)...)
		}
	}
	return warns
}

// Handler returns the gateway's HTTP handler: the service's route layers
// (security/http, CORS) when configured, the router, health, endpoints.
func (g *Gateway) Handler() http.Handler { return g.handler }

// healthHandler answers the health check, with the hash of the
// configuration being served when there is one.
func healthHandler(hash string) func(w http.ResponseWriter, _ *http.Request, _ []string) {
	return func(w http.ResponseWriter, _ *http.Request, _ []string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		doc := map[string]any{
			"status": "ok",
			"agents": map[string]any{},
			"now":    time.Now().Format(time.RFC3339),
		}
		if hash != "" {
			doc["config_hash"] = hash
		}
		b, _ := json.Marshal(doc)
		w.Write(b)
	}
}

// wrap wraps h in layers, the first innermost; a nil layer (a namespace the
// file does not use) is absent, not a pass-through.
func wrap(h http.Handler, layers ...func(http.Handler) http.Handler) http.Handler {
	for _, l := range layers {
		if l != nil {
			h = l(h)
		}
	}
	return h
}

// recoverPanics turns a panic in a request's path into a 500 for that
// request, logged with its request id and stack; the server goes on
// serving.
func recoverPanics(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The endpoint sets the request id on the response before
			// anything can panic; a panic before it (in the router) has
			// only the client's.
			id := w.Header().Get("X-Request-Id")
			if id == "" {
				id = r.Header.Get("X-Request-Id")
			}
			logger.Error("panic serving a request", "method", r.Method, "path", r.URL.Path, "request_id", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			w.WriteHeader(http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// Listen opens the service's listener: listen_ip and port (port 0 lets the
// system choose).
func (g *Gateway) Listen() (net.Listener, error) {
	addr := net.JoinHostPort(g.cfg.ListenIP, strconv.Itoa(g.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w (is another process using the port? change port, or run with --port)", addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then stops gracefully: it stops
// accepting, lets requests in flight finish within the drain bound
// (max_shutdown_wait_time, default the longest endpoint timeout), and
// returns nil. It is NewLive(g).Serve: a gateway served alone is a live
// gateway that is never replaced.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	return NewLive(g, nil).Serve(ctx, ln)
}

// server is what Serve needs of an HTTP server: net/http's, or fastserver's.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Close() error
}

// Close releases what a built gateway holds (its kinds' connections and
// credentials, its telemetry): for a gateway that is not served, such as
// one `lambdagate check` built. Serve closes the gateway itself when it
// returns.
func (g *Gateway) Close() { g.close() }

func (g *Gateway) close() {
	for _, c := range g.closers {
		c()
	}
	g.closers = nil
	closeKinds(g.kinds)
	g.kinds = nil
}

func tlsVersion(v string) uint16 {
	if v == "TLS13" {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}
