// Package httpcache is the qos/http-cache namespace of HTTP backends (and
// its legacy name github.com/devopsfaith/krakend-httpcache): a cache of
// backend replies that follows what the backend's Cache-Control, Expires,
// Age, Date and Vary headers allow a shared cache (RFC 9111, formerly
// 7234), kept in a qos/cache Store (bounded by entries and bytes, identical
// concurrent calls coalesced, every hit a copy).
//
// The HTTP kind reads the options (Parse), owns the stores (one per
// backend, or the gateway's one shared store) and wraps its send in a
// Layer. This package must not know the HTTP kind nor build requests.
package httpcache

import (
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/qos/cache"
)

// Namespace and LegacyNamespace are the extra_config keys of Options.
const (
	Namespace       = "qos/http-cache"
	LegacyNamespace = "github.com/devopsfaith/krakend-httpcache"
)

// The bounds of a store whose options set none. KrakenD's cache is then
// unbounded; lambdagate's never is.
const (
	DefaultMaxItems = 1024
	DefaultMaxSize  = 16 << 20
	// MinMaxSize is the least max_size KrakenD's schema accepts.
	MinMaxSize = 1024
)

// Options is the namespace as written.
type Options struct {
	// Shared puts the backend's replies in the gateway's one shared store,
	// with every other backend that sets it, instead of a store of its own.
	Shared bool `json:"shared"`
	// MaxItems bounds the store by entries; set with MaxSize, or neither.
	MaxItems int `json:"max_items"`
	// MaxSize bounds the store by bytes; set with MaxItems, or neither.
	MaxSize int64 `json:"max_size"`
	// ConnectionName is lambdagate's (no KrakenD schema of the namespace
	// has it): the replies are shared through the service's Redis pool of
	// that name, by every gateway using it.
	ConnectionName *string `json:"connection_name"`
}

// Settings are the options checked, the bounds resolved.
type Settings struct {
	Shared   bool
	MaxItems int
	MaxSize  int64
	// Explicit says the options set the bounds (else they are the defaults).
	Explicit bool
	// Path is the namespace's JSON path.
	Path string
	// ConnectionName names the Redis pool the replies are shared through
	// ("": none).
	ConnectionName string
}

// Parse reads the backend's namespace (or its legacy name). It returns nil
// when neither is set. Problems are config.Errors at their JSON paths.
func Parse(b *config.Backend) (*Settings, error) {
	var o Options
	name, err := b.ExtraConfig.DecodeWithLegacy(Namespace, LegacyNamespace, &o)
	if name == "" {
		return nil, nil
	}
	path := config.Join(b.ExtraConfig.Path, name)
	if err != nil {
		return nil, err
	}
	var errs config.Errors
	at := func(key string) string { return config.Join(path, key) }
	s := &Settings{Shared: o.Shared, MaxItems: DefaultMaxItems, MaxSize: DefaultMaxSize, Path: path}
	if o.ConnectionName != nil {
		if s.ConnectionName = *o.ConnectionName; s.ConnectionName == "" {
			errs.Add(at("connection_name"), "names no pool: write the name of one of the service's redis.connection_pools, or remove it to cache in this gateway's memory only")
		}
	}
	switch {
	case o.MaxItems == 0 && o.MaxSize == 0:
	case o.MaxItems == 0:
		errs.Add(at("max_size"), "needs max_items: set both bounds, or neither (defaults %d items, %d bytes)", DefaultMaxItems, DefaultMaxSize)
	case o.MaxSize == 0:
		errs.Add(at("max_items"), "needs max_size: set both bounds, or neither (defaults %d items, %d bytes)", DefaultMaxItems, DefaultMaxSize)
	default:
		if o.MaxItems < 1 {
			errs.Add(at("max_items"), "must be at least 1, got %d", o.MaxItems)
		}
		if o.MaxSize < MinMaxSize {
			errs.Add(at("max_size"), "must be at least %d (bytes), got %d", MinMaxSize, o.MaxSize)
		}
		s.MaxItems, s.MaxSize, s.Explicit = o.MaxItems, o.MaxSize, true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// Store holds cached replies.
type Store = cache.Store[*Entry]

// NewStore returns an empty store bounded by s. now is its clock (nil:
// time.Now).
func NewStore(s *Settings, now func() time.Time) *Store {
	return cache.New(cache.Options[*Entry]{MaxItems: s.MaxItems, MaxBytes: s.MaxSize, Copy: (*Entry).copy, Now: now})
}
