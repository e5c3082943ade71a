package httpsecure

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

func extra(t *testing.T, ec string) *config.ExtraConfig {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "extra_config": ` + ec + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return &s.ExtraConfig
}

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
	tests := []struct {
		name   string
		ns     string
		req    *http.Request
		status int
		want   map[string]string
	}{
		{"allowed_hosts lets a listed host in", `{"allowed_hosts": ["api.example.com"]}`, request(host, false), 200, nil},
		{"allowed_hosts ignores letter case", `{"allowed_hosts": ["API.example.com"]}`, request(host, false), 200, nil},
		{"allowed_hosts refuses another host with 400", `{"allowed_hosts": ["api.example.com"]}`, request("evil.example.com", false), 400, nil},
		{"allowed_hosts compares the port too", `{"allowed_hosts": ["api.example.com"]}`, request(host+":8080", false), 400, nil},
		{"allowed_hosts_are_regex", `{"allowed_hosts": ["[a-z]+\\.example\\.com"], "allowed_hosts_are_regex": true}`, request(host, false), 200, nil},
		{"allowed_hosts_are_regex matches the whole host", `{"allowed_hosts": ["[a-z]+\\.example\\.com"], "allowed_hosts_are_regex": true}`, request("api.example.com.evil.org", false), 400, nil},
		{"host_proxy_headers: the proxied host is checked", `{"allowed_hosts": ["api.example.com"], "host_proxy_headers": ["X-Forwarded-Host"]}`,
			request("10.0.0.1:8080", false, "X-Forwarded-Host", host), 200, nil},
		{"host_proxy_headers: a proxied host not listed", `{"allowed_hosts": ["api.example.com"], "host_proxy_headers": ["X-Forwarded-Host"]}`,
			request(host, false, "X-Forwarded-Host", "evil.example.com"), 400, nil},
		{"is_development turns allowed_hosts off", `{"allowed_hosts": ["api.example.com"], "is_development": true}`, request("evil.example.com", false), 200, nil},

		{"ssl_redirect redirects plain HTTP", `{"ssl_redirect": true}`, request(host, false), 301,
			map[string]string{"Location": "https://api.example.com/users/1?x=1"}},
		{"ssl_redirect leaves TLS requests", `{"ssl_redirect": true}`, request(host, true), 200, map[string]string{"Location": ""}},
		{"ssl_redirect with ssl_host", `{"ssl_redirect": true, "ssl_host": "secure.example.com"}`, request(host, false), 301,
			map[string]string{"Location": "https://secure.example.com/users/1?x=1"}},
		{"ssl_redirect with the proxied host", `{"ssl_redirect": true, "host_proxy_headers": ["X-Forwarded-Host"]}`,
			request("10.0.0.1", false, "X-Forwarded-Host", host), 301, map[string]string{"Location": "https://api.example.com/users/1?x=1"}},
		{"ssl_proxy_headers mark a request as HTTPS", `{"ssl_redirect": true, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
			request(host, false, "X-Forwarded-Proto", "https"), 200, map[string]string{"Location": ""}},
		{"ssl_proxy_headers need their value", `{"ssl_redirect": true, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
			request(host, false, "X-Forwarded-Proto", "http"), 301, nil},
		{"is_development turns ssl_redirect off", `{"ssl_redirect": true, "is_development": true}`, request(host, false), 200, nil},

		{"sts_seconds over TLS", `{"sts_seconds": 31536000}`, request(host, true), 200,
			map[string]string{"Strict-Transport-Security": "max-age=31536000"}},
		{"sts_seconds: not over plain HTTP", `{"sts_seconds": 31536000}`, request(host, false), 200,
			map[string]string{"Strict-Transport-Security": ""}},
		{"sts_seconds with the SSL proxy header", `{"sts_seconds": 300, "ssl_proxy_headers": {"X-Forwarded-Proto": "https"}}`,
			request(host, false, "X-Forwarded-Proto", "https"), 200, map[string]string{"Strict-Transport-Security": "max-age=300"}},
		{"sts_include_subdomains", `{"sts_seconds": 300, "sts_include_subdomains": true}`, request(host, true), 200,
			map[string]string{"Strict-Transport-Security": "max-age=300; includeSubDomains"}},
		{"force_sts_header over plain HTTP", `{"sts_seconds": 300, "force_sts_header": true}`, request(host, false), 200,
			map[string]string{"Strict-Transport-Security": "max-age=300"}},
		{"is_development turns STS off", `{"sts_seconds": 300, "is_development": true}`, request(host, true), 200,
			map[string]string{"Strict-Transport-Security": ""}},

		{"frame_deny", `{"frame_deny": true}`, request(host, false), 200, map[string]string{"X-Frame-Options": "DENY"}},
		{"custom_frame_options_value", `{"frame_deny": true, "custom_frame_options_value": "SAMEORIGIN"}`, request(host, false), 200,
			map[string]string{"X-Frame-Options": "SAMEORIGIN"}},
		{"content_type_nosniff", `{"content_type_nosniff": true}`, request(host, false), 200, map[string]string{"X-Content-Type-Options": "nosniff"}},
		{"browser_xss_filter", `{"browser_xss_filter": true}`, request(host, false), 200, map[string]string{"X-XSS-Protection": "1; mode=block"}},
		{"content_security_policy", `{"content_security_policy": "default-src 'self';"}`, request(host, false), 200,
			map[string]string{"Content-Security-Policy": "default-src 'self';"}},
		{"referrer_policy", `{"referrer_policy": "same-origin"}`, request(host, false), 200, map[string]string{"Referrer-Policy": "same-origin"}},
		{"is_development keeps the other headers", `{"frame_deny": true, "is_development": true}`, request(host, false), 200,
			map[string]string{"X-Frame-Options": "DENY"}},
		{"no options: no headers", `{}`, request(host, true), 200, map[string]string{
			"Strict-Transport-Security": "", "X-Frame-Options": "", "X-Content-Type-Options": "", "X-XSS-Protection": "",
			"Content-Security-Policy": "", "Referrer-Policy": "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, _, err := New(extra(t, `{"security/http": `+tt.ns+`}`))
			if err != nil || mw == nil {
				t.Fatalf("New = %v, %v", mw != nil, err)
			}
			calls := 0
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if wantCalled := tt.status == 200; (calls == 1) != wantCalled {
				t.Errorf("handler called %d times, want called = %v", calls, wantCalled)
			}
			for k, v := range tt.want {
				if got := strings.Join(w.Header().Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// A nonce placeholder in the policy becomes a fresh nonce in each response.
func TestContentSecurityPolicyNonce(t *testing.T) {
	t.Parallel()
	mw, _, err := New(extra(t, `{"security/http": {"content_security_policy": "script-src $NONCE"}}`))
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
	tests := []struct {
		name, ec  string
		absent    bool
		wantErrs  []string
		wantWarns []string
	}{
		{"absent: no layer", `{}`, true, nil, nil},
		{"empty: a layer", `{"security/http": {}}`, false, nil, nil},
		{"legacy name", `{"github_com/devopsfaith/krakend-httpsecure": {"frame_deny": true}}`, false, nil, nil},
		{"both names", `{"security/http": {}, "github_com/devopsfaith/krakend-httpsecure": {}}`, true,
			[]string{`extra_config["github_com/devopsfaith/krakend-httpsecure"]: both "security/http" and its legacy name are set: keep "security/http" only`}, nil},
		{"unknown key", `{"security/http": {"allowed_host": ["a"]}}`, true,
			[]string{ns + `.allowed_host: unknown key (check its spelling against the documentation)`}, nil},
		{"wrong type", `{"security/http": {"sts_seconds": "300"}}`, true,
			[]string{ns + `.sts_seconds: must be a whole number, got a JSON string`}, nil},
		{"wrong map value", `{"security/http": {"ssl_proxy_headers": {"X-Forwarded-Proto": true}}}`, true,
			[]string{ns + `.ssl_proxy_headers: must be a string, got a JSON bool`}, nil},
		{"every bad value at once", `{"security/http": {"allowed_hosts": ["ok", "(bad"], "allowed_hosts_are_regex": true,
			"sts_seconds": -1, "ssl_host": "https://secure.example.com"}}`, true, []string{
			ns + `.allowed_hosts[1]: "(bad" is not a regular expression (error parsing regexp: missing closing ): ` + "`^(bad$`" + `): fix it, or set allowed_hosts_are_regex to false for plain host names`,
			ns + `.sts_seconds: -1 is negative: write a number of seconds, such as 31536000 (a year), or 0 for no Strict-Transport-Security header`,
			ns + `.ssl_host: "https://secure.example.com" is not a host: write the host name only (and a port if needed), such as "secure.example.com"`,
		}, nil},
		{"hpkp_public_key is ignored with a warning", `{"security/http": {"hpkp_public_key": "pin-sha256=\"x\"; max-age=5"}}`, false, nil,
			[]string{ns + `.hpkp_public_key: not supported, ignored (as in KrakenD: browsers dropped HTTP Public Key Pinning)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := extra(t, tt.ec)
			mw, warns, err := New(x)
			if (mw == nil) != tt.absent {
				t.Errorf("layer built = %v, want %v", mw != nil, !tt.absent)
			}
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(got, tt.wantErrs) {
				t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantErrs, "\n"))
			}
			if !reflect.DeepEqual(warns, tt.wantWarns) {
				t.Errorf("warnings = %q, want %q", warns, tt.wantWarns)
			}
			if unused := x.Unused(); len(unused) != 0 {
				t.Errorf("namespaces left unused: %q", unused)
			}
		})
	}
}
