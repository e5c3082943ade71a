// Package config reads lambdagate's configuration: KrakenD's file format,
// "version": 3, in JSON. It parses the file into typed values, fills in
// defaults (endpoints inherit the service's timeout and cache_ttl, backends
// their endpoint's method and the service's hosts), and validates it,
// reporting every problem at once with the JSON path at fault.
//
// Each extra_config namespace stays raw here: the package that implements a
// namespace decodes it into its own typed struct with DecodeNamespace, and
// namespaces nobody decoded are reported by CheckUnused, as the table of
// namespaces.go classes them: refused when ignoring them would leave an
// endpoint unprotected or change the responses, else warned about.
//
// This package must not build anything that serves requests.
package config

import (
	"encoding/json"
	"time"
)

// Service is the root of the file: the gateway as a whole.
type Service struct {
	// Version must be 3.
	Version int
	// Name is a human name for the gateway, used in logs.
	Name string
	// Port is the listening port (default 8080).
	Port int
	// ListenIP is the address to listen on (default: all).
	ListenIP string
	// Timeout is the default endpoint timeout (default 2s).
	Timeout time.Duration
	// CacheTTL is the default endpoint cache TTL: the max-age of the
	// Cache-Control header of complete responses (default none).
	CacheTTL time.Duration
	// Host is the default list of backend hosts.
	Host []string
	// OutputEncoding is the default endpoint output_encoding (default json).
	OutputEncoding string
	// ReadTimeout bounds reading a whole request, body included (default 0: none).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response (default 0: none).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for the next
	// request (default 0: the read timeout).
	IdleTimeout time.Duration
	// ReadHeaderTimeout bounds reading request headers (default 0: the read
	// timeout).
	ReadHeaderTimeout time.Duration
	// MaxHeaderBytes bounds the size of request headers (default 16 KiB).
	MaxHeaderBytes int
	// MaxShutdownWaitTime bounds how long a graceful stop waits for requests
	// in flight (default: the longest endpoint timeout).
	MaxShutdownWaitTime time.Duration
	// DebugEndpoint serves KrakenD's /__debug/ endpoint: any method and
	// path under it, logged at debug level, answered {"message":"pong"}.
	DebugEndpoint bool
	// EchoEndpoint serves KrakenD's /__echo/ endpoint: any method and path
	// under it, answered with a description of the request as received.
	EchoEndpoint bool
	// HTTPClient tunes the connections to HTTP backends.
	HTTPClient HTTPClient
	// TLS, when set and not disabled, makes the listener serve HTTPS (and
	// HTTP/2).
	TLS *TLS
	// Endpoints are the routes the gateway serves.
	Endpoints []*Endpoint
	// ExtraConfig holds the service's namespaces (router, telemetry/logging, ...).
	ExtraConfig ExtraConfig
}

// Endpoint is one route of the gateway and the backends behind it.
type Endpoint struct {
	// Path is the route, with {placeholder} segments ("endpoint" in the file).
	Path string
	// Method is the HTTP method (default GET).
	Method string
	// Backend lists the backends whose responses are merged (at least one).
	Backend []*Backend
	// Timeout bounds the whole endpoint (default: the service's).
	Timeout time.Duration
	// CacheTTL sets Cache-Control max-age on complete responses (default:
	// the service's).
	CacheTTL time.Duration
	// ConcurrentCalls is accepted for compatibility; lambdagate calls each
	// backend once (KrakenD's hedging is not implemented; values above 1 are
	// warned about).
	ConcurrentCalls int
	// InputHeaders lists the client headers forwarded to backends; "*" for
	// all. Nil means the default: Content-Type only.
	InputHeaders []string
	// InputQueryStrings lists the query strings forwarded; "*" for all.
	InputQueryStrings []string
	// OutputEncoding is how the response is written (default: the
	// service's, else json).
	OutputEncoding string
	// ExtraConfig holds the endpoint's namespaces (proxy, ...).
	ExtraConfig ExtraConfig

	// JSONPath is where the endpoint sits in the file ("endpoints[2]"), for
	// messages.
	JSONPath string
	// Params are the endpoint's placeholder names, in path order.
	Params []string
}

// Backend is one upstream of an endpoint.
type Backend struct {
	// URLPattern is the path (and optional query) called on the host, with
	// {placeholder}s filled from the endpoint's params.
	URLPattern string
	// Host lists the hosts, round-robin (default: the service's).
	Host []string
	// Method is the HTTP method (default: the endpoint's).
	Method string
	// Encoding is how the body is decoded: json (default), safejson, xml,
	// rss, string or no-op (an unknown one is json, with a warning).
	Encoding string
	// Group puts the backend's data under this key.
	Group string
	// Target is a dot path to the object that becomes the data.
	Target string
	// Mapping renames top-level keys.
	Mapping map[string]string
	// Allow lists the dot paths kept.
	Allow []string
	// Deny lists the dot paths dropped (when Allow is empty).
	Deny []string
	// IsCollection says the body is an array, placed under "collection".
	IsCollection bool
	// InputHeaders, when set, narrows the endpoint's forwarded headers for
	// this backend.
	InputHeaders []string
	// InputQueryStrings, when set, narrows the endpoint's forwarded query
	// strings for this backend.
	InputQueryStrings []string
	// SD is the service discovery kind; only "static" (the default).
	SD string
	// DisableHostSanitize keeps hosts as written (no scheme added).
	DisableHostSanitize bool
	// ExtraConfig holds the backend's namespaces (backend/http,
	// backend/lambda, ...).
	ExtraConfig ExtraConfig

	// JSONPath is where the backend sits in the file
	// ("endpoints[2].backend[0]"), for messages.
	JSONPath string
	// Index is the backend's position in its endpoint.
	Index int
}

// ExtraConfig is a level's extra_config: namespace → raw JSON. The owning
// package decodes its namespace with DecodeNamespace.
type ExtraConfig struct {
	// Path is the JSON path of the extra_config object.
	Path string
	raw  map[string]json.RawMessage
	used map[string]bool
}

// HTTPClient holds the service-level settings of the connections to HTTP
// backends (KrakenD's names). Zero values mean Go's defaults, except
// MaxIdleConnsPerHost, which defaults to 250.
type HTTPClient struct {
	// DialerTimeout bounds connecting (dialer_timeout).
	DialerTimeout time.Duration
	// DialerKeepAlive is the TCP keep-alive period (dialer_keep_alive).
	DialerKeepAlive time.Duration
	// DisableKeepAlives opens a connection per request (disable_keep_alives).
	DisableKeepAlives bool
	// DisableCompression stops asking backends for gzip (disable_compression).
	DisableCompression bool
	// MaxIdleConns bounds idle connections in all (max_idle_connections).
	MaxIdleConns int
	// MaxIdleConnsPerHost bounds idle connections per host
	// (max_idle_connections_per_host, default 250).
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes idle connections after it (idle_connection_timeout).
	IdleConnTimeout time.Duration
	// ResponseHeaderTimeout bounds waiting for a backend's headers
	// (response_header_timeout).
	ResponseHeaderTimeout time.Duration
}

// TLS is the listener's TLS ("tls" in the file).
type TLS struct {
	// Disabled turns TLS off while keeping the block in the file.
	Disabled bool
	// PublicKey is the certificate chain file, PEM (public_key).
	PublicKey string
	// PrivateKey is the key file, PEM (private_key).
	PrivateKey string
	// MinVersion is the lowest version accepted: TLS12 (default) or TLS13.
	MinVersion string
	// MaxVersion is the highest version accepted: TLS12 or TLS13 (default).
	MaxVersion string
}
