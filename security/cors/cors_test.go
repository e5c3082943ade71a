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
	"github.com/lambdagate/lambdagate/internal/layertest"
)

// layer builds the CORS layer of the namespace ns (a JSON object) around
// a handler that counts its calls and answers 200 with the headers set.
func layer(t *testing.T, ns string, set http.Header) (http.Handler, *int) {
	t.Helper()
	mw, _, err := New(layertest.Extra(t, `{"security/cors": `+ns+`}`), nil)
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
	layertest.RunOptions(t, "security/cors", []layertest.OptionCase{
		layertest.Case("allow_origins lists an origin", `{"allow_origins": ["https://app.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": site, "Vary": "Origin"}, true),
		layertest.Case("allow_origins ignores letter case", `{"allow_origins": ["https://APP.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": site}, true),
		layertest.Case("an origin not listed gets no CORS headers", `{"allow_origins": ["https://other.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}, true),
		layertest.Case("a wildcard inside an origin", `{"allow_origins": ["https://*.example.com"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": site}, true),
		layertest.Case("a wildcard does not match another domain", `{"allow_origins": ["https://*.example.com"]}`, actual("GET", "https://example.org"), 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, true),
		layertest.Case("* allows any origin", `{"allow_origins": ["https://a.example.com", "*"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, true),
		layertest.Case("no allow_origins allows any origin", `{}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, true),
		layertest.Case("a request without Origin gets no CORS headers", `{}`, actual("GET", ""), 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}, true),

		layertest.Case("a preflight is answered 204, not passed on", `{"allow_origins": ["https://app.example.com"]}`, preflight(site, "POST"), 204,
			map[string]string{"Access-Control-Allow-Origin": site, "Access-Control-Allow-Methods": "POST",
				"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}, false),
		layertest.Case("a preflight from an origin not listed gets no CORS headers", `{"allow_origins": ["https://other.example.com"]}`, preflight(site, "POST"), 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false),
		layertest.Case("options_success_status", `{"options_success_status": 200}`, preflight(site, "GET"), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, false),

		layertest.Case("allow_methods defaults to GET, HEAD, POST", `{}`, preflight(site, "PUT"), 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false),
		layertest.Case("allow_methods allows PUT", `{"allow_methods": ["PUT"]}`, preflight(site, "PUT"), 204,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "PUT"}, false),
		layertest.Case("allow_methods refuses the others", `{"allow_methods": ["PUT"]}`, preflight(site, "POST"), 204,
			map[string]string{"Access-Control-Allow-Origin": ""}, false),
		layertest.Case("allow_methods applies to actual requests", `{"allow_methods": ["PUT"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, true),

		layertest.Case("any header by default, as in KrakenD", `{}`, preflight(site, "GET", "Access-Control-Request-Headers", "x-custom,authorization"), 204,
			map[string]string{"Access-Control-Allow-Headers": "x-custom,authorization"}, false),
		layertest.Case("allow_headers lists the headers", `{"allow_headers": ["X-Custom"]}`, preflight(site, "GET", "Access-Control-Request-Headers", "x-custom"), 204,
			map[string]string{"Access-Control-Allow-Headers": "x-custom", "Access-Control-Allow-Origin": "*"}, false),
		layertest.Case("allow_headers refuses the others", `{"allow_headers": ["X-Custom"]}`, preflight(site, "GET", "Access-Control-Request-Headers", "authorization"), 204,
			map[string]string{"Access-Control-Allow-Headers": "", "Access-Control-Allow-Origin": ""}, false),

		layertest.Case("expose_headers on actual requests", `{"expose_headers": ["x-request-id", "Content-Length"]}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Expose-Headers": "X-Request-Id, Content-Length"}, true),
		layertest.Case("no expose_headers: none", `{}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Expose-Headers": ""}, true),

		layertest.Case("allow_credentials", `{"allow_origins": ["https://app.example.com"], "allow_credentials": true}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Origin": site}, true),
		layertest.Case("allow_credentials on a preflight", `{"allow_origins": ["https://app.example.com"], "allow_credentials": true}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Allow-Credentials": "true"}, false),
		// rs/cors answers * with credentials (New warns: browsers refuse it).
		layertest.Case("allow_credentials with any origin answers *", `{"allow_origins": ["*"], "allow_credentials": true}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Origin": "*"}, true),
		layertest.Case("no allow_credentials: no header", `{}`, actual("GET", site), 200,
			map[string]string{"Access-Control-Allow-Credentials": ""}, true),

		layertest.Case("max_age in whole seconds", `{"max_age": "12h"}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Max-Age": "43200"}, false),
		layertest.Case("max_age under a second: no header", `{"max_age": "500ms"}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Max-Age": ""}, false),
		layertest.Case("no max_age: no header", `{}`, preflight(site, "GET"), 204,
			map[string]string{"Access-Control-Max-Age": ""}, false),

		layertest.Case("allow_private_network", `{"allow_private_network": true}`, preflight(site, "GET", "Access-Control-Request-Private-Network", "true"), 204,
			map[string]string{"Access-Control-Allow-Private-Network": "true",
				"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"}, false),
		layertest.Case("no allow_private_network: no header", `{}`, preflight(site, "GET", "Access-Control-Request-Private-Network", "true"), 204,
			map[string]string{"Access-Control-Allow-Private-Network": ""}, false),

		layertest.Case("options_passthrough passes the preflight on", `{"options_passthrough": true}`, preflight(site, "GET"), 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET"}, true),
		layertest.Case("an OPTIONS without Access-Control-Request-Method is not a preflight", `{}`, actual("OPTIONS", site), 200,
			map[string]string{"Access-Control-Allow-Origin": "*"}, true),
	}, func(x *config.ExtraConfig) (func(http.Handler) http.Handler, error) {
		mw, _, err := New(x, nil)
		return mw, err
	})
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
	mw, _, err := New(layertest.Extra(t, `{"security/cors": {}}`), nil)
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
	layertest.RunNew(t, []layertest.NewCase{
		{Name: "absent: no layer", Extra: `{}`, Absent: true},
		{Name: "empty: a layer with KrakenD's defaults", Extra: `{"security/cors": {}}`},
		{Name: "legacy name", Extra: `{"github_com/devopsfaith/krakend-cors": {"allow_origins": ["https://a.example.com"]}}`},
		{Name: "both names", Extra: `{"security/cors": {}, "github_com/devopsfaith/krakend-cors": {}}`, Absent: true,
			Errs: []string{`extra_config["github_com/devopsfaith/krakend-cors"]: both "security/cors" and its legacy name are set: keep "security/cors" only`}},
		{Name: "unknown key", Extra: `{"security/cors": {"allow_origin": ["*"]}}`, Absent: true,
			Errs: []string{ns + `.allow_origin: unknown key (check its spelling against the documentation)`}},
		{Name: "legacy name's errors name its path", Extra: `{"github_com/devopsfaith/krakend-cors": {"max_age": 12}}`, Absent: true,
			Errs: []string{`extra_config["github_com/devopsfaith/krakend-cors"].max_age: must be a string, got a JSON number`}},
		{Name: "wrong type", Extra: `{"security/cors": {"allow_credentials": "yes"}}`, Absent: true,
			Errs: []string{ns + `.allow_credentials: must be true or false, got a JSON string`}},
		{Name: "every bad value at once", Extra: `{"security/cors": {
			"allow_origins": ["https://*.*.example.com", ""], "allow_methods": ["GET", "get", "TRACE"],
			"max_age": "12", "options_success_status": 404}}`, Absent: true,
			Errs: []string{
				ns + `.allow_origins[0]: "https://*.*.example.com" has more than one *: write an origin such as "https://example.com" or "https://*.example.com", or "*" for any`,
				ns + `.allow_origins[1]: is empty: write an origin such as "https://example.com", or "*" for any`,
				ns + `.allow_methods[1]: "get" is not a method CORS allows here: write one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, in uppercase`,
				ns + `.allow_methods[2]: "TRACE" is not a method CORS allows here: write one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, in uppercase`,
				ns + `.max_age: "12" is not a duration: write a number with a unit, such as "12h", "30m" or "3600s"`,
				ns + `.options_success_status: 404 is not a success status: browsers accept a preflight answered 200 to 299; write 204 (the default) or 200`,
			}},
		{Name: "negative max_age", Extra: `{"security/cors": {"max_age": "-1h"}}`, Absent: true,
			Errs: []string{ns + `.max_age: "-1h" is negative: write a duration such as "12h", or leave it out`}},
		{Name: "credentials with any origin warns", Extra: `{"security/cors": {"allow_credentials": true}}`,
			Warns: []string{ns + `: allow_credentials with any origin answers "Access-Control-Allow-Origin: *", which browsers refuse for requests with credentials; list the origins in allow_origins`}},
		{Name: "options_passthrough warns", Extra: `{"security/cors": {"options_passthrough": true}}`,
			Warns: []string{ns + `.options_passthrough: preflight requests go on to the router, which answers them only where an endpoint has method OPTIONS (405 elsewhere, unless router auto_options answers them)`}},
	}, func(x *config.ExtraConfig) (bool, []string, error) {
		mw, warns, err := New(x, nil)
		return mw != nil, warns, err
	})
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
			mw, _, err := New(layertest.Extra(t, `{"security/cors": `+tt.ns+`}`), logger)
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
