package ratelimit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

func parseBackend(t testing.TB, extra string) *config.Backend {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a",
		"backend": [{"url_pattern": "/x", "extra_config": ` + extra + `}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s.Endpoints[0].Backend[0]
}

// limitedBackend is a backend behind its rate limit, on a fake clock, and
// the count of the calls that reached it.
func limitedBackend(t *testing.T, extra string) (call func() error, clock *fakeClock, calls *int) {
	t.Helper()
	clock = newClock()
	mw, err := newBackend(parseBackend(t, extra), clock.now)
	if err != nil || mw == nil {
		t.Fatalf("layer %v, error %v", mw != nil, err)
	}
	calls = new(int)
	p := mw(func(context.Context, *proxy.Request) (*proxy.Response, error) {
		*calls++
		return &proxy.Response{IsComplete: true}, nil
	})
	return func() error {
		_, err := p(context.Background(), &proxy.Request{})
		return err
	}, clock, calls
}

// outcomes calls n times and writes each outcome: "+" for a call made,
// "-" for one the limit refused with ErrLimited.
func outcomes(t *testing.T, call func() error, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		switch err := call(); {
		case err == nil:
			b.WriteByte('+')
		case errors.Is(err, ErrLimited):
			b.WriteByte('-')
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	return b.String()
}

func TestBackendLimit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, ns string
		first    string        // the outcomes of 4 calls at the start
		after    time.Duration // then, this much later
		then     string        // the outcomes of 4 more
	}{
		{"max_rate, capacity", `{"qos/ratelimit/proxy": {"max_rate": 1, "capacity": 1}}`, "+---", time.Second, "+---"},
		{"capacity is the burst", `{"qos/ratelimit/proxy": {"max_rate": 1, "capacity": 3}}`, "+++-", 2 * time.Second, "++--"},
		{"capacity defaults to the rate a second", `{"qos/ratelimit/proxy": {"max_rate": 2}}`, "++--", 500 * time.Millisecond, "+---"},
		{"decimals", `{"qos/ratelimit/proxy": {"max_rate": 0.5, "capacity": 1}}`, "+---", 1999 * time.Millisecond, "----"},
		{"every", `{"qos/ratelimit/proxy": {"max_rate": 2, "capacity": 2, "every": "1m"}}`, "++--", 30 * time.Second, "+---"},
		{"every below a second is not raised, as in KrakenD", `{"qos/ratelimit/proxy": {"max_rate": 1, "capacity": 1, "every": "100ms"}}`, "+---", 100 * time.Millisecond, "+---"},
		{"the legacy name", `{"github.com/devopsfaith/krakend-ratelimit/juju/proxy": {"max_rate": 1, "capacity": 2}}`, "++--", time.Second, "+---"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			call, clock, calls := limitedBackend(t, c.ns)
			got := outcomes(t, call, 4)
			clock.advance(c.after)
			got += " " + outcomes(t, call, 4)
			if want := c.first + " " + c.then; got != want {
				t.Errorf("outcomes %s, want %s", got, want)
			}
			if made := strings.Count(got, "+"); *calls != made {
				t.Errorf("%d calls reached the backend, want the %d the limit let through", *calls, made)
			}
		})
	}
}

func TestBackendLimitAbsentOrZero(t *testing.T) {
	t.Parallel()
	for _, extra := range []string{`{}`, `{"qos/ratelimit/proxy": {"max_rate": 0, "capacity": 1}}`} {
		if mw, err := NewBackend(parseBackend(t, extra)); mw != nil || err != nil {
			t.Errorf("%s: layer %v, error %v; want none", extra, mw != nil, err)
		}
	}
}

func TestBackendLimitOptionsErrors(t *testing.T) {
	t.Parallel()
	const at = `endpoints[0].backend[0].extra_config["qos/ratelimit/proxy"]`
	for _, c := range []struct{ ns, want string }{
		{`{"qos/ratelimit/proxy": {"max_rate": -1}}`, at + `.max_rate: must be a number of requests of 0 or more`},
		{`{"qos/ratelimit/proxy": {"max_rate": 1, "capacity": -1}}`, at + `.capacity: must be a number of requests of 0 or more`},
		{`{"qos/ratelimit/proxy": {"max_rate": 1, "every": "0s"}}`, at + `.every: "0s" must be above zero`},
		{`{"qos/ratelimit/proxy": {"max_rate": 1, "every": "1 minute"}}`, at + `.every: "1 minute" is not a duration`},
		{`{"qos/ratelimit/proxy": {"maxRate": 1}}`, at + `.maxRate: is KrakenD 1's name of this option, which KrakenD 2 ignores: write "max_rate"`},
		{`{"qos/ratelimit/proxy": {"max_rate": 1, "strategy": "ip"}}`, at + `.strategy: unknown key`},
		{`{"qos/ratelimit/proxy": {"max_rate": 1}, "github.com/devopsfaith/krakend-ratelimit/juju/proxy": {"max_rate": 1}}`,
			`["github.com/devopsfaith/krakend-ratelimit/juju/proxy"]: both "qos/ratelimit/proxy" and its legacy name are set`},
	} {
		if _, err := NewBackend(parseBackend(t, c.ns)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.ns, err, c.want)
		}
	}
}

func BenchmarkBackendLimit(b *testing.B) {
	mw, err := NewBackend(parseBackend(b, `{"qos/ratelimit/proxy": {"max_rate": 1e9}}`))
	if err != nil {
		b.Fatal(err)
	}
	resp := &proxy.Response{}
	p := mw(func(context.Context, *proxy.Request) (*proxy.Response, error) { return resp, nil })
	ctx, req := context.Background(), &proxy.Request{}
	b.ReportAllocs()
	for b.Loop() {
		p(ctx, req)
	}
}
