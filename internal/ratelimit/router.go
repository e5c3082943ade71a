// Package ratelimit is the gateway's node-local rate limiting, KrakenD's
// "qos/ratelimit/router" (an endpoint's limit, and each client's) and
// "qos/ratelimit/proxy" (a backend's) namespaces, with KrakenD's options,
// defaults, statuses and legacy names.
//
// Limits are token buckets as KrakenD defines them: max_rate tokens every
// `every` (1s by default, decimals allowed), capacity tokens at most (by
// default the rate a second, rounded down, at least 1), full when the
// gateway starts. Each bucket is kept as one number (see rate), so taking a
// token costs a compare-and-swap for an endpoint's or a backend's bucket,
// and a map lookup under a shard's lock for a client's (see store).
//
// An endpoint's layer (NewEndpoint) runs before the endpoint handler: a
// client over client_max_rate gets 429, the endpoint over max_rate 503,
// both with Retry-After. A backend's layer (NewBackend) runs just before the
// transport; a call it refuses fails with ErrLimited, and the endpoint's
// merge decides what the client gets, as for any failed backend.
//
// Everything is decided in the constructors; a limit the configuration
// does not set is absent. This package must not know how requests reach
// backends or how responses are written.
package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/router"
)

// RouterOptions is the "qos/ratelimit/router" namespace, KrakenD's names.
type RouterOptions struct {
	// MaxRate is the requests the endpoint accepts from all clients
	// together, every Every (0: no limit). Over it, clients get 503.
	MaxRate float64 `json:"max_rate"`
	// Capacity is the endpoint bucket's size: the requests accepted at
	// once (0: MaxRate a second, rounded down, at least 1).
	Capacity int `json:"capacity"`
	// ClientMaxRate is the requests the endpoint accepts from each client,
	// every Every (0: no limit). Over it, the client gets 429.
	ClientMaxRate float64 `json:"client_max_rate"`
	// ClientCapacity is each client bucket's size (0: ClientMaxRate a
	// second, rounded down, at least 1).
	ClientCapacity int `json:"client_capacity"`
	// Strategy says what a client is: "ip" (its address, see clientip),
	// "header" (the value of the header Key) or "param" (the value of the
	// endpoint's path param Key).
	Strategy string `json:"strategy"`
	// Key is the header or the path param of the header and param
	// strategies; with ip, a header holding the client's address, read
	// from trusted proxies only.
	Key string `json:"key"`
	// Every is the time the rates are counted over (default 1s; less is
	// raised to 1s, as in KrakenD).
	Every string `json:"every"`
	// NumShards is the number of groups, each with its own lock, the
	// client buckets are kept in (default 2048).
	NumShards *int `json:"num_shards"`
	// CleanupPeriod is how often idle clients' buckets are reclaimed
	// (default 1m; less than 1s is raised to 1s, as in KrakenD).
	CleanupPeriod string `json:"cleanup_period"`
	// CleanupThreads is the number of goroutines reclaiming them (default 1).
	CleanupThreads *int `json:"cleanup_threads"`

	// KrakenD 1's names, refused with their current ones.
	V1MaxRate       json.RawMessage `json:"maxRate" schema:"refused"`
	V1ClientMaxRate json.RawMessage `json:"clientMaxRate" schema:"refused"`
}

// Defaults and bounds of RouterOptions, KrakenD's.
const (
	DefaultNumShards      = 2048
	maxNumShards          = 1 << 16
	DefaultCleanupPeriod  = time.Minute
	minPeriod             = time.Second
	DefaultCleanupThreads = 1
)

// Deps is what an endpoint's layer needs beyond its options.
type Deps struct {
	// ClientIP resolves the ip strategy's client address (nil: the peer's).
	ClientIP *clientip.Resolver
	// Now is the clock (nil: the monotonic clock).
	Now Clock

	// ticker replaces the cleanup goroutines' ticker, in tests.
	ticker func(time.Duration) (<-chan time.Time, func())
}

// Endpoint is an endpoint's rate-limit layer.
type Endpoint struct {
	endpoint *bucket
	clients  *store
	// key names a request's client; "" when it names none (a header or
	// param strategy whose value is missing).
	key      func(r *http.Request, params []string) string
	retry503 retryAfter
	retry429 retryAfter
}

// NewEndpoint builds e's rate-limit layer from its "qos/ratelimit/router"
// namespace (or the legacy name), and returns nil when e has none, or one
// that limits nothing (both rates 0). It returns start-up warnings, and
// every problem as config errors at their JSON paths.
func NewEndpoint(e *config.Endpoint, deps Deps) (*Endpoint, []string, error) {
	var o RouterOptions
	name, err := e.ExtraConfig.DecodeWithLegacy(RouterNamespace, RouterLegacyNamespace, &o)
	if name == "" || err != nil {
		return nil, nil, err
	}
	return newLimit(e, o, config.Join(e.ExtraConfig.Path, name), deps)
}

// newLimit builds the layer of the options o, read at path: an endpoint's
// (e) or, with e nil, the service's.
func newLimit(e *config.Endpoint, o RouterOptions, path string, deps Deps) (*Endpoint, []string, error) {
	var errs config.Errors
	opts := limitOptions{path: path, errs: &errs}
	opts.renamed("maxRate", o.V1MaxRate, "max_rate")
	opts.renamed("clientMaxRate", o.V1ClientMaxRate, "client_max_rate")
	var warns []string
	every := opts.duration("every", o.Every, time.Second)
	if every < minPeriod {
		warns = append(warns, opts.warnf("every", "%s is below KrakenD's minimum: 1s is used", o.Every))
		every = minPeriod
	}
	now := deps.Now
	if now == nil {
		now = monotonic
	}
	l := &Endpoint{}
	if r, ok := opts.rate("max_rate", "capacity", o.MaxRate, o.Capacity, every); ok {
		l.endpoint = &bucket{rate: r, now: now}
	}
	clientRate, clients := opts.rate("client_max_rate", "client_capacity", o.ClientMaxRate, o.ClientCapacity, every)
	so := storeOptions{shards: DefaultNumShards, cleanupPeriod: DefaultCleanupPeriod, cleanupGo: DefaultCleanupThreads, now: now, ticker: deps.ticker}
	if o.NumShards != nil {
		so.shards = *o.NumShards
		if so.shards < 0 || so.shards > maxNumShards {
			errs.Add(config.Join(opts.path, "num_shards"), "must be from 1 to %d (0 is read as 1, as in KrakenD), got %d", maxNumShards, so.shards)
		}
	}
	so.cleanupPeriod = opts.duration("cleanup_period", o.CleanupPeriod, DefaultCleanupPeriod)
	if so.cleanupPeriod < minPeriod {
		warns = append(warns, opts.warnf("cleanup_period", "%s is below KrakenD's minimum: 1s is used", o.CleanupPeriod))
		so.cleanupPeriod = minPeriod
	}
	if o.CleanupThreads != nil {
		if so.cleanupGo = *o.CleanupThreads; so.cleanupGo < 1 {
			errs.Add(config.Join(opts.path, "cleanup_threads"), "must be 1 or more, got %d", so.cleanupGo)
		}
	}
	if clients {
		var kw string
		l.key, kw = clientKey(e, o, deps.ClientIP, opts)
		if kw != "" {
			warns = append(warns, kw)
		}
	} else if set := clientOnly(o); set != "" {
		warns = append(warns, opts.warnf(set, "applies only with client_max_rate, which is not set; ignored"))
	}
	if len(errs) > 0 {
		return nil, warns, errs
	}
	if l.endpoint == nil && !clients {
		return nil, warns, nil
	}
	if clients {
		l.clients = newStore(clientRate, so)
	}
	return l, warns, nil
}

// clientOnly names the first option set that only client limits use.
func clientOnly(o RouterOptions) string {
	switch {
	case o.Strategy != "":
		return "strategy"
	case o.Key != "":
		return "key"
	case o.NumShards != nil:
		return "num_shards"
	case o.CleanupPeriod != "":
		return "cleanup_period"
	case o.CleanupThreads != nil:
		return "cleanup_threads"
	}
	return ""
}

// clientKey returns the function naming a request's client by o's
// strategy, and a warning when the strategy cannot do what it says.
func clientKey(e *config.Endpoint, o RouterOptions, ips *clientip.Resolver, opts limitOptions) (func(*http.Request, []string) string, string) {
	switch strings.ToLower(o.Strategy) {
	case "ip":
		if o.Key == "" {
			return func(r *http.Request, _ []string) string { return ips.ClientIP(r) }, ""
		}
		keyed := ips.WithHeader(o.Key)
		var warn string
		if !keyed.TrustsProxies() {
			warn = opts.warnf("key", "the ip strategy reads %q only from router.trusted_proxies (with forwarded_by_client_ip), and none are trusted: the client's address is the peer's", o.Key)
		}
		return func(r *http.Request, _ []string) string { return keyed.ClientIP(r) }, warn
	case "header":
		if o.Key == "" {
			opts.errs.Add(config.Join(opts.path, "key"), "the header strategy needs the name of the header that names the client, such as \"Authorization\" or \"X-Tenant\"")
			return nil, ""
		}
		name := textproto.CanonicalMIMEHeaderKey(o.Key)
		return func(r *http.Request, _ []string) string {
			if vs := r.Header[name]; len(vs) > 0 {
				return vs[0]
			}
			return ""
		}, ""
	case "param":
		if e == nil {
			opts.errs.Add(config.Join(opts.path, "strategy"), "the param strategy names the client by an endpoint's path param, and the service has none: use \"ip\" or \"header\"")
			return nil, ""
		}
		i, ok := config.ParamIndex(e.Params, o.Key)
		if !ok {
			opts.errs.Add(config.Join(opts.path, "key"), "%q is not a placeholder of the endpoint %s: the param strategy needs one of its path params (%s)", o.Key, e.Path, strings.Join(e.Params, ", "))
			return nil, ""
		}
		return func(_ *http.Request, params []string) string {
			if i < len(params) {
				return params[i]
			}
			return ""
		}, ""
	case "":
		opts.errs.Add(config.Join(opts.path, "strategy"), "client_max_rate needs a strategy: \"ip\", \"header\" or \"param\" (KrakenD applies no client limit without one)")
	default:
		opts.errs.Add(config.Join(opts.path, "strategy"), "%q is not a strategy: use \"ip\", \"header\" or \"param\"", o.Strategy)
	}
	return nil, ""
}

// Wrap returns next behind the layer: each client's limit first, then the
// endpoint's, as in KrakenD (a client over its limit takes no token from
// the endpoint's bucket).
func (l *Endpoint) Wrap(next router.Handler) router.Handler {
	if l.endpoint != nil {
		next = l.limitEndpoint(next)
	}
	if l.clients != nil {
		next = l.limitClients(next)
	}
	return next
}

func (l *Endpoint) limitEndpoint(next router.Handler) router.Handler {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		if wait, ok := l.endpoint.take(); !ok {
			refuse(w, http.StatusServiceUnavailable, l.retry503.header(wait))
			return
		}
		next(w, r, params)
	}
}

func (l *Endpoint) limitClients(next router.Handler) router.Handler {
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		key := l.key(r, params)
		if key == "" {
			// Nothing names the client (its header is missing): refused,
			// as in KrakenD, with no time after which it would pass.
			refuse(w, http.StatusTooManyRequests, nil)
			return
		}
		if wait, ok := l.clients.take(key); !ok {
			refuse(w, http.StatusTooManyRequests, l.retry429.header(wait))
			return
		}
		next(w, r, params)
	}
}

// refuse answers a refused request: status, Retry-After, an empty body, as
// KrakenD's layer answers.
func refuse(w http.ResponseWriter, status int, retryAfter []string) {
	if retryAfter != nil {
		w.Header()["Retry-After"] = retryAfter
	}
	w.WriteHeader(status)
}

// Close stops the layer's cleanup goroutines.
func (l *Endpoint) Close() {
	if l != nil && l.clients != nil {
		l.clients.close()
	}
}
