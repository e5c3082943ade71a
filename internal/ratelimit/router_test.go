package ratelimit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/clientip"
	"github.com/lambdagate/lambdagate/internal/router"
)

// parseEndpoint returns the endpoint path of a file whose only endpoint
// has extra (its extra_config).
func parseEndpoint(t testing.TB, path, extra string) *config.Endpoint {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "` + path + `",
		"extra_config": ` + extra + `, "backend": [{"url_pattern": "/x"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s.Endpoints[0]
}

// limited is an endpoint's handler behind its rate-limit layer, on a fake
// clock.
type limited struct {
	t     *testing.T
	h     router.Handler
	clock *fakeClock
	warns []string
	// served counts the requests that reached the endpoint.
	served int
}

func newLimited(t *testing.T, path, extra string, ips *clientip.Resolver) *limited {
	t.Helper()
	lt := &limited{t: t, clock: newClock()}
	l, warns, err := NewEndpoint(parseEndpoint(t, path, extra), Deps{ClientIP: ips, Now: lt.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if l == nil {
		t.Fatal("no layer")
	}
	t.Cleanup(l.Close)
	lt.warns = warns
	lt.h = l.Wrap(func(w http.ResponseWriter, _ *http.Request, _ []string) {
		lt.served++
		w.WriteHeader(http.StatusOK)
	})
	return lt
}

// reply is a status and its Retry-After ("" when absent).
type reply struct {
	status int
	retry  string
}

func (r reply) String() string { return fmt.Sprintf("%d (Retry-After %q)", r.status, r.retry) }

// get serves a GET from peer with header lines and path params.
func (lt *limited) get(peer string, header http.Header, params ...string) reply {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = peer
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	lt.h(w, r, params)
	if w.Code != http.StatusOK && w.Body.Len() != 0 {
		lt.t.Errorf("a refusal has a body: %q", w.Body)
	}
	return reply{w.Code, w.Header().Get("Retry-After")}
}

// expect checks the replies of gets, in order.
func (lt *limited) expect(get func() reply, want ...reply) {
	lt.t.Helper()
	for i, w := range want {
		if got := get(); got != w {
			lt.t.Errorf("request %d: %v, want %v", i+1, got, w)
		}
	}
}

var (
	ok          = reply{status: 200}
	client1s    = reply{429, "1"}
	endpoint1s  = reply{503, "1"}
	peerA       = "198.51.100.1:4711"
	peerB       = "198.51.100.2:4711"
	fromA       = func(lt *limited) func() reply { return func() reply { return lt.get(peerA, nil) } }
	fromB       = func(lt *limited) func() reply { return func() reply { return lt.get(peerB, nil) } }
	noForwarded = (*clientip.Resolver)(nil)
)

func TestEndpointLimitAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"max_rate": 2}}`, noForwarded)
	// All clients share the endpoint's bucket of 2 (the default capacity).
	lt.expect(fromA(lt), ok)
	lt.expect(fromB(lt), ok, endpoint1s)
	lt.expect(fromA(lt), endpoint1s)
	lt.clock.advance(500 * time.Millisecond) // one token back, at 2 a second
	lt.expect(fromA(lt), ok, endpoint1s)
	if lt.served != 3 {
		t.Errorf("the endpoint served %d requests, want 3", lt.served)
	}
}

func TestClientLimitAnswers429WithRetryAfter(t *testing.T) {
	t.Parallel()
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "ip"}}`, noForwarded)
	lt.expect(fromA(lt), ok, client1s, client1s)
	lt.expect(fromB(lt), ok, client1s) // a client of its own
	lt.clock.advance(time.Second)
	lt.expect(fromA(lt), ok, client1s)
}

// The client's limit is checked first, as in KrakenD: a request its client
// may not make takes no token from the endpoint's bucket.
func TestClientLimitIsCheckedBeforeTheEndpoints(t *testing.T) {
	t.Parallel()
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"max_rate": 2, "client_max_rate": 1, "strategy": "ip"}}`, noForwarded)
	lt.expect(fromA(lt), ok, client1s, client1s, client1s)
	lt.expect(fromB(lt), ok) // the endpoint's second token: A's refusals took none
	lt.expect(func() reply { return lt.get("198.51.100.3:1", nil) }, endpoint1s)
}

func TestCapacityIsTheBurst(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, ns string
		get      func(*limited) func() reply
		refusal  reply
	}{
		{"capacity", `{"max_rate": 1, "capacity": 3}`, fromA, endpoint1s},
		{"client_capacity", `{"client_max_rate": 1, "client_capacity": 3, "strategy": "ip"}`, fromA, client1s},
		{"capacity defaults to the rate a second", `{"max_rate": 3}`, fromA, endpoint1s},
		{"client_capacity defaults to the client rate a second", `{"client_max_rate": 3, "strategy": "ip"}`, fromA, reply{429, "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			lt := newLimited(t, "/a", `{"qos/ratelimit/router": `+c.ns+`}`, noForwarded)
			lt.expect(c.get(lt), ok, ok, ok, c.refusal)
			lt.clock.advance(time.Hour) // never more than the capacity
			lt.expect(c.get(lt), ok, ok, ok, c.refusal)
		})
	}
}

// every sets the time the rates count over; the default capacity is the
// rate a second (KrakenD's rule), so 2 every minute holds 1 token, and a
// token comes back every 30s.
func TestEveryIsTheRatesPeriod(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, ns string
		want     []reply
	}{
		{"endpoint", `{"max_rate": 2, "every": "1m"}`, []reply{ok, {503, "30"}}},
		{"endpoint with a capacity", `{"max_rate": 2, "capacity": 2, "every": "1m"}`, []reply{ok, ok, {503, "30"}}},
		{"client", `{"client_max_rate": 2, "every": "1m", "strategy": "ip"}`, []reply{ok, {429, "30"}}},
		{"an hour", `{"max_rate": 1, "every": "1h"}`, []reply{ok, {503, "3600"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			lt := newLimited(t, "/a", `{"qos/ratelimit/router": `+c.ns+`}`, noForwarded)
			lt.expect(fromA(lt), c.want...)
			lt.clock.advance(29 * time.Second)
			last := c.want[len(c.want)-1]
			if last.retry == "30" {
				lt.expect(fromA(lt), reply{last.status, "1"})
				lt.clock.advance(time.Second)
				lt.expect(fromA(lt), ok, last)
			}
		})
	}
}

func TestDecimalRates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, ns string }{
		{"max_rate", `{"max_rate": 0.5}`},
		{"client_max_rate", `{"client_max_rate": 0.5, "strategy": "ip"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			lt := newLimited(t, "/a", `{"qos/ratelimit/router": `+c.ns+`}`, noForwarded)
			first := lt.get(peerA, nil)
			refusal := lt.get(peerA, nil)
			if first != ok || refusal.retry != "2" {
				t.Fatalf("0.5 a second: %v then %v, want 200 then a refusal with Retry-After 2", first, refusal)
			}
			lt.clock.advance(1999 * time.Millisecond)
			lt.expect(fromA(lt), reply{refusal.status, "1"})
			lt.clock.advance(time.Millisecond)
			lt.expect(fromA(lt), ok, refusal)
		})
	}
}

func TestHeaderStrategyCountsEachValue(t *testing.T) {
	t.Parallel()
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "header", "key": "x-tenant"}}`, noForwarded)
	tenant := func(v string) func() reply {
		return func() reply { return lt.get(peerA, http.Header{"X-Tenant": {v}}) }
	}
	lt.expect(tenant("acme"), ok, client1s)
	lt.expect(tenant("globex"), ok, client1s) // same address, another tenant
	// A request without the header names no client: refused, as in KrakenD,
	// with nothing to wait for.
	lt.expect(fromA(lt), reply{429, ""}, reply{429, ""})
	if lt.served != 2 {
		t.Errorf("served %d, want 2", lt.served)
	}
}

func TestParamStrategyCountsEachValue(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"user", "User"} { // the exact name or KrakenD's
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			lt := newLimited(t, "/orgs/{org}/users/{user}", `{"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "param", "key": "`+key+`"}}`, noForwarded)
			user := func(org, u string) func() reply { return func() reply { return lt.get(peerA, nil, org, u) } }
			lt.expect(user("o1", "ada"), ok, client1s)
			lt.expect(user("o2", "ada"), client1s) // the key is the user alone
			lt.expect(user("o1", "bob"), ok, client1s)
		})
	}
}

// Behind a load balancer, strategy ip counts the address the trusted
// proxy forwarded; a peer that is not trusted is counted by its own
// address, whatever X-Forwarded-For it sends.
func TestIPStrategyBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	ips, _, err := clientip.New("extra_config.router", clientip.Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "ip"}}`, ips)
	via := func(peer, xff string) func() reply {
		return func() reply { return lt.get(peer, http.Header{"X-Forwarded-For": {xff}}) }
	}
	lt.expect(via("10.0.0.1:1", "203.0.113.1"), ok, client1s)
	lt.expect(via("10.0.0.2:1", "203.0.113.1"), client1s)           // the same client through another proxy
	lt.expect(via("10.0.0.1:1", "203.0.113.1, 10.0.0.9"), client1s) // and through a chain
	lt.expect(via("10.0.0.1:1", "203.0.113.2"), ok)                 // another client
	lt.expect(via("10.0.0.1:1", "1.1.1.1, 203.0.113.3"), ok)        // a prefix it wrote changes nothing
	lt.expect(via("10.0.0.1:1", "2.2.2.2, 203.0.113.3"), client1s)
	// An untrusted peer spoofing the header is counted as itself.
	lt.expect(via(peerA, "203.0.113.4"), ok)
	lt.expect(via(peerA, "203.0.113.5"), client1s)
	lt.expect(via(peerB, "203.0.113.1"), ok)
}

func TestIPStrategyKeyIsReadFromTrustedProxiesOnly(t *testing.T) {
	t.Parallel()
	ips, _, _ := clientip.New("extra_config.router", clientip.Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}})
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "ip", "key": "X-Original-Forwarded-For"}}`, ips)
	via := func(peer, client string) func() reply {
		return func() reply { return lt.get(peer, http.Header{"X-Original-Forwarded-For": {client}}) }
	}
	lt.expect(via("10.0.0.1:1", "203.0.113.1"), ok, client1s)
	lt.expect(via("10.0.0.1:1", "203.0.113.2"), ok)
	lt.expect(via(peerA, "203.0.113.3"), ok)
	lt.expect(via(peerA, "203.0.113.4"), client1s) // a spoofer is its peer address
	if len(lt.warns) != 0 {
		t.Errorf("warnings: %q", lt.warns)
	}
	untrusted := newLimited(t, "/a", `{"qos/ratelimit/router": {"client_max_rate": 1, "strategy": "IP", "key": "X-Original-Forwarded-For"}}`, noForwarded)
	if len(untrusted.warns) != 1 || !strings.Contains(untrusted.warns[0], `reads "X-Original-Forwarded-For" only from router.trusted_proxies`) {
		t.Errorf("no trusted proxies: warnings %q", untrusted.warns)
	}
}

func TestLegacyNameReadsTheSameOptions(t *testing.T) {
	t.Parallel()
	lt := newLimited(t, "/a", `{"github.com/devopsfaith/krakend-ratelimit/juju/router": {"max_rate": 1, "client_max_rate": 1, "strategy": "ip"}}`, noForwarded)
	lt.expect(fromA(lt), ok, client1s)
	lt.expect(fromB(lt), endpoint1s)
}

func TestNoLimitNoLayer(t *testing.T) {
	t.Parallel()
	for _, extra := range []string{`{}`, `{"qos/ratelimit/router": {"max_rate": 0, "client_max_rate": 0}}`} {
		l, warns, err := NewEndpoint(parseEndpoint(t, "/a", extra), Deps{})
		if l != nil || len(warns) != 0 || err != nil {
			t.Errorf("%s: layer %v, warnings %q, error %v; want none", extra, l, warns, err)
		}
	}
}

func TestRouterOptionsErrors(t *testing.T) {
	t.Parallel()
	const at = `endpoints[0].extra_config["qos/ratelimit/router"]`
	for _, c := range []struct{ ns, want string }{
		{`{"max_rate": -1}`, at + `.max_rate: must be a number of requests of 0 or more`},
		{`{"max_rate": "10"}`, at + `.max_rate: must be a number, got a JSON string`},
		{`{"max_rate": 1, "capacity": 1.5}`, at + `.capacity: must be a whole number`},
		{`{"max_rate": 1, "capacity": -2}`, at + `.capacity: must be a number of requests of 0 or more`},
		{`{"client_max_rate": 1, "client_capacity": -1, "strategy": "ip"}`, at + `.client_capacity: must be a number of requests of 0 or more`},
		{`{"client_max_rate": 1}`, at + `.strategy: client_max_rate needs a strategy`},
		{`{"client_max_rate": 1, "strategy": "jwt"}`, at + `.strategy: "jwt" is not a strategy`},
		{`{"client_max_rate": 1, "strategy": "header"}`, at + `.key: the header strategy needs the name of the header`},
		{`{"client_max_rate": 1, "strategy": "param", "key": "nope"}`, at + `.key: "nope" is not a placeholder of the endpoint /a/{id}: the param strategy needs one of its path params (id)`},
		{`{"max_rate": 1, "every": "10"}`, at + `.every: "10" is not a duration`},
		{`{"max_rate": 1, "every": "-1s"}`, at + `.every: "-1s" must be above zero`},
		{`{"max_rate": 1, "every": 1}`, at + `.every: must be a string`},
		{`{"max_rate": 1e-15}`, at + `.max_rate: 1e-15 every 1s with a capacity of 1 takes longer than`},
		{`{"client_max_rate": 1, "strategy": "ip", "num_shards": -1}`, at + `.num_shards: must be from 1 to 65536`},
		{`{"client_max_rate": 1, "strategy": "ip", "num_shards": 100000}`, at + `.num_shards: must be from 1 to 65536`},
		{`{"client_max_rate": 1, "strategy": "ip", "cleanup_threads": 0}`, at + `.cleanup_threads: must be 1 or more`},
		{`{"client_max_rate": 1, "strategy": "ip", "cleanup_period": "soon"}`, at + `.cleanup_period: "soon" is not a duration`},
		{`{"maxRate": 10}`, at + `.maxRate: is KrakenD 1's name of this option, which KrakenD 2 ignores: write "max_rate"`},
		{`{"clientMaxRate": 10}`, at + `.clientMaxRate: is KrakenD 1's name of this option, which KrakenD 2 ignores: write "client_max_rate"`},
		{`{"max_rate": 1, "max_rates": 2}`, at + `.max_rates: unknown key`},
	} {
		_, _, err := NewEndpoint(parseEndpoint(t, "/a/{id}", `{"qos/ratelimit/router": `+c.ns+`}`), Deps{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.ns, err, c.want)
		}
	}
	both := `{"qos/ratelimit/router": {"max_rate": 1}, "github.com/devopsfaith/krakend-ratelimit/juju/router": {"max_rate": 2}}`
	if _, _, err := NewEndpoint(parseEndpoint(t, "/a", both), Deps{}); err == nil || !strings.Contains(err.Error(), `both "qos/ratelimit/router" and its legacy name are set`) {
		t.Errorf("both names: %v", err)
	}
}

func TestRouterOptionsWarnings(t *testing.T) {
	t.Parallel()
	const at = `endpoints[0].extra_config["qos/ratelimit/router"]`
	for _, c := range []struct{ ns, want string }{
		{`{"max_rate": 1, "every": "100ms"}`, at + `.every: 100ms is below KrakenD's minimum: 1s is used`},
		{`{"client_max_rate": 1, "strategy": "ip", "cleanup_period": "10ms"}`, at + `.cleanup_period: 10ms is below KrakenD's minimum: 1s is used`},
		{`{"max_rate": 1, "strategy": "ip"}`, at + `.strategy: applies only with client_max_rate, which is not set; ignored`},
		{`{"max_rate": 1, "num_shards": 4}`, at + `.num_shards: applies only with client_max_rate, which is not set; ignored`},
	} {
		l, warns, err := NewEndpoint(parseEndpoint(t, "/a", `{"qos/ratelimit/router": `+c.ns+`}`), Deps{})
		if err != nil || len(warns) != 1 || warns[0] != c.want {
			t.Errorf("%s: warnings %q (error %v), want [%q]", c.ns, warns, err, c.want)
		}
		l.Close()
	}
	// every below 1s counts as 1s, as in KrakenD.
	lt := newLimited(t, "/a", `{"qos/ratelimit/router": {"max_rate": 1, "every": "100ms"}}`, noForwarded)
	lt.expect(fromA(lt), ok, endpoint1s)
	lt.clock.advance(100 * time.Millisecond)
	lt.expect(fromA(lt), endpoint1s)
}

// The cleanup options reach the store: its shards, its goroutines, their
// period.
func TestCleanupOptionsShapeTheStore(t *testing.T) {
	t.Parallel()
	var periods []time.Duration
	ticker := func(d time.Duration) (<-chan time.Time, func()) {
		periods = append(periods, d)
		return make(chan time.Time), func() {}
	}
	for _, c := range []struct {
		ns      string
		shards  int
		periods []time.Duration
	}{
		{`{"client_max_rate": 1, "strategy": "ip"}`, 2048, []time.Duration{time.Minute}},
		{`{"client_max_rate": 1, "strategy": "ip", "num_shards": 16, "cleanup_period": "5s", "cleanup_threads": 3}`, 16, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}},
		{`{"client_max_rate": 1, "strategy": "ip", "num_shards": 0}`, 1, []time.Duration{time.Minute}},
		{`{"client_max_rate": 1, "strategy": "ip", "num_shards": 2, "cleanup_threads": 8}`, 2, []time.Duration{time.Minute, time.Minute}},
	} {
		periods = nil
		l, _, err := NewEndpoint(parseEndpoint(t, "/a", `{"qos/ratelimit/router": `+c.ns+`}`), Deps{ticker: ticker})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.clients.shards) != c.shards || fmt.Sprint(periods) != fmt.Sprint(c.periods) {
			t.Errorf("%s: %d shards, cleanup goroutines ticking %v; want %d and %v", c.ns, len(l.clients.shards), periods, c.shards, c.periods)
		}
		l.Close()
	}
}

// discard is a ResponseWriter that keeps nothing, for allocation counts.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// limitCases are the layers the allocation test and the benchmarks run:
// rates no request reaches, so that every request passes every check.
var limitCases = []struct {
	name, ns string
	header   http.Header
	params   []string
	peer     string
}{
	{"endpoint", `{"max_rate": 1e9}`, nil, nil, "198.51.100.1:4711"},
	{"client-ip", `{"client_max_rate": 1e9, "strategy": "ip"}`, nil, nil, "198.51.100.1:4711"},
	{"client-ip-forwarded", `{"client_max_rate": 1e9, "strategy": "ip"}`, http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.2"}}, nil, "10.0.0.1:4711"},
	{"client-header", `{"client_max_rate": 1e9, "strategy": "header", "key": "X-Tenant"}`, http.Header{"X-Tenant": {"acme"}}, nil, "198.51.100.1:4711"},
	{"client-param", `{"client_max_rate": 1e9, "strategy": "param", "key": "id"}`, nil, []string{"42"}, "198.51.100.1:4711"},
	{"endpoint+client-ip", `{"max_rate": 1e9, "client_max_rate": 1e9, "strategy": "ip"}`, nil, nil, "198.51.100.1:4711"},
}

func limitCase(t testing.TB, ns string) (router.Handler, func()) {
	t.Helper()
	ips, _, err := clientip.New("extra_config.router", clientip.Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := NewEndpoint(parseEndpoint(t, "/a/{id}", `{"qos/ratelimit/router": `+ns+`}`), Deps{ClientIP: ips})
	if err != nil {
		t.Fatal(err)
	}
	return l.Wrap(func(http.ResponseWriter, *http.Request, []string) {}), l.Close
}

// A request that passes the layer allocates nothing, whatever the strategy.
func TestPassingTheLimitAllocatesNothing(t *testing.T) {
	for _, c := range limitCases {
		h, closeLayer := limitCase(t, c.ns)
		r := httptest.NewRequest("GET", "/a/42", nil)
		r.RemoteAddr, r.Header = c.peer, c.header
		w := &discard{h: http.Header{}}
		h(w, r, c.params) // the client's first request inserts its bucket
		if n := testing.AllocsPerRun(1000, func() { h(w, r, c.params) }); n != 0 {
			t.Errorf("%s: %v allocations per request", c.name, n)
		}
		closeLayer()
	}
}

// BenchmarkLimit is the layer's cost per request that passes, and per
// request refused (one client over its limit, the Retry-After value
// shared).
func BenchmarkLimit(b *testing.B) {
	for _, c := range limitCases {
		b.Run(c.name, func(b *testing.B) {
			h, closeLayer := limitCase(b, c.ns)
			defer closeLayer()
			r := httptest.NewRequest("GET", "/a/42", nil)
			r.RemoteAddr, r.Header = c.peer, c.header
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h(w, r, c.params)
			}
		})
	}
	b.Run("refused", func(b *testing.B) {
		h, closeLayer := limitCase(b, `{"client_max_rate": 1, "every": "1h", "strategy": "ip"}`)
		defer closeLayer()
		r := httptest.NewRequest("GET", "/a/42", nil)
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			h(w, r, nil)
		}
	})
}
