// Package httpsecure is the service's HTTP security layer: the
// "security/http" namespace (KrakenD's options, defaults and legacy name),
// served by github.com/unrolled/secure, the library KrakenD's own module
// wraps. It refuses requests for hosts the gateway does not serve (400),
// redirects plain HTTP to HTTPS, and adds the security headers (HSTS,
// X-Frame-Options, X-Content-Type-Options, X-XSS-Protection,
// Content-Security-Policy, Referrer-Policy) to every response.
//
// The layer wraps the whole router, outside the CORS layer: a refused host
// or a redirect never reaches a route. Options are decoded and checked, and
// the response headers computed, once, in New. This package must not know
// routes or endpoints.
package httpsecure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/unrolled/secure"

	"github.com/lambdagate/lambdagate/config"
)

// Namespace is the service extra_config key of Options.
const Namespace = "security/http"

// LegacyNamespace is KrakenD's older name for the same options, read when
// Namespace is absent.
const LegacyNamespace = "github_com/devopsfaith/krakend-httpsecure"

// Options is the "security/http" namespace, with KrakenD's names and
// defaults.
type Options struct {
	// AllowedHosts are the hosts the gateway serves, as the Host header (or
	// a host_proxy_headers header) carries them, port included when the
	// client sends one ("api.example.com", "api.example.com:8443"); any
	// other host gets 400 before routing. Matching ignores letter case.
	// Absent or empty: any host.
	AllowedHosts []string `json:"allowed_hosts"`
	// AllowedHostsAreRegex reads each allowed_hosts entry as a regular
	// expression (Go's syntax) that must match the whole host.
	AllowedHostsAreRegex bool `json:"allowed_hosts_are_regex"`
	// HostProxyHeaders are request headers that may carry the host the
	// client asked a proxy for ("X-Forwarded-Host"); the first one present
	// is the host allowed_hosts and ssl_redirect use.
	HostProxyHeaders []string `json:"host_proxy_headers"`
	// SSLRedirect answers a request that did not come over HTTPS with a 301
	// to the same URL with https://.
	SSLRedirect bool `json:"ssl_redirect"`
	// SSLHost is the host ssl_redirect sends clients to ("secure.example.com").
	// Absent: the request's host.
	SSLHost string `json:"ssl_host"`
	// SSLProxyHeaders are request headers, with their values, that tell a
	// request came over HTTPS to a proxy in front ({"X-Forwarded-Proto":
	// "https"}). Set it only behind a proxy that sets or removes them: a
	// client can send them too.
	SSLProxyHeaders map[string]string `json:"ssl_proxy_headers"`
	// STSSeconds is the max-age of the Strict-Transport-Security header,
	// sent on HTTPS requests (TLS, or ssl_proxy_headers). 0: no header.
	STSSeconds int64 `json:"sts_seconds"`
	// STSIncludeSubdomains adds includeSubDomains to the
	// Strict-Transport-Security header.
	STSIncludeSubdomains bool `json:"sts_include_subdomains"`
	// ForceSTSHeader sends the Strict-Transport-Security header on plain
	// HTTP requests too.
	ForceSTSHeader bool `json:"force_sts_header"`
	// FrameDeny sends X-Frame-Options: DENY.
	FrameDeny bool `json:"frame_deny"`
	// CustomFrameOptionsValue is the X-Frame-Options value to send instead
	// ("SAMEORIGIN"); it applies with or without frame_deny.
	CustomFrameOptionsValue string `json:"custom_frame_options_value"`
	// ContentTypeNosniff sends X-Content-Type-Options: nosniff.
	ContentTypeNosniff bool `json:"content_type_nosniff"`
	// BrowserXSSFilter sends X-XSS-Protection: 1; mode=block.
	BrowserXSSFilter bool `json:"browser_xss_filter"`
	// ContentSecurityPolicy is the Content-Security-Policy value
	// ("default-src 'self';"); $NONCE in it becomes a fresh nonce
	// ('nonce-…') in each response.
	ContentSecurityPolicy string `json:"content_security_policy"`
	// ReferrerPolicy is the Referrer-Policy value ("same-origin"). Absent:
	// no header.
	ReferrerPolicy string `json:"referrer_policy"`
	// IsDevelopment turns allowed_hosts, ssl_redirect and the
	// Strict-Transport-Security header off; the other headers stay.
	IsDevelopment bool `json:"is_development"`
	// HPKPPublicKey is accepted and ignored with a warning, as KrakenD
	// ignores it: browsers no longer support HTTP Public Key Pinning.
	HPKPPublicKey json.RawMessage `json:"hpkp_public_key"`
}

// New returns the HTTP security layer the service's extra_config x asks
// for, or nil when x has neither name of the namespace. It returns warnings
// (options accepted and ignored) and config.Errors naming the JSON path of
// every bad value.
func New(x *config.ExtraConfig) (func(http.Handler) http.Handler, []string, error) {
	var o Options
	ns, err := x.DecodeWithLegacy(Namespace, LegacyNamespace, &o)
	if ns == "" || err != nil {
		return nil, nil, err
	}
	path := config.Join(x.Path, ns)
	opts, err := o.resolve(path)
	if err != nil {
		return nil, nil, err
	}
	var warns []string
	if o.HPKPPublicKey != nil {
		warns = append(warns, fmt.Sprintf("%s: not supported, ignored (as in KrakenD: browsers dropped HTTP Public Key Pinning)", config.Join(path, "hpkp_public_key")))
	}
	l := newLayer(opts)
	return l.wrap, warns, nil
}

// resolve checks o and turns it into unrolled/secure's options (path is the
// namespace's JSON path, for messages).
func (o Options) resolve(path string) (secure.Options, error) {
	var errs config.Errors
	if o.AllowedHostsAreRegex {
		for i, h := range o.AllowedHosts {
			// unrolled/secure compiles the same expression, and panics
			// on a bad one.
			if _, err := regexp.Compile("^" + h + "$"); err != nil {
				errs.Add(config.Index(config.Join(path, "allowed_hosts"), i), "%q is not a regular expression (%v): fix it, or set allowed_hosts_are_regex to false for plain host names", h, err)
			}
		}
	}
	if o.STSSeconds < 0 {
		errs.Add(config.Join(path, "sts_seconds"), "%d is negative: write a number of seconds, such as 31536000 (a year), or 0 for no Strict-Transport-Security header", o.STSSeconds)
	}
	if strings.ContainsAny(o.SSLHost, "/?#") {
		errs.Add(config.Join(path, "ssl_host"), "%q is not a host: write the host name only (and a port if needed), such as \"secure.example.com\"", o.SSLHost)
	}
	return secure.Options{
		AllowedHosts:            o.AllowedHosts,
		AllowedHostsAreRegex:    o.AllowedHostsAreRegex,
		HostsProxyHeaders:       o.HostProxyHeaders,
		SSLRedirect:             o.SSLRedirect,
		SSLHost:                 o.SSLHost,
		SSLProxyHeaders:         o.SSLProxyHeaders,
		STSSeconds:              o.STSSeconds,
		STSIncludeSubdomains:    o.STSIncludeSubdomains,
		ForceSTSHeader:          o.ForceSTSHeader,
		FrameDeny:               o.FrameDeny,
		CustomFrameOptionsValue: o.CustomFrameOptionsValue,
		ContentTypeNosniff:      o.ContentTypeNosniff,
		BrowserXssFilter:        o.BrowserXSSFilter,
		ContentSecurityPolicy:   o.ContentSecurityPolicy,
		ReferrerPolicy:          o.ReferrerPolicy,
		IsDevelopment:           o.IsDevelopment,
	}, errs.Err()
}

// badHost answers a request for a host allowed_hosts does not list: 400,
// the client's mistake (unrolled/secure's default, and KrakenD's, is 500).
func badHost(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "400 bad request: this gateway does not serve that host", http.StatusBadRequest)
}
