package clientip

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// request is a GET from peer (RemoteAddr) with the given header lines.
func request(peer string, header http.Header) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = peer
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r
}

func resolver(t testing.TB, o Options) *Resolver {
	t.Helper()
	r, _, err := New(`extra_config.router`, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	behindLB := Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8", "2001:db8::/32"}}
	xff := func(lines ...string) http.Header { return http.Header{"X-Forwarded-For": lines} }
	for _, c := range []struct {
		name   string
		opts   Options
		peer   string
		header http.Header
		want   string
	}{
		{"forwarding off: the peer, whatever the header says", Options{}, "198.51.100.9:4711", xff("203.0.113.7"), "198.51.100.9"},
		{"forwarding off, trusted peer: the header is still not read", Options{TrustedProxies: []string{"10.0.0.0/8"}}, "10.0.0.1:4711", xff("203.0.113.7"), "10.0.0.1"},
		{"trusted peer: the address it forwarded", behindLB, "10.0.0.1:4711", xff("203.0.113.7"), "203.0.113.7"},
		{"untrusted peer: a spoofed header changes nothing", behindLB, "198.51.100.9:4711", xff("203.0.113.7"), "198.51.100.9"},
		{"trusted peer: what the client wrote to the left is ignored", behindLB, "10.0.0.1:4711", xff("6.6.6.6, 203.0.113.7"), "203.0.113.7"},
		{"a chain of trusted proxies is skipped from the right", behindLB, "10.0.0.1:4711", xff("6.6.6.6, 203.0.113.7, 10.0.0.2, 10.9.9.9"), "203.0.113.7"},
		{"every entry trusted: the leftmost", behindLB, "10.0.0.1:4711", xff("10.0.0.3, 10.0.0.2"), "10.0.0.3"},
		{"header lines are read as one list, the last line last", behindLB, "10.0.0.1:4711", xff("6.6.6.6", "203.0.113.7"), "203.0.113.7"},
		{"an invalid entry voids the header: the peer", behindLB, "10.0.0.1:4711", xff("203.0.113.7, not-an-ip"), "10.0.0.1"},
		{"an empty entry voids the header", behindLB, "10.0.0.1:4711", xff("203.0.113.7,"), "10.0.0.1"},
		{"no header: the peer", behindLB, "10.0.0.1:4711", nil, "10.0.0.1"},
		{"X-Real-IP when X-Forwarded-For says nothing valid", behindLB, "10.0.0.1:4711",
			http.Header{"X-Forwarded-For": {"junk"}, "X-Real-Ip": {"203.0.113.8"}}, "203.0.113.8"},
		{"X-Forwarded-For first, then X-Real-IP", behindLB, "10.0.0.1:4711",
			http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Real-Ip": {"203.0.113.8"}}, "203.0.113.7"},
		{"remote_ip_headers replaces the defaults", Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.1"}, Headers: []string{"cf-connecting-ip"}},
			"10.0.0.1:4711", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "Cf-Connecting-Ip": {"203.0.113.9"}}, "203.0.113.9"},
		{"a single trusted address", Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.1"}}, "10.0.0.2:4711", xff("203.0.113.7"), "10.0.0.2"},
		{"an entry with a port", behindLB, "10.0.0.1:4711", xff("203.0.113.7:5555"), "203.0.113.7"},
		{"an IPv6 entry with a port", behindLB, "10.0.0.1:4711", xff("[2001:db9::7]:80"), "2001:db9::7"},
		{"an IPv6 peer in a trusted range", behindLB, "[2001:db8::1]:4711", xff("2001:db9::7"), "2001:db9::7"},
		{"an IPv4-mapped peer is an IPv4 peer", behindLB, "[::ffff:10.0.0.1]:4711", xff("203.0.113.7"), "203.0.113.7"},
		{"an IPv4-mapped entry in a trusted range is skipped", behindLB, "10.0.0.1:4711", xff("203.0.113.7, ::ffff:10.0.0.5"), "203.0.113.7"},
		{"a peer without a port", behindLB, "pipe", xff("203.0.113.7"), "pipe"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := resolver(t, c.opts).ClientIP(request(c.peer, c.header)); got != c.want {
				t.Errorf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
}

func TestNilResolverGivesThePeer(t *testing.T) {
	t.Parallel()
	var r *Resolver
	if got := r.ClientIP(request("198.51.100.9:1", http.Header{"X-Forwarded-For": {"1.2.3.4"}})); got != "198.51.100.9" {
		t.Errorf("ClientIP = %q", got)
	}
	if r.TrustsProxies() {
		t.Error("a nil resolver trusts proxies")
	}
}

func TestWithHeaderReadsItFirstFromTrustedProxiesOnly(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Original-Forwarded-For": {"203.0.113.1"}, "X-Forwarded-For": {"203.0.113.2"}}
	on := resolver(t, Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}}).WithHeader("x-original-forwarded-for")
	if got := on.ClientIP(request("10.0.0.1:1", h)); got != "203.0.113.1" {
		t.Errorf("trusted peer: %q, want the key header's 203.0.113.1", got)
	}
	if got := on.ClientIP(request("10.0.0.1:1", http.Header{"X-Forwarded-For": {"203.0.113.2"}})); got != "203.0.113.2" {
		t.Errorf("trusted peer without the key header: %q, want X-Forwarded-For's 203.0.113.2", got)
	}
	if got := on.ClientIP(request("198.51.100.9:1", h)); got != "198.51.100.9" {
		t.Errorf("untrusted peer: %q, want the peer", got)
	}
	off := resolver(t, Options{}).WithHeader("X-Original-Forwarded-For")
	if got := off.ClientIP(request("10.0.0.1:1", h)); got != "10.0.0.1" || off.TrustsProxies() {
		t.Errorf("forwarding off: %q (trusts proxies: %v), want the peer", got, off.TrustsProxies())
	}
}

func TestNewReportsBadProxiesAndWarns(t *testing.T) {
	t.Parallel()
	_, _, err := New("extra_config.router", Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.1", "10.0.0.300", "fd00::/200", "10.0.0.0/8"}})
	want := []string{
		`extra_config.router.trusted_proxies[1]: "10.0.0.300" is not an IP address or a CIDR range`,
		`extra_config.router.trusted_proxies[2]: "fd00::/200" is not an IP address or a CIDR range`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{ForwardedByClientIP: true}, "extra_config.router.forwarded_by_client_ip: no trusted_proxies are set"},
		{Options{TrustedProxies: []string{"10.0.0.1"}}, "extra_config.router: trusted_proxies and remote_ip_headers apply only with forwarded_by_client_ip: true"},
		{Options{Headers: []string{"X-Real-IP"}}, "apply only with forwarded_by_client_ip: true"},
		{Options{ForwardedByClientIP: true, TrustedProxies: []string{"0.0.0.0/0"}}, `extra_config.router.trusted_proxies[0]: "0.0.0.0/0" trusts every address`},
	} {
		_, warns, err := New("extra_config.router", c.opts)
		if err != nil || len(warns) != 1 || !strings.Contains(warns[0], c.want) {
			t.Errorf("%+v: warnings %q (error %v), want one with %q", c.opts, warns, err, c.want)
		}
	}
	if _, warns, _ := New("extra_config.router", Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}}); len(warns) != 0 {
		t.Errorf("a sound configuration warns: %q", warns)
	}
}

// Resolving an address allocates nothing, forwarded or not.
func TestClientIPAllocatesNothing(t *testing.T) {
	r := resolver(t, Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}})
	for _, req := range []*http.Request{
		request("10.0.0.1:4711", http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7, 10.0.0.2"}}),
		request("198.51.100.9:4711", nil),
		request("[2001:db8::1]:4711", nil),
	} {
		if n := testing.AllocsPerRun(100, func() { r.ClientIP(req) }); n != 0 {
			t.Errorf("%s: %v allocations", req.RemoteAddr, n)
		}
	}
}

func BenchmarkClientIP(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
		req  *http.Request
	}{
		{"peer", Options{}, request("198.51.100.9:4711", nil)},
		{"forwarded", Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}},
			request("10.0.0.1:4711", http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7, 10.0.0.2"}})},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := resolver(b, c.opts)
			b.ReportAllocs()
			for b.Loop() {
				r.ClientIP(c.req)
			}
		})
	}
}
