package redispool

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

func parse(t *testing.T, pools string) *config.Service {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "extra_config": {"redis": {"connection_pools": ` + pools + `}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPasswordEnv(t *testing.T) {
	if got := PasswordEnv("ratelimit-counters.eu"); got != "LAMBDAGATE_REDIS_PASSWORD_RATELIMIT_COUNTERS_EU" {
		t.Errorf("PasswordEnv: %q", got)
	}
}

func TestPoolsDefaultsAndPasswordFromTheEnvironment(t *testing.T) {
	t.Setenv("LAMBDAGATE_REDIS_PASSWORD_RL", "from-env")
	s := parse(t, `[{"name": "rl", "address": "127.0.0.1:1"}, {"name": "other", "address": "127.0.0.1:2", "password": "in-file", "pool_size": 3, "db": 2}]`)
	p, warns, err := New(&s.ExtraConfig)
	if err != nil || len(warns) != 0 {
		t.Fatalf("error %v, warnings %q", err, warns)
	}
	defer p.Close()
	if got := strings.Join(p.Names(), ","); got != "other,rl" {
		t.Errorf("names %q", got)
	}
	rl, _ := p.Get("rl")
	o := rl.Options()
	if o.Password != "from-env" || o.PoolSize != DefaultPoolSize || o.DialTimeout != DefaultDialTimeout || o.MaxRetries != DefaultMaxRetries || o.ConnMaxIdleTime != DefaultConnMaxIdleTime {
		t.Errorf("rl: password from env %v, options %+v", o.Password == "from-env", o)
	}
	other, _ := p.Get("other")
	if o := other.Options(); o.Password != "in-file" || o.PoolSize != 3 || o.DB != 2 {
		t.Errorf("other: %+v", o)
	}
}

func TestPoolErrorsNeverShowThePassword(t *testing.T) {
	for _, c := range []struct{ pools, want string }{
		{`[{"address": "x:1", "password": "pw-secret"}]`, `connection_pools[0].name: a pool needs a name`},
		{`[{"name": "a", "password": "pw-secret"}]`, `connection_pools[0].address: a pool needs the address`},
		{`[{"name": "a", "address": "x:1"}, {"name": "a", "address": "x:2"}]`, `connection_pools[1].name: "a" names another pool too`},
		{`[{"name": "a", "address": "x:1", "dial_timeout": "soon", "password": "pw-secret"}]`, `connection_pools[0].dial_timeout: "soon" is not a duration`},
		{`[{"name": "a", "address": "x:1", "max_retries": -2}]`, `connection_pools[0].max_retries: must be -1`},
		{`[{"name": "a", "address": "x:1", "tls": {"cipher_suites": [4865]}}]`, `connection_pools[0].tls.cipher_suites: is not supported`},
		{`[{"name": "a", "address": "x:1", "sentinel": true}]`, `connection_pools[0].sentinel: unknown key`},
		{`[{"name": "a", "address": "unix://redis.sock"}]`, `connection_pools[0].address: "unix://redis.sock" names no absolute socket path`},
	} {
		s := parse(t, c.pools)
		_, _, err := New(&s.ExtraConfig)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "pw-secret") {
			t.Errorf("%s: error %v, want %q and no password", c.pools, err, c.want)
		}
	}
}

// An address unix:///path is the Unix socket at path; host:port is TCP.
func TestUnixSocketAddress(t *testing.T) {
	srv := redistest.Start(t)
	s := parse(t, `[{"name": "unix", "address": "unix://`+srv.Socket()+`"}, {"name": "tcp", "address": "`+srv.Addr()+`"}]`)
	p, _, err := New(&s.ExtraConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for name, network := range map[string]string{"unix": "unix", "tcp": "tcp"} {
		c, _ := p.Get(name)
		if o := c.Options(); o.Network != network {
			t.Errorf("%s: network %q, want %q", name, o.Network, network)
		}
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Errorf("%s: PING: %v", name, err)
		}
	}
}
