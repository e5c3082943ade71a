package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/redistest"
)

// redisServiceLimited is a configuration with the pool "rl" to addr, the
// endpoints /a and /b, and the service behind qos/ratelimit/service/redis
// with the options opts.
func redisServiceLimited(addr, opts string) string {
	return `{"version": 3, "host": ["h"],
		"extra_config": {"redis": {"connection_pools": [{"name": "rl", "address": "` + addr + `", "max_retries": 0}]},
		 "qos/ratelimit/service/redis": {"connection_name": "rl", ` + opts + `}},
		"endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}, {"endpoint": "/b", "backend": [{"url_pattern": "/"}]}]}`
}

// Two gateways on the same Redis share the service's limits, across
// endpoints: the service's and each client's.
func TestRedisServiceLimitIsSharedByTwoGateways(t *testing.T) {
	srv := redistest.Start(t)
	cfg := redisServiceLimited(srv.Addr(), `"max_rate": 4, "capacity": 4, "client_max_rate": 2, "client_capacity": 2, "every": "1h", "strategy": "header", "key": "X-Key"`)
	a, b := builtGateway(t, cfg, hello), builtGateway(t, cfg, hello)
	var got []string
	for _, c := range []struct{ gw, path, key string }{
		{"a", "/a", "k1"}, {"b", "/b", "k1"}, {"a", "/b", "k1"}, // k1's 2 an hour
		{"b", "/a", "k2"}, {"a", "/nowhere", "k3"}, // the service's 4th token; a 404 takes one too
		{"b", "/a", "k4"}, // the service's 4 an hour
		{"a", "/a", ""},   // no key: 429 at once
	} {
		h := a
		if c.gw == "b" {
			h = b
		}
		w := from(h, "192.0.2.1:1", c.path, map[string][]string{"X-Key": {c.key}})
		got = append(got, fmt.Sprintf("%d/%s", w.Code, w.Header().Get("Retry-After")))
	}
	want := "200/ 200/ 429/1800 200/ 404/ 503/900 429/"
	if strings.Join(got, " ") != want {
		t.Errorf("statuses %s, want %s", strings.Join(got, " "), want)
	}
}

// Redis stopped: the service's limit refuses (503), lets through
// (on_failure_allow), or counts in memory (on_failure_local); each answer
// comes within the check's timeout.
func TestRedisServiceFailurePolicies(t *testing.T) {
	srv := redistest.Start(t)
	const limit = `"max_rate": 2, "capacity": 2, "every": "1h"`
	gws := []struct {
		name string
		opts string
		want string
	}{
		{"refuse", limit, "503 503 503"},
		{"on_failure_allow", limit + `, "on_failure_allow": true`, "200 200 200"},
		{"on_failure_local", limit + `, "on_failure_local": true`, "200 200 503"},
	}
	for i := range gws {
		h := builtGateway(t, redisServiceLimited(srv.Addr(), gws[i].opts), hello)
		if i == 0 {
			// Redis up: one token of the shared bucket taken.
			if w := from(h, "192.0.2.1:1", "/a", nil); w.Code != 200 {
				t.Fatalf("Redis up: %d", w.Code)
			}
			srv.Stop()
		}
		var got []string
		for range 3 {
			start := time.Now()
			w := from(h, "192.0.2.1:1", "/a", nil)
			if took := time.Since(start); took > time.Second {
				t.Errorf("%s: a check took %v with Redis stopped", gws[i].name, took)
			}
			got = append(got, fmt.Sprint(w.Code))
		}
		if strings.Join(got, " ") != gws[i].want {
			t.Errorf("%s, Redis stopped: %s, want %s", gws[i].name, strings.Join(got, " "), gws[i].want)
		}
	}
}

// With the node-local fallback, an endpoint's Redis limit counts in memory
// while Redis is stopped, and in Redis again when it is back.
func TestRedisEndpointFallsBackToLocal(t *testing.T) {
	srv := redistest.Start(t)
	h := builtGateway(t, redisLimited(srv.Addr(), `"client_max_rate": 1, "every": "1h", "strategy": "ip", "on_failure_local": true`), hello)
	srv.Stop()
	var got []string
	for _, peer := range []string{"192.0.2.1:1", "192.0.2.1:2", "192.0.2.2:1"} {
		got = append(got, fmt.Sprint(from(h, peer, "/a", nil).Code))
	}
	if want := "200 429 200"; strings.Join(got, " ") != want {
		t.Errorf("Redis stopped: %s, want %s (the client limit in memory)", strings.Join(got, " "), want)
	}
	srv.Restart() // empty: 192.0.2.1's bucket in Redis is full
	deadline := time.Now().Add(5 * time.Second)
	for from(h, "192.0.2.3:1", "/a", nil).Code != 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if c := from(h, "192.0.2.1:1", "/a", nil).Code; c != 200 {
		t.Errorf("Redis back: 192.0.2.1 got %d, want 200 (Redis's bucket, not the memory's)", c)
	}
}

func TestRedisServiceOptionsErrors(t *testing.T) {
	t.Parallel()
	const at = `extra_config["qos/ratelimit/service/redis"]`
	for _, c := range []struct{ cfg, want string }{
		{redisServiceLimited("127.0.0.1:1", `"max_rate": 1, "on_failure_allow": true, "on_failure_local": true`), at + `.on_failure_local: and on_failure_allow both say`},
		{redisServiceLimited("127.0.0.1:1", `"client_max_rate": 1, "strategy": "param", "key": "id"`), at + `.strategy: the param strategy names the client by an endpoint's path param`},
		{strings.Replace(redisServiceLimited("127.0.0.1:1", `"max_rate": 1`), `"connection_name": "rl"`, `"connection_name": "nope"`, 1), at + `.connection_name: "nope" is not one of the service's redis.connection_pools ["rl"]`},
		{redisServiceLimited("127.0.0.1:1", `"max_rate": 1, "timeout": "1s"`), at + `.timeout: unknown key`},
		{redisLimited("127.0.0.1:1", `"max_rate": 1, "on_failure_allow": true, "on_failure_local": true`), `endpoints[0].extra_config["qos/ratelimit/router/redis"].on_failure_local: and on_failure_allow both say`},
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
