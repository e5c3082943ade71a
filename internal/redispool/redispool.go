// Package redispool is the service's "redis" namespace, KrakenD
// Enterprise's names: named connection_pools that other namespaces (the
// Redis-backed rate limits) reference by name. The pools are built once per
// gateway, when it is built, and closed with it.
//
// A pool's password is never logged nor put in an error: when the file
// leaves it out, it is read from the environment variable
// LAMBDAGATE_REDIS_PASSWORD_<NAME> (see PasswordEnv).
package redispool

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redisbatch"
)

// Namespace is the service-level namespace of the pools.
const Namespace = "redis"

// Options is the "redis" namespace.
type Options struct {
	// ConnectionPools are the named pools, each to one Redis server.
	ConnectionPools []json.RawMessage `json:"connection_pools"`
	// Clusters (Redis Cluster) are refused: lambdagate speaks to single
	// servers only.
	Clusters json.RawMessage `json:"clusters"`
}

// PoolOptions is one of connection_pools, KrakenD's names.
type PoolOptions struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	DB         int    `json:"db"`
	UserName   string `json:"user_name"`
	Password   string `json:"password"`
	ClientName string `json:"client_name"`

	DialTimeout     string `json:"dial_timeout"`
	PoolTimeout     string `json:"pool_timeout"`
	PoolSize        int    `json:"pool_size"`
	MinIdleConns    int    `json:"min_idle_conns"`
	MaxIdleConns    int    `json:"max_idle_conns"`
	MaxActiveConns  int    `json:"max_active_conns"`
	ConnMaxIdleTime string `json:"conn_max_idle_time"`
	ConnMaxLifeTime string `json:"conn_max_life_time"`
	MaxRetries      *int   `json:"max_retries"`
	MinRetryBackoff string `json:"min_retry_backoff"`
	MaxRetryBackoff string `json:"max_retry_backoff"`

	TLS *TLSOptions `json:"tls"`
	// OpenTelemetry (per-pool Redis metrics and traces) is accepted with a
	// warning: lambdagate reports the checks, not the pool's commands.
	OpenTelemetry json.RawMessage `json:"opentelemetry"`
}

// TLSOptions is a pool's client TLS, KrakenD's client_tls names.
type TLSOptions struct {
	AllowInsecureConnections bool          `json:"allow_insecure_connections"`
	CACerts                  []string      `json:"ca_certs"`
	DisableSystemCAPool      bool          `json:"disable_system_ca_pool"`
	MinVersion               string        `json:"min_version"`
	MaxVersion               string        `json:"max_version"`
	ClientCerts              []ClientCert  `json:"client_certs"`
	CipherSuites             []json.Number `json:"cipher_suites"`
	CurvePreferences         []json.Number `json:"curve_preferences"`
}

// ClientCert is a certificate the pool presents (mTLS).
type ClientCert struct {
	Certificate string `json:"certificate"`
	PrivateKey  string `json:"private_key"`
}

// UnixPrefix starts an address that is a Unix socket's path
// ("unix:///run/redis/redis.sock"), lambdagate's: KrakenD's address is
// host:port. On the same host, a socket spares the gateway the TCP
// loopback's cost per write.
const UnixPrefix = "unix://"

// Defaults, KrakenD's.
const (
	DefaultDialTimeout     = 5 * time.Second
	DefaultPoolSize        = 10
	DefaultConnMaxIdleTime = 30 * time.Minute
	DefaultMaxRetries      = 3
	DefaultMinRetryBackoff = 8 * time.Millisecond
	DefaultMaxRetryBackoff = 512 * time.Millisecond
)

// PasswordEnv is the environment variable a pool's password is read from
// when the file gives none: LAMBDAGATE_REDIS_PASSWORD_ and the pool's name
// in capitals, each character other than a letter or a digit written "_"
// (the pool "ratelimit-counters": LAMBDAGATE_REDIS_PASSWORD_RATELIMIT_COUNTERS).
func PasswordEnv(name string) string {
	var b strings.Builder
	b.WriteString("LAMBDAGATE_REDIS_PASSWORD_")
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Pools are the service's named Redis clients, each with the Batcher that
// pipelines the concurrent script runs (the rate limits' checks) on it.
type Pools struct {
	clients  map[string]*redis.Client
	batchers map[string]*redisbatch.Batcher
}

// New builds the pools of the service's "redis" namespace; nil when there
// is none. No connection is made here: a pool connects on its first
// command (or at once for its min_idle_conns). It returns start-up
// warnings, and problems as config errors at their JSON paths.
func New(x *config.ExtraConfig) (*Pools, []string, error) {
	var o Options
	ok, err := x.Decode(Namespace, &o)
	if !ok || err != nil {
		return nil, nil, err
	}
	path := config.Join(x.Path, Namespace)
	var errs config.Errors
	var warns []string
	if o.Clusters != nil && string(o.Clusters) != "null" && string(o.Clusters) != "[]" {
		errs.Add(config.Join(path, "clusters"), "Redis Cluster is not supported: lambdagate speaks to single Redis servers; define them in connection_pools")
	}
	p := &Pools{clients: map[string]*redis.Client{}, batchers: map[string]*redisbatch.Batcher{}}
	for i, raw := range o.ConnectionPools {
		at := config.Index(config.Join(path, "connection_pools"), i)
		var po PoolOptions
		if err := config.DecodeNamespace(at, raw, &po); err != nil {
			errs.Append("", err)
			continue
		}
		ro, w := po.redisOptions(at, &errs)
		warns = append(warns, w...)
		if ro == nil {
			continue
		}
		if _, dup := p.clients[po.Name]; dup {
			errs.Add(config.Join(at, "name"), "%q names another pool too: pool names must be unique", po.Name)
			continue
		}
		c := redis.NewClient(ro)
		p.clients[po.Name] = c
		p.batchers[po.Name] = redisbatch.New(c, 0)
	}
	if len(errs) > 0 {
		p.Close()
		return nil, warns, errs
	}
	return p, warns, nil
}

// redisOptions checks po and returns the client's options (nil when po
// has errors, added to errs).
func (po *PoolOptions) redisOptions(at string, errs *config.Errors) (*redis.Options, []string) {
	n := len(*errs)
	var warns []string
	if po.Name == "" {
		errs.Add(config.Join(at, "name"), "a pool needs a name, which rate limits reference as connection_name")
	}
	if po.Address == "" {
		errs.Add(config.Join(at, "address"), "a pool needs the address of its Redis server, host:port (or unix:// and a socket's path)")
	}
	for key, v := range map[string]int{"db": po.DB, "pool_size": po.PoolSize, "min_idle_conns": po.MinIdleConns, "max_idle_conns": po.MaxIdleConns, "max_active_conns": po.MaxActiveConns} {
		if v < 0 {
			errs.Add(config.Join(at, key), "must be 0 or more, got %d", v)
		}
	}
	dur := func(key, s string, def time.Duration) time.Duration {
		if s == "" {
			return def
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			errs.Add(config.Join(at, key), "%q is not a duration of 0 or more: write a number with a unit, such as \"500ms\" or \"5s\"", s)
			return def
		}
		return d
	}
	network, addr := "tcp", po.Address
	if path, ok := strings.CutPrefix(po.Address, UnixPrefix); ok {
		network, addr = "unix", path
		if !strings.HasPrefix(path, "/") {
			errs.Add(config.Join(at, "address"), "%q names no absolute socket path: write unix:// and the path, such as \"unix:///run/redis/redis.sock\"", po.Address)
		}
	}
	ro := &redis.Options{
		Network:    network,
		Addr:       addr,
		DB:         po.DB,
		Username:   po.UserName,
		Password:   po.Password,
		ClientName: po.ClientName,
		// RESP2, no CLIENT SETINFO: a connection's set-up is AUTH and
		// SELECT only, as with any Redis server.
		Protocol:        2,
		DisableIdentity: true,
		// Each command's context bounds its dial, wait for a connection,
		// write and read: a check's timeout is the caller's.
		ContextTimeoutEnabled: true,
		DialTimeout:           dur("dial_timeout", po.DialTimeout, DefaultDialTimeout),
		PoolTimeout:           dur("pool_timeout", po.PoolTimeout, 0),
		PoolSize:              po.PoolSize,
		MinIdleConns:          po.MinIdleConns,
		MaxIdleConns:          po.MaxIdleConns,
		MaxActiveConns:        po.MaxActiveConns,
		ConnMaxIdleTime:       dur("conn_max_idle_time", po.ConnMaxIdleTime, DefaultConnMaxIdleTime),
		ConnMaxLifetime:       dur("conn_max_life_time", po.ConnMaxLifeTime, 0),
		MaxRetries:            DefaultMaxRetries,
		MinRetryBackoff:       dur("min_retry_backoff", po.MinRetryBackoff, DefaultMinRetryBackoff),
		MaxRetryBackoff:       dur("max_retry_backoff", po.MaxRetryBackoff, DefaultMaxRetryBackoff),
	}
	if ro.PoolSize == 0 {
		ro.PoolSize = DefaultPoolSize
	}
	if po.MaxRetries != nil {
		ro.MaxRetries = *po.MaxRetries
		if ro.MaxRetries < -1 {
			errs.Add(config.Join(at, "max_retries"), "must be -1 (no retry) or more, got %d", ro.MaxRetries)
		}
	}
	if ro.Password == "" && po.Name != "" {
		ro.Password = os.Getenv(PasswordEnv(po.Name))
	}
	if po.TLS != nil {
		ro.TLSConfig = po.TLS.config(config.Join(at, "tls"), po.Address, errs)
	}
	if po.OpenTelemetry != nil {
		warns = append(warns, config.Join(at, "opentelemetry")+": accepted and ignored: lambdagate has no per-pool Redis metrics or traces (the rate limits count their checks)")
	}
	if len(*errs) > n {
		return nil, warns
	}
	return ro, warns
}

var tlsVersions = map[string]uint16{"TLS12": tls.VersionTLS12, "TLS13": tls.VersionTLS13}

func (t *TLSOptions) config(at, address string, errs *config.Errors) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13, InsecureSkipVerify: t.AllowInsecureConnections} //nolint:gosec // the user's explicit choice, documented
	if host, _, ok := strings.Cut(address, ":"); ok && !strings.HasPrefix(address, UnixPrefix) {
		c.ServerName = host
	}
	version := func(key, s string, dst *uint16) {
		if s == "" {
			return
		}
		v, ok := tlsVersions[s]
		if !ok {
			errs.Add(config.Join(at, key), "%q is not supported: use \"TLS12\" or \"TLS13\" (older versions are insecure)", s)
			return
		}
		*dst = v
	}
	version("min_version", t.MinVersion, &c.MinVersion)
	version("max_version", t.MaxVersion, &c.MaxVersion)
	if c.MinVersion > c.MaxVersion {
		errs.Add(config.Join(at, "max_version"), "is below min_version")
	}
	if len(t.CipherSuites) > 0 {
		errs.Add(config.Join(at, "cipher_suites"), "is not supported: Go's TLS chooses the cipher suites")
	}
	if len(t.CurvePreferences) > 0 {
		errs.Add(config.Join(at, "curve_preferences"), "is not supported: Go's TLS chooses the curves")
	}
	if len(t.CACerts) > 0 || t.DisableSystemCAPool {
		pool := x509.NewCertPool()
		if !t.DisableSystemCAPool {
			if sys, err := x509.SystemCertPool(); err == nil {
				pool = sys
			}
		}
		for i, f := range t.CACerts {
			pem, err := os.ReadFile(f)
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				errs.Add(config.Index(config.Join(at, "ca_certs"), i), "%q is not a readable PEM file of certificates", f)
			}
		}
		c.RootCAs = pool
	}
	for i, cc := range t.ClientCerts {
		cert, err := tls.LoadX509KeyPair(cc.Certificate, cc.PrivateKey)
		if err != nil {
			errs.Add(config.Index(config.Join(at, "client_certs"), i), "the certificate %q and key %q do not load: %v", cc.Certificate, cc.PrivateKey, err)
			continue
		}
		c.Certificates = append(c.Certificates, cert)
	}
	return c
}

// Get returns the pool named name.
func (p *Pools) Get(name string) (*redis.Client, bool) {
	if p == nil {
		return nil, false
	}
	c, ok := p.clients[name]
	return c, ok
}

// Batcher returns the Batcher of the pool named name: the rate limits of
// every endpoint and of the service on that pool share it, so their
// concurrent checks go out together.
func (p *Pools) Batcher(name string) (*redisbatch.Batcher, bool) {
	if p == nil {
		return nil, false
	}
	b, ok := p.batchers[name]
	return b, ok
}

// Names lists the pools' names, sorted.
func (p *Pools) Names() []string {
	if p == nil {
		return nil
	}
	names := make([]string, 0, len(p.clients))
	for n := range p.clients {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Close waits for the batches in flight, then closes every pool's
// connections.
func (p *Pools) Close() {
	if p == nil {
		return
	}
	for _, b := range p.batchers {
		b.Close()
	}
	for _, c := range p.clients {
		c.Close()
	}
}
