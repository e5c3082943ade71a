package httpcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/lambdagate/lambdagate/telemetry"
)

// RedisTimeout bounds each read or write of the Redis-shared cache; past
// it, the layer goes on as if Redis had no entry (a read) or drops the
// write.
const RedisTimeout = 250 * time.Millisecond

// redisKeyPrefix starts the Redis keys of shared replies; the rest is the
// SHA-256 of the layer's key (which holds the method, hosts, URL and the
// Vary'd headers' values).
const redisKeyPrefix = "lambdagate:httpcache:"

// The metrics of the Redis-shared cache, by AttrConnection and the
// backend's JSON path (telemetry.AttrBackendName); errors by
// AttrOperation too. Hits and misses count the Redis reads, made on a
// miss of the gateway's memory only.
const (
	// MetricRedisHits counts the replies read from Redis: another
	// gateway's (or an earlier) reply served without a backend call.
	MetricRedisHits = "lambdagate.httpcache.redis.hits"
	// MetricRedisMisses counts the Redis reads that found no fresh reply
	// made for the request's Vary'd headers (a failed read included): the
	// backend is called.
	MetricRedisMisses = "lambdagate.httpcache.redis.misses"
	// MetricRedisErrors counts the reads and writes Redis failed or did
	// not answer within RedisTimeout, and entries that did not decode.
	MetricRedisErrors = "lambdagate.httpcache.redis.errors"
)

// Attribute keys of the Redis-shared cache's metrics.
const (
	// AttrConnection is the pool's name (connection_name).
	AttrConnection = "connection"
	// AttrOperation is what failed: get (a read) or set (a write).
	AttrOperation = "operation"
)

// shared is the Redis side of a layer.
type shared struct {
	client                 *redis.Client
	hits, misses, errs     metric.Int64Counter
	attrs, getErr, setErrs metric.MeasurementOption
}

// ShareThrough makes the layer share its stored replies through the Redis
// client c, the pool connection: a reply this gateway stores is written
// there too, for as long as it is fresh, and a local miss reads there
// before calling the backend. The local store stays in front (hits,
// coalescing). m records the metrics (nil: none), by connection and the
// backend's JSON path.
func (l *Layer) ShareThrough(c *redis.Client, connection, backendName string, m metric.Meter) error {
	if m == nil {
		m = metricnoop.NewMeterProvider().Meter(telemetry.ScopeName)
	}
	s := &shared{client: c}
	var err, e error
	s.hits, e = m.Int64Counter(MetricRedisHits, metric.WithUnit("{reply}"),
		metric.WithDescription("Replies of qos/http-cache read from Redis on a miss of the gateway's memory: no backend call."))
	err = errors.Join(err, e)
	s.misses, e = m.Int64Counter(MetricRedisMisses, metric.WithUnit("{lookup}"),
		metric.WithDescription("Reads of qos/http-cache's Redis that found no fresh reply for the request (failed reads included): the backend is called."))
	err = errors.Join(err, e)
	s.errs, e = m.Int64Counter(MetricRedisErrors, metric.WithUnit("{error}"),
		metric.WithDescription("Reads (get) and writes (set) of qos/http-cache's Redis that failed or took longer than 250ms, and entries that did not decode."))
	if err = errors.Join(err, e); err != nil {
		return err
	}
	base := []attribute.KeyValue{attribute.String(AttrConnection, connection), attribute.String(telemetry.AttrBackendName, backendName)}
	s.attrs = metric.WithAttributeSet(attribute.NewSet(base...))
	s.getErr = metric.WithAttributeSet(attribute.NewSet(append(base[:2:2], attribute.String(AttrOperation, "get"))...))
	s.setErrs = metric.WithAttributeSet(attribute.NewSet(append(base[:2:2], attribute.String(AttrOperation, "set"))...))
	l.redis = s
	return nil
}

// sharedEntry is an Entry as written to Redis.
type sharedEntry struct {
	Status  int         `json:"s"`
	Header  http.Header `json:"h,omitempty"`
	Body    []byte      `json:"b"`
	Vary    []string    `json:"v,omitempty"`
	Values  []string    `json:"vv,omitempty"`
	Expires int64       `json:"x"` // Unix ms, on the layer's clock
}

func redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return redisKeyPrefix + hex.EncodeToString(sum[:])
}

// fromRedis returns key's shared entry, its size and time to live, when
// Redis holds a fresh one; any failure is a miss (counted as an error
// too).
func (l *Layer) fromRedis(ctx context.Context, key string) (*Entry, int64, time.Duration, bool) {
	rctx, cancel := context.WithTimeout(ctx, RedisTimeout)
	defer cancel()
	b, err := l.redis.client.Get(rctx, redisKey(key)).Bytes()
	if err != nil {
		if err != redis.Nil {
			l.redis.errs.Add(ctx, 1, l.redis.getErr)
		}
		return nil, 0, 0, false
	}
	var se sharedEntry
	if json.Unmarshal(b, &se) != nil || len(se.Vary) != len(se.Values) {
		l.redis.errs.Add(ctx, 1, l.redis.getErr)
		return nil, 0, 0, false
	}
	ttl := time.UnixMilli(se.Expires).Sub(l.now())
	if ttl <= 0 {
		return nil, 0, 0, false
	}
	e := &Entry{status: se.Status, body: se.Body, vary: se.Vary, values: se.Values}
	if l.keepHeaders {
		e.header = se.Header
	}
	return e, int64(entryOverhead + len(b)), ttl, true
}

// toRedis writes a stored entry under key for ttl; a failure only means
// other gateways do not see it.
func (l *Layer) toRedis(ctx context.Context, key string, e *Entry, ttl time.Duration) {
	b, err := json.Marshal(sharedEntry{Status: e.status, Header: e.header, Body: e.body, Vary: e.vary, Values: e.values,
		Expires: l.now().Add(ttl).UnixMilli()})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RedisTimeout)
	defer cancel()
	if l.redis.client.Set(ctx, redisKey(key), b, ttl).Err() != nil {
		l.redis.errs.Add(ctx, 1, l.redis.setErrs)
	}
}
