package httpsecure

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"

	"github.com/unrolled/secure"
)

// layer serves unrolled/secure's decisions with its response headers
// computed once: they depend only on whether a request came over HTTPS
// (Strict-Transport-Security), so unrolled/secure computes both sets at
// start-up, and a request only copies one of them, where secure.Handler
// builds, formats and copies every header on every request. A policy with
// $NONCE needs a fresh nonce each time: it is processed per request.
type layer struct {
	// check refuses hosts and redirects to HTTPS; nil when the options do
	// neither.
	check *secure.Secure
	// plain and https are the headers of plain-HTTP and HTTPS requests.
	plain, https http.Header
	// sslProxyHeaders say a request came over HTTPS, as unrolled/secure
	// reads them.
	sslProxyHeaders map[string]string
	// perRequest processes everything per request (a $NONCE policy).
	perRequest *secure.Secure
}

// newLayer builds the layer of the checked options o.
func newLayer(o secure.Options) *layer {
	l := &layer{sslProxyHeaders: o.SSLProxyHeaders}
	if strings.Contains(o.ContentSecurityPolicy, "$NONCE") {
		l.perRequest = withBadHost(secure.New(o))
		return l
	}
	if (len(o.AllowedHosts) > 0 || o.SSLRedirect) && !o.IsDevelopment {
		checks := secure.Options{
			AllowedHosts:         o.AllowedHosts,
			AllowedHostsAreRegex: o.AllowedHostsAreRegex,
			HostsProxyHeaders:    o.HostsProxyHeaders,
			SSLRedirect:          o.SSLRedirect,
			SSLHost:              o.SSLHost,
			SSLProxyHeaders:      o.SSLProxyHeaders,
			IsDevelopment:        o.IsDevelopment,
		}
		l.check = withBadHost(secure.New(checks))
	}
	headers := o
	headers.AllowedHosts, headers.SSLRedirect = nil, false
	s := secure.New(headers)
	l.plain = computed(s, false)
	l.https = computed(s, true)
	return l
}

func withBadHost(s *secure.Secure) *secure.Secure {
	s.SetBadHostHandler(http.HandlerFunc(badHost))
	return s
}

// computed returns the headers s gives a request over plain HTTP or over
// TLS (s neither refuses nor redirects, so it writes nothing).
func computed(s *secure.Secure, overTLS bool) http.Header {
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{}}
	if overTLS {
		r.TLS = &tls.ConnectionState{}
	}
	h, _, _ := s.ProcessNoModifyRequest(nowhere{}, r)
	return h
}

// nowhere is the ResponseWriter of computed, never written to.
type nowhere struct{}

func (nowhere) Header() http.Header         { return http.Header{} }
func (nowhere) Write(b []byte) (int, error) { return len(b), nil }
func (nowhere) WriteHeader(int)             {}

// wrap returns the layer around next.
func (l *layer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var headers http.Header
		if l.perRequest != nil {
			var err error
			if headers, r, err = l.perRequest.ProcessNoModifyRequest(w, r); err != nil {
				return
			}
		} else {
			if l.check != nil {
				if _, _, err := l.check.ProcessNoModifyRequest(w, r); err != nil {
					// The host was refused or the request redirected:
					// answered.
					return
				}
			}
			headers = l.plain
			if l.overHTTPS(r) {
				headers = l.https
			}
		}
		// One value each, shared by every response: a later Add copies.
		h := w.Header()
		for k, vs := range headers {
			h[k] = vs
		}
		next.ServeHTTP(w, r)
	})
}

// overHTTPS reports whether r came over HTTPS as unrolled/secure decides
// it: TLS, or one of ssl_proxy_headers with its value.
func (l *layer) overHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	for k, v := range l.sslProxyHeaders {
		if r.Header.Get(k) == v {
			return true
		}
	}
	return false
}
