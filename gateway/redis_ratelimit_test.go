package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

// redisLimited is a configuration with the pool "rl" to addr and the
// endpoint /a behind qos/ratelimit/router/redis with the options opts.
func redisLimited(addr, opts string) string {
	return `{"version": 3, "host": ["h"],
		"extra_config": {"redis": {"connection_pools": [{"name": "rl", "address": "` + addr + `", "max_retries": 0}]}},
		"endpoints": [{"endpoint": "/a", "extra_config": {"qos/ratelimit/router/redis": {"connection_name": "rl", ` + opts + `}},
		 "backend": [{"url_pattern": "/"}]}]}`
}

// Two gateways built from the same configuration, on the same Redis, share
// the limits: the endpoint's and each client's.
func TestRedisLimitIsSharedByTwoGateways(t *testing.T) {
	srv := redistest.Start(t)
	cfg := redisLimited(srv.Addr(), `"max_rate": 5, "capacity": 5, "client_max_rate": 3, "client_capacity": 3, "every": "1h", "strategy": "ip"`)
	a, b := builtGateway(t, cfg, hello), builtGateway(t, cfg, hello)
	var got []string
	for _, c := range []struct {
		h    string
		peer string
	}{{"a", "192.0.2.1:1"}, {"b", "192.0.2.1:2"}, {"a", "192.0.2.1:3"}, {"b", "192.0.2.1:4"}, {"a", "192.0.2.2:1"}, {"b", "192.0.2.3:1"}, {"a", "192.0.2.4:1"}} {
		h := a
		if c.h == "b" {
			h = b
		}
		w := from(h, c.peer, "/a", nil)
		got = append(got, fmt.Sprintf("%d/%s", w.Code, w.Header().Get("Retry-After")))
	}
	// The client 192.0.2.1's 3 an hour (one back in 20 minutes), then the
	// endpoint's 5 an hour (one back in 12 minutes), across both gateways.
	want := "200/ 200/ 200/ 429/1200 200/ 200/ 503/720"
	if strings.Join(got, " ") != want {
		t.Errorf("statuses %s, want %s", strings.Join(got, " "), want)
	}
}

// Redis stopped: on_failure_allow false (the default) refuses with 503,
// true lets requests through; each answer comes within the check's
// timeout; when Redis is back, limiting resumes.
func TestRedisFailurePolicyAndRecovery(t *testing.T) {
	srv := redistest.Start(t)
	deny := builtGateway(t, redisLimited(srv.Addr(), `"max_rate": 2, "capacity": 2, "every": "1h"`), hello)
	allow := builtGateway(t, redisLimited(srv.Addr(), `"max_rate": 2, "capacity": 2, "every": "1h", "on_failure_allow": true`), hello)
	if w := from(deny, "192.0.2.1:1", "/a", nil); w.Code != 200 {
		t.Fatalf("Redis up: %d", w.Code)
	}
	srv.Stop()
	for _, c := range []struct {
		name string
		h    http.Handler
		want int
	}{{"on_failure_allow false", deny, 503}, {"on_failure_allow true", allow, 200}} {
		h := c.h
		for range 3 {
			start := time.Now()
			w := from(h, "192.0.2.1:1", "/a", nil)
			if took := time.Since(start); took > time.Second {
				t.Errorf("%s: a check took %v with Redis stopped", c.name, took)
			}
			if w.Code != c.want {
				t.Errorf("%s, Redis stopped: %d, want %d", c.name, w.Code, c.want)
			}
		}
	}
	srv.Restart() // empty: the buckets are full again
	var got []int
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if w := from(deny, "192.0.2.1:1", "/a", nil); w.Code == 200 {
			got = append(got, 200)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatal("Redis back: no request went through within 5s")
	}
	for _, want := range []int{200, 503} {
		if w := from(deny, "192.0.2.1:1", "/a", nil); w.Code != want {
			t.Errorf("Redis back: %d, want %d (limiting resumed)", w.Code, want)
		}
	}
}

// A Redis that accepts connections and never answers: each check ends
// within its timeout (250ms), and the failure policy applies.
func TestRedisCheckNeverExceedsItsTimeout(t *testing.T) {
	t.Parallel()
	addr := redistest.BlackHole(t)
	h := builtGateway(t, redisLimited(addr, `"max_rate": 2`), hello)
	for range 3 {
		start := time.Now()
		w := from(h, "192.0.2.1:1", "/a", nil)
		took := time.Since(start)
		if w.Code != 503 {
			t.Errorf("hanging Redis: %d, want 503", w.Code)
		}
		if took > 400*time.Millisecond {
			t.Errorf("hanging Redis: the check took %v, beyond its 250ms timeout", took)
		}
	}
}

func TestRedisOptionsErrors(t *testing.T) {
	t.Parallel()
	const at = `endpoints[0].extra_config["qos/ratelimit/router/redis"]`
	for _, c := range []struct{ cfg, want string }{
		{strings.Replace(redisLimited("127.0.0.1:1", `"max_rate": 1`), `"connection_name": "rl"`, `"connection_name": "nope"`, 1), at + `.connection_name: "nope" is not one of the service's redis.connection_pools ["rl"]`},
		{redisLimited("127.0.0.1:1", `"max_rate": 1, "timeout": "1s"`), at + `.timeout: unknown key`},
		{redisLimited("127.0.0.1:1", `"client_max_rate": 1`), at + `.strategy: client_max_rate needs a strategy`},
		{strings.Replace(redisLimited("127.0.0.1:1", `"max_rate": 1`), `"max_retries": 0`, `"pool_size": -1`, 1), `connection_pools[0].pool_size: must be 0 or more`},
		{strings.Replace(redisLimited("127.0.0.1:1", `"max_rate": 1`), `"max_retries": 0`, `"tls": {"min_version": "TLS10"}`, 1), `connection_pools[0].tls.min_version: "TLS10" is not supported`},
		{strings.Replace(redisLimited("127.0.0.1:1", `"max_rate": 1`), `"connection_pools"`, `"clusters": [{"name": "c", "addresses": ["x:1"]}], "connection_pools"`, 1), `redis.clusters: Redis Cluster is not supported`},
	} {
		cfg, _, err := config.Parse([]byte(c.cfg))
		if err != nil {
			t.Fatal(err)
		}
		g, _, err := New(cfg, Options{Logger: quiet, Kinds: hello})
		if err == nil {
			g.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// A password never appears in an error or a warning.
func TestRedisPasswordIsNeverShown(t *testing.T) {
	t.Parallel()
	cfgJSON := strings.Replace(redisLimited("127.0.0.1:1", `"max_rate": 1, "strategy": "ip"`), `"max_retries": 0`, `"password": "s3cret-pw", "pool_size": -1`, 1)
	cfg, _, err := config.Parse([]byte(cfgJSON))
	if err != nil {
		t.Fatal(err)
	}
	_, warns, err := New(cfg, Options{Logger: quiet, Kinds: hello})
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(strings.Join(warns, "\n"), "s3cret") {
		t.Errorf("error %v, warnings %q: want an error without the password", err, warns)
	}
}
