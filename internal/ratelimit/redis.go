package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redisbatch"
	"github.com/lambdagate/lambdagate/internal/router"
)

// RouterRedisNamespace is KrakenD Enterprise's endpoint limit kept in
// Redis: the same limits as RouterNamespace, counted once for every
// gateway sharing the Redis server.
const RouterRedisNamespace = "qos/ratelimit/router/redis"

// ServiceRedisNamespace is KrakenD Enterprise's service limit kept in
// Redis: the options of RouterRedisNamespace, counted over every request
// the gateway routes, once for every gateway sharing the Redis server.
const ServiceRedisNamespace = "qos/ratelimit/service/redis"

// RedisOptions is the "qos/ratelimit/router/redis" and
// "qos/ratelimit/service/redis" namespaces, KrakenD Enterprise's names,
// and lambdagate's on_failure_local.
type RedisOptions struct {
	// ConnectionName names the pool of the service's "redis" namespace.
	ConnectionName string `json:"connection_name"`
	// ConnectionPool is its deprecated name.
	ConnectionPool string `json:"connection_pool"`
	// OnFailureAllow lets requests through when Redis does not answer
	// within the check's timeout (default false: 503).
	OnFailureAllow bool `json:"on_failure_allow"`
	// OnFailureLocal is lambdagate's: when Redis fails, the same limits
	// are counted in this gateway's memory instead.
	OnFailureLocal bool `json:"on_failure_local"`

	MaxRate        float64 `json:"max_rate"`
	Capacity       int     `json:"capacity"`
	ClientMaxRate  float64 `json:"client_max_rate"`
	ClientCapacity int     `json:"client_capacity"`
	Strategy       string  `json:"strategy"`
	Key            string  `json:"key"`
	Every          string  `json:"every"`
}

// DefaultRedisTimeout bounds a check: dialing, waiting for a connection,
// the script's round trip and go-redis's retries together. Past it, the
// failure policy (on_failure_allow) decides.
const DefaultRedisTimeout = 250 * time.Millisecond

// RedisPools gives the Batchers of the service's Redis pools by name
// (redispool.Pools): the checks of every layer on a pool share its
// Batcher.
type RedisPools interface {
	Batcher(name string) (*redisbatch.Batcher, bool)
	Names() []string
}

// RedisDeps is what a Redis-backed layer needs beyond Deps.
type RedisDeps struct {
	Deps
	// Pools are the service's "redis" connection pools.
	Pools RedisPools
	// Meter creates the layer's counters (nil: none).
	Meter metric.Meter
	// Logger logs a pool's failing and recovering checks (nil: none).
	Logger *slog.Logger
	// Timeout bounds each check (0: DefaultRedisTimeout).
	Timeout time.Duration
}

// The metrics of the Redis-backed layers; their attributes are the pool's
// name (connection), the refusal's status, and the failure policy applied.
const (
	MetricRedisChecks     = "lambdagate.ratelimit.redis.checks"
	MetricRedisRejections = "lambdagate.ratelimit.redis.rejections"
	MetricRedisErrors     = "lambdagate.ratelimit.redis.errors"
)

// gcra is the server-side check: for each key in turn (the client's, then
// the endpoint's), the generic cell rate algorithm of bucket.go on Redis's
// clock, in microseconds. ARGV holds each key's interval and tolerance. A
// key over its limit ends the script with its position (1-based) and the
// wait; the keys before it have taken their token, as in the node-local
// layer. {0, 0}: every key took one. Redis runs a script atomically, so
// replicas never race on a bucket; one EVALSHA is one round trip, shared
// by the concurrent checks on the pool (redisbatch pipelines them).
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local ahead = tat - now
  if ahead > tolerance then
    return {i, ahead - tolerance}
  end
  tat = tat + interval
  redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
end
return {0, 0}
`)

// RedisEndpoint is a Redis-backed rate-limit layer: an endpoint's, or the
// service's inside RedisService.
type RedisEndpoint struct {
	client     *redisbatch.Batcher
	connection string
	namespace  string
	allow      bool
	// local counts the same limits in memory while Redis fails
	// (on_failure_local); nil without it.
	local   *Endpoint
	timeout time.Duration
	logger  *slog.Logger
	failing atomic.Bool

	// prefix starts the endpoint's keys; endpointKey is its bucket's.
	prefix, endpointKey string
	hasEndpoint         bool
	key                 func(r *http.Request, params []string) string
	// args are the script's ARGV: the client's rate (when limited), then
	// the endpoint's.
	args []any

	retry503, retry429 retryAfter

	checks, rejections, errs metric.Int64Counter
	attrs                    metric.MeasurementOption
	attrs429, attrs503       metric.MeasurementOption
	attrsErr                 metric.MeasurementOption
}

// NewRedisEndpoint builds e's "qos/ratelimit/router/redis" layer, nil when
// e has none or its rates are 0. It returns start-up warnings, and every
// problem as config errors at their JSON paths.
func NewRedisEndpoint(e *config.Endpoint, deps RedisDeps) (*RedisEndpoint, []string, error) {
	var o RedisOptions
	ok, err := e.ExtraConfig.Decode(RouterRedisNamespace, &o)
	if !ok || err != nil {
		return nil, nil, err
	}
	return newRedisLimit(e, o, RouterRedisNamespace, config.Join(e.ExtraConfig.Path, RouterRedisNamespace),
		"lambdagate:ratelimit:"+e.Method+" "+e.Path+":", deps)
}

// newRedisLimit builds the Redis-backed layer of the options o of the
// namespace ns, read at path: an endpoint's (e) or, with e nil, the
// service's. Its keys start with prefix, which names the layer's scope.
func newRedisLimit(e *config.Endpoint, o RedisOptions, ns, path, prefix string, deps RedisDeps) (*RedisEndpoint, []string, error) {
	var errs config.Errors
	opts := limitOptions{path: path, errs: &errs}
	var warns []string
	name := o.ConnectionName
	switch {
	case name == "" && o.ConnectionPool != "":
		name = o.ConnectionPool
		warns = append(warns, opts.warnf("connection_pool", "is deprecated in KrakenD: write connection_name"))
	case name != "" && o.ConnectionPool != "" && o.ConnectionPool != name:
		errs.Add(config.Join(opts.path, "connection_pool"), "names %q while connection_name names %q: keep connection_name only", o.ConnectionPool, name)
	}
	var client *redisbatch.Batcher
	var ok bool
	if name == "" {
		errs.Add(config.Join(opts.path, "connection_name"), "names no pool: write the name of one of the service's redis.connection_pools")
	} else if client, ok = deps.Pools.Batcher(name); !ok {
		errs.Add(config.Join(opts.path, "connection_name"), "%q is not one of the service's redis.connection_pools %q", name, deps.Pools.Names())
	}
	if o.OnFailureAllow && o.OnFailureLocal {
		errs.Add(config.Join(opts.path, "on_failure_local"), "and on_failure_allow both say what to do when Redis fails: keep one (on_failure_allow lets requests through unlimited, on_failure_local limits them in this gateway's memory)")
	}
	every := opts.duration("every", o.Every, time.Second)
	if every < minPeriod {
		warns = append(warns, opts.warnf("every", "%s is below KrakenD's minimum: 1s is used", o.Every))
		every = minPeriod
	}
	l := &RedisEndpoint{
		client: client, connection: name, namespace: ns, allow: o.OnFailureAllow, timeout: deps.Timeout, logger: deps.Logger,
		prefix: prefix,
	}
	l.endpointKey = l.prefix + "endpoint"
	if l.timeout <= 0 {
		l.timeout = DefaultRedisTimeout
	}
	clientRate, clients := opts.rate("client_max_rate", "client_capacity", o.ClientMaxRate, o.ClientCapacity, every)
	if clients {
		var kw string
		l.key, kw = clientKey(e, RouterOptions{Strategy: o.Strategy, Key: o.Key}, deps.ClientIP, opts)
		if kw != "" {
			warns = append(warns, kw)
		}
		l.args = append(l.args, micros(clientRate)...)
	} else if o.Strategy != "" || o.Key != "" {
		warns = append(warns, opts.warnf("strategy", "applies only with client_max_rate, which is not set; ignored"))
	}
	if r, ok := opts.rate("max_rate", "capacity", o.MaxRate, o.Capacity, every); ok {
		l.hasEndpoint = true
		l.args = append(l.args, micros(r)...)
	}
	if len(errs) > 0 {
		return nil, warns, errs
	}
	if !l.hasEndpoint && !clients {
		return nil, warns, nil
	}
	if o.OnFailureLocal {
		// The same rates, already checked above: its warnings would repeat.
		local, _, err := newLimit(e, RouterOptions{
			MaxRate: o.MaxRate, Capacity: o.Capacity, ClientMaxRate: o.ClientMaxRate, ClientCapacity: o.ClientCapacity,
			Strategy: o.Strategy, Key: o.Key, Every: o.Every,
		}, path, deps.Deps)
		if err != nil {
			return nil, warns, err
		}
		l.local = local
	}
	l.instrument(deps.Meter)
	return l, warns, nil
}

// Close stops the node-local fallback's cleanup goroutines.
func (l *RedisEndpoint) Close() {
	if l != nil {
		l.local.Close()
	}
}

// micros is r as the script's interval and tolerance, in microseconds.
func micros(r rate) []any {
	interval := max(r.interval/int64(time.Microsecond), 1)
	return []any{interval, interval * (r.tolerance / r.interval)}
}

func (l *RedisEndpoint) instrument(m metric.Meter) {
	if m == nil {
		m = metricnoop.NewMeterProvider().Meter("lambdagate")
	}
	conn := attribute.String("connection", l.connection)
	ns := attribute.String("namespace", l.namespace)
	l.checks, _ = m.Int64Counter(MetricRedisChecks, metric.WithDescription("Checks of the Redis-backed rate limits (qos/ratelimit/router/redis, qos/ratelimit/service/redis)."))
	l.rejections, _ = m.Int64Counter(MetricRedisRejections, metric.WithDescription("Requests the Redis-backed rate limits refused because a limit was reached, by status."))
	l.errs, _ = m.Int64Counter(MetricRedisErrors, metric.WithDescription("Checks Redis did not answer in time or failed; on_failure says whether the request went through."))
	l.attrs = metric.WithAttributeSet(attribute.NewSet(conn, ns))
	l.attrs429 = metric.WithAttributeSet(attribute.NewSet(conn, ns, attribute.Int("status", http.StatusTooManyRequests)))
	l.attrs503 = metric.WithAttributeSet(attribute.NewSet(conn, ns, attribute.Int("status", http.StatusServiceUnavailable)))
	policy := "refuse"
	switch {
	case l.allow:
		policy = "allow"
	case l.local != nil:
		policy = "local"
	}
	l.attrsErr = metric.WithAttributeSet(attribute.NewSet(conn, ns, attribute.String("on_failure", policy)))
}

// Wrap returns next behind the layer.
func (l *RedisEndpoint) Wrap(next router.Handler) router.Handler {
	var local router.Handler
	if l.local != nil {
		local = l.local.Wrap(next)
	}
	return func(w http.ResponseWriter, r *http.Request, params []string) {
		var keys []string
		if l.key != nil {
			client := l.key(r, params)
			if client == "" {
				// Nothing names the client: refused, as node-locally.
				l.rejections.Add(r.Context(), 1, l.attrs429)
				refuse(w, http.StatusTooManyRequests, nil)
				return
			}
			keys = append(make([]string, 0, 2), l.prefix+"client:"+client)
		}
		if l.hasEndpoint {
			keys = append(keys, l.endpointKey)
		}
		refused, wait, err := l.check(r.Context(), keys)
		switch {
		case err != nil:
			if local != nil {
				local(w, r, params)
				return
			}
			if !l.allow {
				refuse(w, http.StatusServiceUnavailable, nil)
				return
			}
		case refused == 0:
		case l.key != nil && refused == 1:
			l.rejections.Add(r.Context(), 1, l.attrs429)
			refuse(w, http.StatusTooManyRequests, l.retry429.header(wait))
			return
		default:
			l.rejections.Add(r.Context(), 1, l.attrs503)
			refuse(w, http.StatusServiceUnavailable, l.retry503.header(wait))
			return
		}
		next(w, r, params)
	}
}

// errReply is a script reply of an unexpected shape.
var errReply = errors.New("unexpected reply of the rate-limit script")

// check runs the script on keys within the layer's timeout: the position
// of the key over its limit (0: none) and the wait, in nanoseconds.
func (l *RedisEndpoint) check(ctx context.Context, keys []string) (refused int, wait int64, err error) {
	l.checks.Add(ctx, 1, l.attrs)
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := l.client.Run(ctx, gcra, keys, l.args...).Int64Slice()
	if err == nil && len(res) != 2 {
		err = errReply
	}
	if err != nil {
		l.errs.Add(ctx, 1, l.attrsErr)
		if l.failing.CompareAndSwap(false, true) && l.logger != nil {
			l.logger.Warn("redis rate limit: checks are failing", "namespace", l.namespace, "connection", l.connection, "on_failure_allow", l.allow, "on_failure_local", l.local != nil, "error", err.Error())
		}
		return 0, 0, err
	}
	if l.failing.CompareAndSwap(true, false) && l.logger != nil {
		l.logger.Info("redis rate limit: checks answer again", "namespace", l.namespace, "connection", l.connection)
	}
	return int(res[0]), res[1] * int64(time.Microsecond), nil
}
