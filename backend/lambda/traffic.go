package lambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
	"github.com/lambdagate/lambdagate/qos/cache"
)

// The cache's bounds when the options set none.
const (
	DefaultCacheMaxItems = 1024
	DefaultCacheMaxSize  = 16 << 20
)

// traffic is what cache_ttl and max_concurrency decide: the layers between
// the transport and its invocation client, in the backend pipeline's order
// (cache and coalescing, then the concurrency cap).
type traffic struct {
	cacheTTL       time.Duration // 0: no cache
	cacheMaxItems  int
	cacheMaxSize   int64
	maxConcurrency int // 0: no cap
	// fleet, set by max_concurrency_redis, counts the cap in Redis.
	fleet *ConcurrencyRedis
}

// resolveTraffic checks the cache and cap options against the invocation
// type, the payload format and the endpoint's method.
func (o *Options) resolveTraffic(at func(string) string, s settings, method string, errs *config.Errors) traffic {
	t := traffic{cacheMaxItems: DefaultCacheMaxItems, cacheMaxSize: DefaultCacheMaxSize, maxConcurrency: o.MaxConcurrency}
	if o.MaxConcurrency < 0 {
		errs.Add(at("max_concurrency"), "must be 0 (no cap, the default) or the most invocations in flight at once, got %d", o.MaxConcurrency)
	}
	if f := o.MaxConcurrencyRedis; f != nil {
		switch {
		case o.MaxConcurrency == 0:
			errs.Add(at("max_concurrency_redis"), "only applies with max_concurrency: set the most invocations in flight over the fleet, or remove it")
		case f.ConnectionName == "":
			errs.Add(config.Join(at("max_concurrency_redis"), "connection_name"), "names no pool: write the name of one of the service's redis.connection_pools")
		}
		t.fleet = f
	}
	if o.CacheTTL == "" {
		for _, opt := range []struct {
			key string
			set bool
		}{{"cache_max_items", o.CacheMaxItems != 0}, {"cache_max_size", o.CacheMaxSize != 0}, {"cache_all_methods", o.CacheAllMethods}} {
			if opt.set {
				errs.Add(at(opt.key), "only applies with cache_ttl: set how long results are cached, or remove it")
			}
		}
		return t
	}
	d, err := time.ParseDuration(o.CacheTTL)
	switch {
	case err != nil:
		errs.Add(at("cache_ttl"), "%q is not a duration: write a number with a unit, such as \"30s\" or \"5m\"", o.CacheTTL)
	case d <= 0:
		errs.Add(at("cache_ttl"), "must be above zero, got %q: remove it to cache nothing", o.CacheTTL)
	}
	t.cacheTTL = d
	if s.invocationType != InvocationRequestResponse {
		errs.Add(at("cache_ttl"), "only applies to RequestResponse invocations: an %s invocation has no result to cache", s.invocationType)
	}
	if s.payloadFormat != FormatKrakend {
		errs.Add(at("cache_ttl"), "only applies with payload_format krakend: every %s event carries its own request id and time, so no two payloads are alike", s.payloadFormat)
	}
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet && !o.CacheAllMethods {
		errs.Add(at("cache_ttl"), "the endpoint's method is %s: only GET endpoints are cached; set cache_all_methods: true if the function is safe to cache (the same payload always gets the same answer, and a call changes nothing)", method)
	}
	if o.CacheMaxItems < 0 {
		errs.Add(at("cache_max_items"), "must be above zero (default %d), got %d", DefaultCacheMaxItems, o.CacheMaxItems)
	} else if o.CacheMaxItems > 0 {
		t.cacheMaxItems = o.CacheMaxItems
	}
	if o.CacheMaxSize < 0 {
		errs.Add(at("cache_max_size"), "must be above zero (default %d bytes), got %d", DefaultCacheMaxSize, o.CacheMaxSize)
	} else if o.CacheMaxSize > 0 {
		t.cacheMaxSize = o.CacheMaxSize
	}
	return t
}

// wrap returns next behind the layers t configures, none when it
// configures none. now is the cache's clock (nil: time.Now); fleet, when
// max_concurrency_redis is set, is the fleet's cap in front of next.
func (t traffic) wrap(next lambdainvoke.Invoker, now func() time.Time, fleet *fleetInvoker) lambdainvoke.Invoker {
	switch {
	case fleet != nil:
		fleet.next = next
		next = fleet
	case t.maxConcurrency > 0:
		next = &cappedInvoker{next: next, max: int64(t.maxConcurrency)}
	}
	if t.cacheTTL > 0 {
		next = &cachingInvoker{next: next, ttl: t.cacheTTL, store: cache.New(cache.Options[*lambdainvoke.Result]{
			MaxItems: t.cacheMaxItems, MaxBytes: t.cacheMaxSize, Copy: copyResult, Now: now,
		})}
	}
	return next
}

// cachingInvoker serves an invocation from the cache when its function,
// qualifier and payload were invoked less than ttl ago, and makes
// identical concurrent invocations one.
type cachingInvoker struct {
	next  lambdainvoke.Invoker
	ttl   time.Duration
	store *cache.Store[*lambdainvoke.Result]
}

func (c *cachingInvoker) Invoke(ctx context.Context, in *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	var invoked atomic.Bool
	res, err := c.store.Fetch(ctx, cacheKey(in), func(ctx context.Context) (cache.Loaded[*lambdainvoke.Result], error) {
		invoked.Store(true)
		res, err := c.next.Invoke(ctx, in)
		l := cache.Loaded[*lambdainvoke.Result]{Value: res}
		if err == nil && res.FunctionError == "" {
			// Function errors are shared with the requests waiting, not
			// stored.
			l.TTL = c.ttl
			l.Size = int64(len(res.Payload) + len(res.LogResult) + len(res.ExecutedVersion) + len(res.RequestID) + resultOverhead)
		}
		return l, err
	})
	if !invoked.Load() && res != nil {
		// A hit (or a share of another request's invocation): its log
		// tail was logged with the invocation, once. res is a copy.
		res.LogResult = ""
	}
	return res, err
}

// resultOverhead is what a cached result costs besides its bytes: the
// Result, the entry and their bookkeeping, roughly.
const resultOverhead = 256

// cacheKey hashes what decides an invocation's result: the function, its
// qualifier and the payload's bytes.
func cacheKey(in *lambdainvoke.Invocation) string {
	h := sha256.New()
	h.Write([]byte(in.FunctionName))
	h.Write([]byte{0})
	h.Write([]byte(in.Qualifier))
	h.Write([]byte{0})
	h.Write(in.Payload)
	var sum [sha256.Size]byte
	return string(h.Sum(sum[:0]))
}

// copyResult copies a shared result, so that a stage reading or changing
// one request's reply never touches another's.
func copyResult(r *lambdainvoke.Result) *lambdainvoke.Result {
	if r == nil {
		return nil
	}
	c := *r
	c.Payload = bytes.Clone(r.Payload)
	return &c
}

// errMaxConcurrency is the cause of a call cappedInvoker refuses: no
// invocation was made.
var errMaxConcurrency = errors.New("max_concurrency")

// cappedInvoker lets at most max invocations run at once; one more fails
// at once with 429 and Retry-After: 1 (seconds: invocations usually end
// within one), never waits.
type cappedInvoker struct {
	next     lambdainvoke.Invoker
	max      int64
	inFlight atomic.Int64
}

func (c *cappedInvoker) Invoke(ctx context.Context, in *lambdainvoke.Invocation) (*lambdainvoke.Result, error) {
	if c.inFlight.Add(1) > c.max {
		c.inFlight.Add(-1)
		return nil, &proxy.StatusError{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}, Err: fmt.Errorf("lambda function %q: %d invocations in flight already (%w)", in.FunctionName, c.max, errMaxConcurrency)}
	}
	defer c.inFlight.Add(-1)
	return c.next.Invoke(ctx, in)
}
