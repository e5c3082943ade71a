package httpsecure

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/unrolled/secure"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/layertest"
)

// request builds a GET for host; tls marks it as received over TLS; hdrs
// are header name, value pairs.
func request(host string, tls bool, hdrs ...string) *http.Request {
	r := httptest.NewRequest("GET", "http://"+host+"/users/1?x=1", nil)
	if tls {
		r.TLS = &tlsState
	}
	for i := 0; i+1 < len(hdrs); i += 2 {
		r.Header.Set(hdrs[i], hdrs[i+1])
	}
	return r
}

var tlsState = tls.ConnectionState{}

// Every option changes the answer; each case fails without the option it
// names (want lists the headers that must be exactly so; "" means absent).
func TestOptions(t *testing.T) {
	t.Parallel()
	const host = "api.example.com"
	layertest.RunOptions(t, "security/http", []layertest.OptionCase{
		layertest.Case("allowed_hosts lets a listed host in", `{"allowed_hosts": ["api.example.com"]}`, request(host, false), 200, nil, true),
		layertest.Case("allowed_hosts ignores letter case", `{"allowed_hosts": ["API.example.com"]}`, request(host, false), 200, nil, true),
		layertest.Case("allowed_hosts refuses another host with 400", `{"allowed_hosts": ["api.example.com"]}`, request("evil.example.com", false), 400, nil, false),
		layertest.Case("allowed_hosts compares the port too", `{"allowed_hosts": ["api.example.com"]}`, request(host+":8080", false), 400, nil, false),
		layertest.Case("allowed_hosts_are_regex", `{"allowed_hosts": ["[a-z]+\\.example\\.com"], "allowed_hosts_are_regex": true}`, request(host, false), 200, nil, true),
		layertest.Case("allowed_hosts_are_regex matches the whole host", `{"allowed_hosts": ["[a-z]+\\.example\\.com"], "allowed_hosts_are_regex": true}`, request("api.example.com.evil.org", false), 400, nil, false),
		layertest.Case("host_proxy_headers: the proxied host is checked", `{"allowed_hosts": ["api.example.com"], "host_proxy_headers": ["X-Forwarded-Host"]}`,
			request("10.0.0.1:8080", false, "X-Forwarded-Host", host), 200, nil, true),
		layertest.Case("host_proxy_headers: a proxied host not listed", `{"allowed_hosts": ["api.example.com"], "host_proxy_headers": ["X-Forwarded-Host"]}`,
			request(host, false, "X-Forwarded-Host", "evil.example.com"), 400, nil, false),
		layertest.Case("is_development turns allowed_hosts off", `{"allowed_hosts": ["api.example.com"], "is_development": true}`, request("evil.example.com", false), 200, nil, true),

		layertest.Case("ssl_redirect redirects plain HTTP", `{"ssl_redirect": true}`, request(host, false), 301,
			map[string]string{"Location": "https://api.example.com/users/1?x=1"}, false),
		layertest.Case("ssl_redirect leaves TLS requests", `{"ssl_redirect": true}`, request(host, true), 200, map[string]string{"Location": ""}, true),
		layertest.Case("ssl_redirect with ssl_host", `{"ssl_redirect": true, "ssl_host": "secure.example.com"}`, request(host, false), 301,
			map[string]string{"Location": "https://secure.example.com/users/1?x=1"}, false),
		layertest.Case("ssl_redirect with the proxied host", `{"ssl_redirect": true, "host_proxy_headers": ["X-Forwarded-Host"]}`,
			request("10.0.0.1", false, "X-Forwarded-Host", host), 301, map[string]string{"Location": "https://api.example.com/users/1?x=1"}, false),
		layertest.Case("ssl_proxy_headers mark a request as HTTPS", `{"ssl_redirect": true, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
			request(host, false, "X-Forwarded-Proto", "https"), 200, map[string]string{"Location": ""}, true),
		layertest.Case("ssl_proxy_headers need their value", `{"ssl_redirect": true, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
			request(host, false, "X-Forwarded-Proto", "http"), 301, nil, false),
		layertest.Case("is_development turns ssl_redirect off", `{"ssl_redirect": true, "is_development": true}`, request(host, false), 200, nil, true),

		layertest.Case("sts_seconds over TLS", `{"sts_seconds": 31536000}`, request(host, true), 200,
			map[string]string{"Strict-Transport-Security": "max-age=31536000"}, true),
		layertest.Case("sts_seconds: not over plain HTTP", `{"sts_seconds": 31536000}`, request(host, false), 200,
			map[string]string{"Strict-Transport-Security": ""}, true),
		layertest.Case("sts_seconds with the SSL proxy header", `{"sts_seconds": 300, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
			request(host, false, "X-Forwarded-Proto", "https"), 200, map[string]string{"Strict-Transport-Security": "max-age=300"}, true),
		layertest.Case("sts_include_subdomains", `{"sts_seconds": 300, "sts_include_subdomains": true}`, request(host, true), 200,
			map[string]string{"Strict-Transport-Security": "max-age=300; includeSubDomains"}, true),
		layertest.Case("force_sts_header over plain HTTP", `{"sts_seconds": 300, "force_sts_header": true}`, request(host, false), 200,
			map[string]string{"Strict-Transport-Security": "max-age=300"}, true),
		layertest.Case("is_development turns STS off", `{"sts_seconds": 300, "is_development": true}`, request(host, true), 200,
			map[string]string{"Strict-Transport-Security": ""}, true),

		layertest.Case("frame_deny", `{"frame_deny": true}`, request(host, false), 200, map[string]string{"X-Frame-Options": "DENY"}, true),
		layertest.Case("custom_frame_options_value", `{"frame_deny": true, "custom_frame_options_value": "SAMEORIGIN"}`, request(host, false), 200,
			map[string]string{"X-Frame-Options": "SAMEORIGIN"}, true),
		layertest.Case("content_type_nosniff", `{"content_type_nosniff": true}`, request(host, false), 200, map[string]string{"X-Content-Type-Options": "nosniff"}, true),
		layertest.Case("browser_xss_filter", `{"browser_xss_filter": true}`, request(host, false), 200, map[string]string{"X-XSS-Protection": "1; mode=block"}, true),
		layertest.Case("content_security_policy", `{"content_security_policy": "default-src 'self';"}`, request(host, false), 200,
			map[string]string{"Content-Security-Policy": "default-src 'self';"}, true),
		layertest.Case("referrer_policy", `{"referrer_policy": "same-origin"}`, request(host, false), 200, map[string]string{"Referrer-Policy": "same-origin"}, true),
		layertest.Case("is_development keeps the other headers", `{"frame_deny": true, "is_development": true}`, request(host, false), 200,
			map[string]string{"X-Frame-Options": "DENY"}, true),
		layertest.Case("no options: no headers", `{}`, request(host, true), 200, map[string]string{
			"Strict-Transport-Security": "", "X-Frame-Options": "", "X-Content-Type-Options": "", "X-XSS-Protection": "",
			"Content-Security-Policy": "", "Referrer-Policy": "",
		}, true),
	}, func(x *config.ExtraConfig) (func(http.Handler) http.Handler, error) {
		mw, _, err := New(x)
		return mw, err
	})
}

// A nonce placeholder in the policy becomes a fresh nonce in each response.
func TestContentSecurityPolicyNonce(t *testing.T) {
	t.Parallel()
	mw, _, err := New(layertest.Extra(t, `{"security/http": {"content_security_policy": "script-src $NONCE"}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	seen := map[string]bool{}
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request("a", false))
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "script-src 'nonce-") || seen[csp] {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		seen[csp] = true
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	const ns = `extra_config["security/http"]`
	layertest.RunNew(t, []layertest.NewCase{
		{Name: "absent: no layer", Extra: `{}`, Absent: true},
		{Name: "empty: a layer", Extra: `{"security/http": {}}`},
		{Name: "legacy name", Extra: `{"github_com/devopsfaith/krakend-httpsecure": {"frame_deny": true}}`},
		{Name: "both names", Extra: `{"security/http": {}, "github_com/devopsfaith/krakend-httpsecure": {}}`, Absent: true,
			Errs: []string{`extra_config["github_com/devopsfaith/krakend-httpsecure"]: both "security/http" and its legacy name are set: keep "security/http" only`}},
		{Name: "unknown key", Extra: `{"security/http": {"allowed_host": ["a"]}}`, Absent: true,
			Errs: []string{ns + `.allowed_host: unknown key (check its spelling against the documentation)`}},
		{Name: "wrong type", Extra: `{"security/http": {"sts_seconds": "300"}}`, Absent: true,
			Errs: []string{ns + `.sts_seconds: must be a whole number, got a JSON string`}},
		{Name: "wrong map value", Extra: `{"security/http": {"ssl_proxy_headers": {"X-Forwarded-Proto": true}}}`, Absent: true,
			Errs: []string{ns + `.ssl_proxy_headers: must be a string, got a JSON bool`}},
		{Name: "every bad value at once", Extra: `{"security/http": {"allowed_hosts": ["ok", "(bad"], "allowed_hosts_are_regex": true,
			"sts_seconds": -1, "ssl_host": "https://secure.example.com"}}`, Absent: true, Errs: []string{
			ns + `.allowed_hosts[1]: "(bad" is not a regular expression (error parsing regexp: missing closing ): ` + "`^(bad$`" + `): fix it, or set allowed_hosts_are_regex to false for plain host names`,
			ns + `.sts_seconds: -1 is negative: write a number of seconds, such as 31536000 (a year), or 0 for no Strict-Transport-Security header`,
			ns + `.ssl_host: "https://secure.example.com" is not a host: write the host name only (and a port if needed), such as "secure.example.com"`,
		}},
		{Name: "hpkp_public_key is ignored with a warning", Extra: `{"security/http": {"hpkp_public_key": "pin-sha256=\"x\"; max-age=5"}}`,
			Warns: []string{ns + `.hpkp_public_key: not supported, ignored (as in KrakenD: browsers dropped HTTP Public Key Pinning)`}},
	}, func(x *config.ExtraConfig) (bool, []string, error) {
		mw, warns, err := New(x)
		return mw != nil, warns, err
	})
}

// The layer answers as unrolled/secure's own Handler does (with the 400
// for hosts not served): same status, same headers, same requests let
// through, for every kind of option and request, though it computes the
// headers once.
func TestLayerMatchesUnrolledSecure(t *testing.T) {
	t.Parallel()
	options := []string{
		`{}`,
		`{"allowed_hosts": ["api.example.com"], "host_proxy_headers": ["X-Forwarded-Host"]}`,
		`{"allowed_hosts": ["[a-z]+\\.example\\.com"], "allowed_hosts_are_regex": true}`,
		`{"ssl_redirect": true, "ssl_host": "secure.example.com", "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
		`{"sts_seconds": 300, "sts_include_subdomains": true, "frame_deny": true, "custom_frame_options_value": "SAMEORIGIN",
			"content_type_nosniff": true, "browser_xss_filter": true, "content_security_policy": "default-src 'self'",
			"referrer_policy": "no-referrer", "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
		`{"sts_seconds": 300, "force_sts_header": true, "frame_deny": true}`,
		`{"allowed_hosts": ["api.example.com"], "ssl_redirect": true, "sts_seconds": 300, "frame_deny": true, "is_development": true}`,
		`{"allowed_hosts": ["api.example.com"], "ssl_redirect": true, "sts_seconds": 300, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"},
			"content_type_nosniff": true, "referrer_policy": "same-origin"}`,
	}
	requests := []func() *http.Request{
		func() *http.Request { return request("api.example.com", false) },
		func() *http.Request { return request("api.example.com", true) },
		func() *http.Request { return request("api.example.com", false, "X-Forwarded-Proto", "https") },
		func() *http.Request { return request("evil.example.com", true) },
		func() *http.Request { return request("10.0.0.1", false, "X-Forwarded-Host", "api.example.com") },
		func() *http.Request { return request("api.example.com", true, "X-Forwarded-Host", "evil.example.com") },
	}
	for i, src := range options {
		var o Options
		if err := config.DecodeNamespace("x", []byte(src), &o); err != nil {
			t.Fatal(err)
		}
		opts, err := o.resolve("x")
		if err != nil {
			t.Fatal(err)
		}
		reference := secure.New(opts)
		reference.SetBadHostHandler(http.HandlerFunc(badHost))
		ours := newLayer(opts)
		for j, req := range requests {
			serve := func(mw func(http.Handler) http.Handler) (*httptest.ResponseRecorder, bool) {
				called := false
				w := httptest.NewRecorder()
				mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(w, req())
				return w, called
			}
			want, wantCalled := serve(reference.Handler)
			got, called := serve(ours.wrap)
			if got.Code != want.Code || called != wantCalled || !reflect.DeepEqual(got.Header(), want.Header()) {
				t.Errorf("options %d, request %d: got %d, called %v, %v\nunrolled/secure: %d, called %v, %v",
					i, j, got.Code, called, got.Header(), want.Code, wantCalled, want.Header())
			}
		}
	}
}
