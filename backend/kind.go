package backend

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/telemetry"
)

// Kind is one kind of backend (HTTP, Lambda, ...), built once per gateway
// with its dependencies: it builds the transports of the backends it
// claims, and holds what they share (connections, credentials) until
// Close. A gateway being replaced (hot reload) and its successor each have
// their own kinds.
type Kind interface {
	// Name is the kind's name in metrics and spans: "http", "lambda", ...
	Name() string
	// Claims reports whether b is a backend of this kind.
	Claims(b *config.Backend) bool
	// Build builds the transport of a backend the kind claims. Problems
	// are config.Errors, each at its JSON path.
	Build(spec Spec) (Transport, error)
	// Close releases what the kind holds. The gateway calls it once, when
	// no request can reach the kind's transports any more.
	Close()
}

// Starter is a Kind with something to say once every backend is built: a
// start-up line or warning about all its backends at once, not one per
// backend. The gateway calls Started once, after the last Build.
type Starter interface {
	Started()
}

// Deps is what a gateway gives each kind it builds.
type Deps struct {
	// Service is the whole configuration.
	Service *config.Service
	// Logger is the gateway's logger.
	Logger *slog.Logger
	// Telemetry instruments backend calls (nil: not instrumented). A kind
	// may create its own instruments with Telemetry.Meter() and add
	// attributes to the call's span, found in the context it gets.
	Telemetry *telemetry.Telemetry
	// Warn records a start-up warning (an option that works but is
	// risky): `lambdagate check` prints it and `run` logs it. Never nil.
	Warn func(msg string)
	// Redis gives the service's "redis" connection pools by name (nil:
	// none).
	Redis RedisPools
	// CanonicalHeaderNames is true when HTTP/1.1 requests reach the
	// gateway with their header names canonicalised (net/http's server
	// serves them over TLS), so that the client's spelling is lost (see
	// package wirenames).
	CanonicalHeaderNames bool
	// RecordHeaderNames is called by a kind one of whose backends shows
	// the client's spelling of header names (apigateway_v1 events): the
	// net/http engine then records it on plain HTTP/1.1 connections
	// (package h1names), which costs nothing when no backend asks. Nil:
	// nobody records.
	RecordHeaderNames func()
}

// RedisPools gives the service's Redis connection pools by name.
type RedisPools interface {
	Get(name string) (*redis.Client, bool)
	Names() []string
}

// NewKind builds a kind for one gateway.
type NewKind func(Deps) (Kind, error)

// Spec is one backend to build, in its place in the configuration.
type Spec struct {
	// Endpoint is the endpoint the backend belongs to.
	Endpoint *config.Endpoint
	// Backend is the backend to build. Its JSONPath prefixes every error.
	Backend *config.Backend
	// Sequential is true when the endpoint calls its backends one after
	// the other (extra_config.proxy.sequential), so that a backend may use
	// an earlier one's response in its url_pattern.
	Sequential bool
	// EndpointData is true when the endpoint changes the merged data
	// (proxy.static, proxy.flatmap_filter), so that a reply cannot pass
	// through undecoded.
	EndpointData bool
	// Logger is the gateway's logger, for the layers of the pipeline that
	// log (a circuit breaker's changes of state). Nil is slog.Default().
	Logger *slog.Logger
	// HTTPClient and UserAgent are the gateway's HTTP client and
	// User-Agent, for the requests a backend's Lua script makes
	// (http_response); a nil client is Go's default one.
	HTTPClient *http.Client
	UserAgent  string
}

// ClientKind is a kind that owns the gateway's HTTP client, shared with the
// layers that make HTTP requests of their own (a Lua script's
// http_response).
type ClientKind interface {
	HTTPClient() *http.Client
}

// Transport is what a kind builds for one backend.
type Transport struct {
	// Call sends one request and returns the reply's bytes (Response.Raw,
	// or a stream in Response.Body) with its status and headers; decoding
	// is the backend pipeline's. A reply whose status is not a success is
	// returned as a *proxy.BackendError.
	Call proxy.Proxy
	// Target names, from the configuration only, what the backend calls
	// (its function, its hosts): a metric label, so its values must be
	// bounded. Empty means HostTarget.
	Target string
	// Replies are the kind's rules for decoding its replies.
	Replies proxy.ReplyRules
	// URL returns the absolute URL Call would send req to, picking the
	// host as Call does (a Lua script's request:url()); nil for kinds
	// that call no URL.
	URL func(req *proxy.Request) (string, error)
}

// HostTarget is the default target of a backend: its hosts, without
// scheme, joined by commas, as configured.
func HostTarget(b *config.Backend) string {
	hosts := make([]string, 0, len(b.Host))
	for _, h := range b.Host {
		if u, err := url.Parse(h); err == nil && u.Host != "" {
			h = u.Host
		}
		hosts = append(hosts, strings.TrimRight(h, "/"))
	}
	return strings.Join(hosts, ",")
}
