// Package clientip tells a request's client address, as the service's
// router options (KrakenD's forwarded_by_client_ip, remote_ip_headers and
// trusted_proxies, gin's rules) decide it once at start-up: the peer's
// address, or, when the peer is a trusted proxy, the address that proxy
// forwarded in a header.
//
// A forwarding header is read from the right: each proxy appends the
// address it received the request from, so only the entries added by
// trusted proxies can be believed, and the client is the first entry, from
// the right, that is not a trusted proxy. Whatever a client writes in the
// header itself is to the left of that and changes nothing; from a peer
// that is not trusted the header is never read.
//
// The rate limiter keys its client buckets by this address and the endpoint
// sends it as X-Forwarded-For, as KrakenD does with gin's ClientIP. Reading
// an address allocates nothing. This package must not know what the
// address is used for.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strings"

	"github.com/lambdagate/lambdagate/config"
)

// DefaultHeaders are the headers read when forwarded_by_client_ip is on and
// remote_ip_headers is absent, gin's defaults.
var DefaultHeaders = []string{"X-Forwarded-For", "X-Real-IP"}

// Options are the router options that decide the client's address.
type Options struct {
	// ForwardedByClientIP reads the client's address from Headers when the
	// peer is one of TrustedProxies. Off, the peer's address is the
	// client's.
	ForwardedByClientIP bool
	// Headers are the forwarding headers, read in order; nil means
	// DefaultHeaders.
	Headers []string
	// TrustedProxies are the addresses and CIDR ranges of the proxies
	// whose forwarding headers are believed.
	TrustedProxies []string
}

// Resolver gives a request's client address. Its zero value, and a nil
// *Resolver, give the peer's.
type Resolver struct {
	// headers are the canonical names of the forwarding headers; none
	// when forwarding is off.
	headers []string
	// trusted are the proxies whose headers are believed.
	trusted []netip.Prefix
}

// New builds the resolver of o. path is the JSON path of the router
// namespace, for errors and warnings: an entry of trusted_proxies that is
// neither an address nor a CIDR range is an error; options that cannot
// take effect, or that trust anyone, are warnings.
func New(path string, o Options) (*Resolver, []string, error) {
	var (
		errs  config.Errors
		warns []string
		r     Resolver
	)
	for i, p := range o.TrustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			errs.Add(config.Index(config.Join(path, "trusted_proxies"), i), "%q is not an IP address or a CIDR range (such as 10.0.0.1, 10.0.0.0/8 or fd00::/8)", p)
			continue
		}
		if prefix.Bits() == 0 {
			warns = append(warns, fmt.Sprintf("%s: %q trusts every address: any client can choose the address the gateway sees (rate limits, X-Forwarded-For) by sending a forwarding header", config.Index(config.Join(path, "trusted_proxies"), i), p))
		}
		r.trusted = append(r.trusted, prefix)
	}
	headers := o.Headers
	if headers == nil {
		headers = DefaultHeaders
	}
	switch {
	case !o.ForwardedByClientIP:
		if o.TrustedProxies != nil || o.Headers != nil {
			warns = append(warns, fmt.Sprintf("%s: trusted_proxies and remote_ip_headers apply only with forwarded_by_client_ip: true; ignored, the peer's address is the client's", path))
		}
		r.trusted = nil
	case len(r.trusted) == 0:
		if len(errs) == 0 {
			warns = append(warns, fmt.Sprintf("%s.forwarded_by_client_ip: no trusted_proxies are set, so no forwarding header is ever read; the peer's address is the client's", path))
		}
	default:
		for _, h := range headers {
			r.headers = append(r.headers, textproto.CanonicalMIMEHeaderKey(h))
		}
	}
	return &r, warns, errs.Err()
}

// parsePrefix reads an address (a range of one) or a CIDR range. IPv4
// addresses written as IPv6 (::ffff:10.0.0.1) are read as IPv4, as the
// peers they are compared with.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// WithHeader returns a resolver that reads name first, from trusted
// proxies only and by the same rules, and else resolves as r does: the
// header named by a rate limit's ip strategy "key". It trusts r's proxies
// (none when forwarded_by_client_ip is off).
func (r *Resolver) WithHeader(name string) *Resolver {
	w := &Resolver{headers: []string{textproto.CanonicalMIMEHeaderKey(name)}}
	if r != nil {
		w.trusted = r.trusted
		w.headers = append(w.headers, r.headers...)
	}
	return w
}

// TrustsProxies reports whether any proxy is trusted: without one, no
// forwarding header is ever read.
func (r *Resolver) TrustsProxies() bool { return r != nil && len(r.trusted) > 0 }

// ClientIP returns the address of r's client, without a port: the peer's,
// or the one a trusted peer forwarded. The string is a part of the
// request's RemoteAddr or of a header's value.
func (r *Resolver) ClientIP(req *http.Request) string {
	peer := Peer(req)
	if r == nil || len(r.headers) == 0 {
		return peer
	}
	a, err := netip.ParseAddr(peer)
	if err != nil || !r.trusts(a.Unmap()) {
		return peer
	}
	for _, name := range r.headers {
		if ip, ok := r.forwarded(req.Header[name]); ok {
			return ip
		}
	}
	return peer
}

// Peer returns the address of the connection's other end: the host part of
// RemoteAddr, or RemoteAddr itself when it has no port.
func Peer(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}

func (r *Resolver) trusts(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwarded walks a forwarding header's values (the lines as received,
// then the comma-separated entries of each) from the right, and returns the
// first entry that is not a trusted proxy, or the leftmost entry when every
// one is. An entry that is not an address makes the whole header invalid,
// as in gin.
func (r *Resolver) forwarded(lines []string) (string, bool) {
	for li := len(lines) - 1; li >= 0; li-- {
		v := lines[li]
		for {
			i := strings.LastIndexByte(v, ',')
			ip, a, ok := parseEntry(strings.TrimSpace(v[i+1:]))
			if !ok {
				return "", false
			}
			if (i < 0 && li == 0) || !r.trusts(a) {
				return ip, true
			}
			if i < 0 {
				break
			}
			v = v[:i]
		}
	}
	return "", false
}

// parseEntry reads one entry of a forwarding header: an address, or an
// address with a port (1.2.3.4:80, [2001:db8::1]:80, as some load
// balancers write). It returns the address's text and its value.
func parseEntry(s string) (string, netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return s, a.Unmap(), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return "", netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "", netip.Addr{}, false
	}
	return host, a.Unmap(), true
}
