package cors

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// extra parses a service whose extra_config is the JSON object ec.
func extra(t *testing.T, ec string) *config.ExtraConfig {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "extra_config": ` + ec + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return &s.ExtraConfig
}

// layer builds the CORS layer of the namespace ns (a JSON object) around
// a handler that counts its calls and answers 200 with the headers set.
func layer(t *testing.T, ns string, set http.Header) (http.Handler, *int) {
	t.Helper()
	mw, _, err := New(extra(t, `{"security/cors": `+ns+`}`), nil)
	if err != nil || mw == nil {
		t.Fatalf("New = %v, %v", mw != nil, err)
	}
	calls := new(int)
	return mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		*calls++
		for k, vs := range set {
			w.Header()[k] = vs
		}
		w.Write([]byte("ok"))
	})), calls
}

func preflight(origin, method string, hdrs ...string) *http.Request {
	r := httptest.NewRequest("OPTIONS", "/x", nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", method)
	for i := 0; i+1 < len(hdrs); i += 2 {
		r.Header.Set(hdrs[i], hdrs[i+1])
	}
	return r
}

func actual(method, origin string) *http.Request {
	r := httptest.NewRequest(method, "/x", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	return r
}

// Every option changes what a response carries; each case fails without
// the option it names (want lists the headers that must be exactly so; ""
// means absent).
func TestOptions(t *testing.T) {
	t.Parallel()
	const site = "https://app.example.com"
	tests := []struct {
		name   string
		ns     string
		req    *http.Request
		status int
		want   map[string]string
		next   bool // whether the request reached the handler
	}{
		{"allow_origins lists an origin", `{"allow_origins": ["https://app.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": site, "Vary": "Origin"}, true},
		{"allow_origins ignores letter case", `{"allow_origins": ["https://APP.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": site}, true},
		{"an origin not listed gets no CORS headers", `{"allow_origins": ["https://other.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}, true},
		{"a wildcard inside an origin", `{"allow_origins": ["https://*.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": site}, true},
		{"a wildcard does not match another domain", `{"allow_origins": ["https://*.example.com"]}`, actual("GET", "https://example.org"), 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, true},
		{"* allows any origin", `{"allow_origins": ["https://a.example.com", "*"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, true},
		{"no allow_origins allows any origin", `{}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, true},
		{"a request without Origin gets no CORS headers", `{}`, actual("GET", ""), 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}, true},

		{"a preflight is answered 204, not passed on", `{"allow_origins": ["https://app.example.com"]}`, preflight(site, "POST"), 204,
			map[string]string{"Access-Control-Allow-Origin": site, "Access-Control-Allow-Methods": "POST",
				"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}, false},
		{"a preflight from an origin not listed gets no CORS headers", `{"allow_origins": ["https://other.example.com"]}`, preflight(site, "POST"), 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false},
		{"options_success_status", `{"options_success_status": 200}`, preflight(site, "GET"), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, false},

		{"allow_methods defaults to GET, HEAD, POST", `{}`, preflight(site, "PUT"), 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false},
		{"allow_methods allows PUT", `{"allow_methods": ["PUT"]}`, preflight(site, "PUT"), 204,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "PUT"}, false},
		{"allow_methods refuses the others", `{"allow_methods": ["PUT"]}`, preflight(site, "POST"), 204,
			map[string]string{"Access-Control-Allow-Origin": ""}, false},
		{"allow_methods applies to actual requests", `{"allow_methods": ["PUT"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, true},

		{"any header by default, as in KrakenD", `{}`, preflight(site, "GET", "Access-Control-Request-Headers", "x-custom,authorization"), 204,
			map[string]string{"Access-Control-Allow-Headers": "x-custom,authorization"}, false},
		{"allow_headers lists the headers", `{"allow_headers": ["X-Custom"]}`, preflight(site, "GET", "Access-Control-Request-Headers", "x-custom"), 204,
			map[string]string{"Access-Control-Allow-Headers": "x-custom", "Access-Control-Allow-Origin": "*"}, false},
		{"allow_headers refuses the others", `{"allow_headers": ["X-Custom"]}`, preflight(site, "GET", "Access-Control-Request-Headers", "authorization"), 204,
			map[string]string{"Access-Control-Allow-Headers": "", "Access-Control-Allow-Origin": ""}, false},

		{"expose_headers on actual requests", `{"expose_headers": ["x-request-id", "Content-Length"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Expose-Headers": "X-Request-Id, Content-Length"}, true},
		{"no expose_headers: none", `{}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Expose-Headers": ""}, true},

		{"allow_credentials", `{"allow_origins": ["https://app.example.com"], "allow_credentials": true}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Origin": site}, true},
		{"allow_credentials on a preflight", `{"allow_origins": ["https://app.example.com"], "allow_credentials": true}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Allow-Credentials": "true"}, false},
		// rs/cors answers * with credentials (New warns: browsers refuse it).
		{"allow_credentials with any origin answers *", `{"allow_origins": ["*"], "allow_credentials": true}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Origin": "*"}, true},
		{"no allow_credentials: no header", `{}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Credentials": ""}, true},

		{"max_age in whole seconds", `{"max_age": "12h"}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Max-Age": "43200"}, false},
		{"max_age under a second: no header", `{"max_age": "500ms"}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Max-Age": ""}, false},
		{"no max_age: no header", `{}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Max-Age": ""}, false},

		{"allow_private_network", `{"allow_private_network": true}`, preflight(site, "GET", "Access-Control-Request-Private-Network", "true"), 204,
			map[string]string{"Access-Control-Allow-Private-Network": "true",
				"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"}, false},
		{"no allow_private_network: no header", `{}`, preflight(site, "GET", "Access-Control-Request-Private-Network", "true"), 204,
			map[string]string{"Access-Control-Allow-Private-Network": ""}, false},

		{"options_passthrough passes the preflight on", `{"options_passthrough": true}`, preflight(site, "GET"), 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET"}, true},
		{"an OPTIONS without Access-Control-Request-Method is not a preflight", `{}`, actual("OPTIONS", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, calls := layer(t, tt.ns, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if (*calls == 1) != tt.next {
				t.Errorf("handler called %d times, want called = %v", *calls, tt.next)
			}
			for k, v := range tt.want {
				if got := strings.Join(w.Header()[k], ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// The layer's Access-Control-* headers are the only ones a response
// carries: those the handler behind it sets (a backend's) are dropped,
// whatever their letter case, and Vary keeps Origin.
func TestOwnsCORSHeaders(t *testing.T) {
	t.Parallel()
	const site = "https://app.example.com"
	backend := http.Header{
		"Access-Control-Allow-Origin":      {"*"},
		"access-control-allow-methods":     {"DELETE"},
		"Access-Control-Allow-Credentials": {"true"},
		"Vary":                             {"Accept-Encoding"},
		"X-Other":                          {"kept"},
	}
	tests := []struct {
		name, ns, origin string
		want             http.Header
	}{
		{"allowed origin: the layer's values", `{"allow_origins": ["https://app.example.com"], "expose_headers": ["X-Other"]}`, site, http.Header{
			"Access-Control-Allow-Origin":   {site},
			"Access-Control-Expose-Headers": {"X-Other"},
			"Vary":                          {"Accept-Encoding", "Origin"},
			"X-Other":                       {"kept"},
		}},
		{"origin not allowed: none at all", `{"allow_origins": ["https://other.example.com"]}`, site, http.Header{
			"Vary":    {"Accept-Encoding", "Origin"},
			"X-Other": {"kept"},
		}},
		{"no Origin: none at all", `{}`, "", http.Header{
			"Vary":    {"Accept-Encoding", "Origin"},
			"X-Other": {"kept"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := layer(t, tt.ns, backend)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, actual("GET", tt.origin))
			got := w.Result().Header
			delete(got, "Content-Type")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("headers = %v\nwant      %v", got, tt.want)
			}
		})
	}
}

// A handler that writes nothing still gets its headers settled, before the
// server writes them.
func TestOwnsCORSHeadersWhenNothingWritten(t *testing.T) {
	t.Parallel()
	mw, _, err := New(extra(t, `{"security/cors": {}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://evil.example.com")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, actual("GET", "https://app.example.com"))
	if got := w.Header()["Access-Control-Allow-Origin"]; !reflect.DeepEqual(got, []string{"*"}) {
		t.Errorf("Access-Control-Allow-Origin = %q, want [*]", got)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	const ns = `extra_config["security/cors"]`
	tests := []struct {
		name, ec  string
		absent    bool
		wantErrs  []string
		wantWarns []string
	}{
		{"absent: no layer", `{}`, true, nil, nil},
		{"empty: a layer with KrakenD's defaults", `{"security/cors": {}}`, false, nil, nil},
		{"legacy name", `{"github_com/devopsfaith/krakend-cors": {"allow_origins": ["https://a.example.com"]}}`, false, nil, nil},
		{"both names", `{"security/cors": {}, "github_com/devopsfaith/krakend-cors": {}}`, true,
			[]string{`extra_config["github_com/devopsfaith/krakend-cors"]: both "security/cors" and its legacy name are set: keep "security/cors" only`}, nil},
		{"unknown key", `{"security/cors": {"allow_origin": ["*"]}}`, true,
			[]string{ns + `.allow_origin: unknown key (check its spelling against the documentation)`}, nil},
		{"legacy name's errors name its path", `{"github_com/devopsfaith/krakend-cors": {"max_age": 12}}`, true,
			[]string{`extra_config["github_com/devopsfaith/krakend-cors"].max_age: must be a string, got a JSON number`}, nil},
		{"wrong type", `{"security/cors": {"allow_credentials": "yes"}}`, true,
			[]string{ns + `.allow_credentials: must be true or false, got a JSON string`}, nil},
		{"every bad value at once", `{"security/cors": {
			"allow_origins": ["https://*.*.example.com", ""], "allow_methods": ["GET", "get", "TRACE"],
			"max_age": "12", "options_success_status": 404}}`, true,
			[]string{
				ns + `.allow_origins[0]: "https://*.*.example.com" has more than one *: write an origin such as "https://example.com" or "https://*.example.com", or "*" for any`,
				ns + `.allow_origins[1]: is empty: write an origin such as "https://example.com", or "*" for any`,
				ns + `.allow_methods[1]: "get" is not a method CORS allows here: write one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, in uppercase`,
				ns + `.allow_methods[2]: "TRACE" is not a method CORS allows here: write one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, in uppercase`,
				ns + `.max_age: "12" is not a duration: write a number with a unit, such as "12h", "30m" or "3600s"`,
				ns + `.options_success_status: 404 is not a success status: browsers accept a preflight answered 200 to 299; write 204 (the default) or 200`,
			}, nil},
		{"negative max_age", `{"security/cors": {"max_age": "-1h"}}`, true,
			[]string{ns + `.max_age: "-1h" is negative: write a duration such as "12h", or leave it out`}, nil},
		{"credentials with any origin warns", `{"security/cors": {"allow_credentials": true}}`, false, nil,
			[]string{ns + `: allow_credentials with any origin answers "Access-Control-Allow-Origin: *", which browsers refuse for requests with credentials; list the origins in allow_origins`}},
		{"options_passthrough warns", `{"security/cors": {"options_passthrough": true}}`, false, nil,
			[]string{ns + `.options_passthrough: preflight requests go on to the router, which answers them only where an endpoint has method OPTIONS (405 elsewhere; lambdagate has no router auto_options)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := extra(t, tt.ec)
			mw, warns, err := New(x, nil)
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

// debug writes rs/cors's account of each request to the gateway's log, at
// DEBUG level only.
func TestDebugLogs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		ns    string
		level slog.Level
		want  bool
	}{
		{"debug at DEBUG level", `{"debug": true}`, slog.LevelDebug, true},
		{"debug at INFO level", `{"debug": true}`, slog.LevelInfo, false},
		{"no debug", `{}`, slog.LevelDebug, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
			mw, _, err := New(extra(t, `{"security/cors": `+tt.ns+`}`), logger)
			if err != nil {
				t.Fatal(err)
			}
			mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), preflight("https://a.example.com", "GET"))
			if got := strings.Contains(buf.String(), "Preflight") && strings.Contains(buf.String(), "layer=cors"); got != tt.want {
				t.Errorf("logged = %v, want %v:\n%s", got, tt.want, buf.String())
			}
		})
	}
}
