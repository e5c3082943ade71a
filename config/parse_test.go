package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustParse parses src and fails the test on any error.
func mustParse(t *testing.T, src string) (*Service, []string) {
	t.Helper()
	s, warns, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return s, warns
}

// errorLines parses src, expects it to fail, and returns its errors one a
// string, in the order Parse reported them.
func errorLines(t *testing.T, src string) []string {
	t.Helper()
	_, _, err := Parse([]byte(src))
	if err == nil {
		t.Fatalf("Parse: want an error, got none")
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse: want config.Errors, got %T: %v", err, err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}

const unknownKey = "unknown key (check its spelling against docs/configuration.md; keys starting with @, $, _ or # are comments)"

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	s, warns := mustParse(t, `{
		"version": 3,
		"host": ["svc:1", "svc:2"],
		"endpoints": [{
			"endpoint": "/users/{id}",
			"backend": [{"url_pattern": "/u/{id}"}]
		}, {
			"endpoint": "/posts",
			"method": "post",
			"backend": [{"url_pattern": "/p"}, {"url_pattern": "/q", "method": "put", "host": ["own"]}]
		}]
	}`)
	if len(warns) != 0 {
		t.Errorf("warnings = %q, want none", warns)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"port", s.Port, 8080},
		{"timeout", s.Timeout, 2 * time.Second},
		{"cache_ttl", s.CacheTTL, time.Duration(0)},
		{"max_header_bytes", s.MaxHeaderBytes, 16 << 10},
		{"max_idle_connections_per_host", s.HTTPClient.MaxIdleConnsPerHost, 250},
		{"tls", s.TLS == nil, true},
		{"endpoints", len(s.Endpoints), 2},
		{"e0 method", s.Endpoints[0].Method, "GET"},
		{"e0 timeout", s.Endpoints[0].Timeout, 2 * time.Second},
		{"e0 output_encoding", s.Endpoints[0].OutputEncoding, "json"},
		{"e0 params", s.Endpoints[0].Params, []string{"id"}},
		{"e0 json path", s.Endpoints[0].JSONPath, "endpoints[0]"},
		{"e0 input_headers", s.Endpoints[0].InputHeaders == nil, true},
		{"e0 b0 method", s.Endpoints[0].Backend[0].Method, "GET"},
		{"e0 b0 host", s.Endpoints[0].Backend[0].Host, []string{"svc:1", "svc:2"}},
		{"e0 b0 encoding", s.Endpoints[0].Backend[0].Encoding, "json"},
		{"e0 b0 sd", s.Endpoints[0].Backend[0].SD, "static"},
		{"e0 b0 json path", s.Endpoints[0].Backend[0].JSONPath, "endpoints[0].backend[0]"},
		{"e1 method upper-cased", s.Endpoints[1].Method, "POST"},
		{"e1 b0 method from endpoint", s.Endpoints[1].Backend[0].Method, "POST"},
		{"e1 b1 own method", s.Endpoints[1].Backend[1].Method, "PUT"},
		{"e1 b1 own host", s.Endpoints[1].Backend[1].Host, []string{"own"}},
		{"e1 b1 index", s.Endpoints[1].Backend[1].Index, 1},
		{"extra_config path", s.ExtraConfig.Path, "extra_config"},
		{"e1 b1 extra_config path", s.Endpoints[1].Backend[1].ExtraConfig.Path, "endpoints[1].backend[1].extra_config"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestParseInheritance(t *testing.T) {
	t.Parallel()
	s, _ := mustParse(t, `{
		"version": 3, "port": 9000, "timeout": "3s", "cache_ttl": "1m", "output_encoding": "string",
		"endpoints": [
			{"endpoint": "/inherit", "backend": [{"url_pattern": "/x", "host": ["h"]}]},
			{"endpoint": "/own", "timeout": "1500ms", "cache_ttl": "10s", "output_encoding": "json-collection",
			 "backend": [{"url_pattern": "/x", "host": ["h"]}]}
		]
	}`)
	tests := []struct {
		name      string
		got, want any
	}{
		{"port", s.Port, 9000},
		{"inherited timeout", s.Endpoints[0].Timeout, 3 * time.Second},
		{"inherited cache_ttl", s.Endpoints[0].CacheTTL, time.Minute},
		{"inherited output_encoding", s.Endpoints[0].OutputEncoding, "string"},
		{"own timeout", s.Endpoints[1].Timeout, 1500 * time.Millisecond},
		{"own cache_ttl", s.Endpoints[1].CacheTTL, 10 * time.Second},
		{"own output_encoding", s.Endpoints[1].OutputEncoding, "json-collection"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseServiceFields(t *testing.T) {
	t.Parallel()
	s, _ := mustParse(t, `{
		"version": 3, "name": "gw", "listen_ip": "127.0.0.1",
		"read_timeout": "1s", "write_timeout": "2s", "idle_timeout": "3s", "read_header_timeout": "4s",
		"max_header_bytes": 4096, "max_shutdown_wait_time": "5s",
		"dialer_timeout": "6s", "dialer_keep_alive": "7s", "disable_keep_alives": true,
		"disable_compression": true, "max_idle_connections": 10, "max_idle_connections_per_host": 5,
		"idle_connection_timeout": "8s", "response_header_timeout": "9s",
		"tls": {"disabled": true},
		"endpoints": []
	}`)
	want := HTTPClient{
		DialerTimeout: 6 * time.Second, DialerKeepAlive: 7 * time.Second, DisableKeepAlives: true,
		DisableCompression: true, MaxIdleConns: 10, MaxIdleConnsPerHost: 5,
		IdleConnTimeout: 8 * time.Second, ResponseHeaderTimeout: 9 * time.Second,
	}
	if s.HTTPClient != want {
		t.Errorf("HTTPClient = %+v, want %+v", s.HTTPClient, want)
	}
	if s.Name != "gw" || s.ListenIP != "127.0.0.1" || s.ReadTimeout != time.Second || s.WriteTimeout != 2*time.Second ||
		s.IdleTimeout != 3*time.Second || s.ReadHeaderTimeout != 4*time.Second || s.MaxHeaderBytes != 4096 ||
		s.MaxShutdownWaitTime != 5*time.Second {
		t.Errorf("service fields not read: %+v", s)
	}
	if s.TLS == nil || !s.TLS.Disabled || s.TLS.MinVersion != "TLS12" || s.TLS.MaxVersion != "TLS13" {
		t.Errorf("TLS = %+v, want disabled with TLS12..TLS13", s.TLS)
	}
}

func TestParseBackendFields(t *testing.T) {
	t.Parallel()
	s, _ := mustParse(t, `{"version": 3, "endpoints": [{
		"endpoint": "/a", "input_headers": ["X-A"], "input_query_strings": ["q"], "concurrent_calls": 1,
		"backend": [{
			"url_pattern": "/x", "host": ["h"], "encoding": "safejson", "group": "g", "target": "t.u",
			"mapping": {"a": "b"}, "allow": ["a", "c.d"], "deny": ["e"], "is_collection": true,
			"input_headers": ["X-B"], "input_query_strings": [], "sd": "static", "disable_host_sanitize": true
		}]
	}]}`)
	e := s.Endpoints[0]
	b := e.Backend[0]
	want := &Backend{
		URLPattern: "/x", Host: []string{"h"}, Method: "GET", Encoding: "safejson", Group: "g", Target: "t.u",
		Mapping: map[string]string{"a": "b"}, Allow: []string{"a", "c.d"}, Deny: []string{"e"}, IsCollection: true,
		InputHeaders: []string{"X-B"}, InputQueryStrings: []string{}, SD: "static", DisableHostSanitize: true,
		ExtraConfig: ExtraConfig{Path: "endpoints[0].backend[0].extra_config"},
		JSONPath:    "endpoints[0].backend[0]",
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("backend =\n%+v\nwant\n%+v", b, want)
	}
	if !reflect.DeepEqual(e.InputHeaders, []string{"X-A"}) || !reflect.DeepEqual(e.InputQueryStrings, []string{"q"}) || e.ConcurrentCalls != 1 {
		t.Errorf("endpoint lists = %q %q %d", e.InputHeaders, e.InputQueryStrings, e.ConcurrentCalls)
	}
}

func TestParseOutputNoOpForcesBackendEncoding(t *testing.T) {
	t.Parallel()
	s, _ := mustParse(t, `{"version": 3, "endpoints": [{"endpoint": "/a", "output_encoding": "no-op",
		"backend": [{"url_pattern": "/x", "host": ["h"], "encoding": "json"}]}]}`)
	if got := s.Endpoints[0].Backend[0].Encoding; got != "no-op" {
		t.Errorf("backend encoding under a no-op endpoint = %q, want no-op", got)
	}
}

func TestParseDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{`"1500ms"`, 1500 * time.Millisecond, ""},
		{`"2s"`, 2 * time.Second, ""},
		{`"1m"`, time.Minute, ""},
		{`"1h30m"`, 90 * time.Minute, ""},
		{`"0s"`, 0, ""},
		{`5`, 0, `cache_ttl: must be a duration string such as "1500ms", "2s" or "1m", got a number`},
		{`"5"`, 0, `cache_ttl: "5" is not a duration: write a number with a unit, such as "1500ms", "2s" or "1m"`},
		{`"soon"`, 0, `cache_ttl: "soon" is not a duration: write a number with a unit, such as "1500ms", "2s" or "1m"`},
		{`"-1s"`, 0, `cache_ttl: "-1s" is negative`},
		{`true`, 0, `cache_ttl: must be a duration string such as "1500ms", "2s" or "1m", got a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			src := `{"version": 3, "cache_ttl": ` + tt.in + `, "endpoints": []}`
			if tt.wantErr != "" {
				got := errorLines(t, src)
				if !reflect.DeepEqual(got, []string{tt.wantErr}) {
					t.Errorf("errors = %q, want %q", got, tt.wantErr)
				}
				return
			}
			s, _ := mustParse(t, src)
			if s.CacheTTL != tt.want {
				t.Errorf("cache_ttl = %v, want %v", s.CacheTTL, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const ok = `{"url_pattern": "/x", "host": ["h"]}`
	ep := func(fields string) string {
		return `{"version": 3, "endpoints": [{` + fields + `}]}`
	}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"version missing", `{"endpoints": []}`,
			[]string{`version: is missing: this gateway reads KrakenD's format, "version": 3`}},
		{"version 2", `{"version": 2}`,
			[]string{"version: must be 3 (KrakenD's current format), got 2"}},
		{"not an object", `[1]`, []string{"must be a JSON object, got an array"}},
		{"unknown root key", `{"version": 3, "portt": 1}`, []string{"portt: " + unknownKey}},
		{"unknown endpoint key", ep(`"endpoint": "/a", "backends": [], "backend": [` + ok + `]`),
			[]string{"endpoints[0].backends: " + unknownKey}},
		{"unknown backend key", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x", "host": ["h"], "urlpattern": "/y"}]`),
			[]string{"endpoints[0].backend[0].urlpattern: " + unknownKey}},
		{"unknown tls key", `{"version": 3, "tls": {"disabled": true, "nope": 1}}`,
			[]string{"tls.nope: " + unknownKey}},
		{"port type", `{"version": 3, "port": "80"}`, []string{"port: must be a whole number, got a string"}},
		{"port fraction", `{"version": 3, "port": 80.5}`, []string{"port: must be a whole number, got 80.5"}},
		{"port range", `{"version": 3, "port": 70000}`,
			[]string{"port: must be between 0 and 65535 (0 lets the system choose), got 70000"}},
		{"zero timeout", `{"version": 3, "timeout": "0s"}`, []string{"timeout: must be above zero"}},
		{"bad max_header_bytes", `{"version": 3, "max_header_bytes": 0}`, []string{"max_header_bytes: must be above zero"}},
		{"host not list", `{"version": 3, "host": "h"}`, []string{"host: must be an array of strings, got a string"}},
		{"endpoints not array", `{"version": 3, "endpoints": {}}`, []string{"endpoints: must be an array, got an object"}},
		{"endpoint not object", `{"version": 3, "endpoints": [1]}`, []string{"endpoints[0]: must be a JSON object, got a number"}},
		{"endpoint path missing", ep(`"backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: is missing: give the path this endpoint serves, such as "/users/{id}"`}},
		{"endpoint no slash", ep(`"endpoint": "a", "backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: "a" must start with /`}},
		{"endpoint health", ep(`"endpoint": "/__health", "backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: "/__health" is reserved for the health check`}},
		{"placeholder part of segment", ep(`"endpoint": "/a/x{id}", "backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: "/a/x{id}": a placeholder must be a whole segment, such as /users/{id}`}},
		{"placeholder bad name", ep(`"endpoint": "/a/{i-d}", "backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: "/a/{i-d}": placeholder {i-d} must be letters, digits and _`}},
		{"placeholder twice", ep(`"endpoint": "/a/{id}/{id}", "backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: "/a/{id}/{id}": placeholder {id} appears twice`}},
		{"query in path", ep(`"endpoint": "/a?b=1", "backend": [` + ok + `]`),
			[]string{`endpoints[0].endpoint: "/a?b=1": a path may not hold ? or #; query strings are chosen with input_query_strings`}},
		{"bad method", ep(`"endpoint": "/a", "method": "FETCH", "backend": [` + ok + `]`),
			[]string{`endpoints[0].method: "FETCH" is not an HTTP method lambdagate serves (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)`}},
		{"bad backend method", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x", "method": "FETCH"}]`),
			[]string{`endpoints[0].backend[0].method: "FETCH" is not an HTTP method`}},
		{"no backend key", ep(`"endpoint": "/a"`), []string{"endpoints[0].backend: needs at least one backend"}},
		{"empty backend", ep(`"endpoint": "/a", "backend": []`), []string{"endpoints[0].backend: needs at least one backend"}},
		{"no-op with two backends", ep(`"endpoint": "/a", "output_encoding": "no-op", "backend": [` + ok + `,` + ok + `]`),
			[]string{"endpoints[0].output_encoding: no-op passes one backend's reply through untouched, but this endpoint has 2 backends: use one backend or another encoding"}},
		{"url_pattern missing", ep(`"endpoint": "/a", "backend": [{"host": ["h"]}]`),
			[]string{`endpoints[0].backend[0].url_pattern: is missing: give the backend path, such as "/users/{id}"`}},
		{"url_pattern no slash", ep(`"endpoint": "/a", "backend": [{"url_pattern": "x", "host": ["h"]}]`),
			[]string{`endpoints[0].backend[0].url_pattern: "x" must start with /`}},
		{"url_pattern open brace", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x/{id", "host": ["h"]}]`),
			[]string{`endpoints[0].backend[0].url_pattern: "/x/{id" has a { with no }`}},
		{"url_pattern close brace", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x/id}", "host": ["h"]}]`),
			[]string{`endpoints[0].backend[0].url_pattern: "/x/id}" has a } with no {`}},
		{"url_pattern empty placeholder", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x/{}", "host": ["h"]}]`),
			[]string{`endpoints[0].backend[0].url_pattern: "/x/{}": placeholder {} is not a name`}},
		{"backend sd", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x", "sd": "dns"}]`),
			[]string{`endpoints[0].backend[0].sd: "dns" is not supported: only "static" hosts`}},
		{"backend mapping type", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x", "mapping": {"a": 1}}]`),
			[]string{`endpoints[0].backend[0].mapping: must be an object of strings, got an object`}},
		{"backend is_collection type", ep(`"endpoint": "/a", "backend": [{"url_pattern": "/x", "is_collection": "yes"}]`),
			[]string{`endpoints[0].backend[0].is_collection: must be true or false, got a string`}},
		{"extra_config not object", ep(`"endpoint": "/a", "extra_config": [], "backend": [` + ok + `]`),
			[]string{`endpoints[0].extra_config: must be an object of namespaces, got an array`}},
		{"duplicate route", `{"version": 3, "endpoints": [
			{"endpoint": "/a/{x}", "backend": [` + ok + `]},
			{"endpoint": "/a/{y}", "backend": [` + ok + `]}]}`,
			[]string{"endpoints[1].endpoint: GET /a/{y} is already served by endpoints[0]: each method and path may appear once"}},
		{"tls files missing", `{"version": 3, "tls": {"min_version": "TLS10"}}`,
			[]string{
				"tls.public_key: is missing: give the PEM file's path",
				"tls.private_key: is missing: give the PEM file's path",
				`tls.min_version: "TLS10" is not allowed: use TLS12 or TLS13 (older versions are insecure)`,
			}},
		{"tls versions reversed", `{"version": 3, "tls": {"disabled": false, "public_key": "/nonexistent/c.pem",
			"private_key": "/nonexistent/k.pem", "min_version": "TLS13", "max_version": "TLS12"}}`,
			[]string{
				"tls.public_key: cannot read /nonexistent/c.pem: stat /nonexistent/c.pem: no such file or directory",
				"tls.private_key: cannot read /nonexistent/k.pem: stat /nonexistent/k.pem: no such file or directory",
				"tls.max_version: is below min_version",
			}},
		{"negative idle connections", `{"version": 3, "max_idle_connections": -1}`,
			[]string{"max_idle_connections: must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := errorLines(t, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseDistinctRoutesAreNotDuplicates(t *testing.T) {
	t.Parallel()
	s, _ := mustParse(t, `{"version": 3, "host": ["h"], "endpoints": [
		{"endpoint": "/a/{x}", "backend": [{"url_pattern": "/x"}]},
		{"endpoint": "/a/{x}", "method": "POST", "backend": [{"url_pattern": "/x"}]},
		{"endpoint": "/a/b", "backend": [{"url_pattern": "/x"}]}
	]}`)
	if len(s.Endpoints) != 3 {
		t.Fatalf("endpoints = %d, want 3", len(s.Endpoints))
	}
}

// TestParseReportsEveryError checks that problems at different levels of
// the file are all reported by one Parse, not only the first.
func TestParseReportsEveryError(t *testing.T) {
	t.Parallel()
	got := errorLines(t, `{
		"version": 3,
		"timeout": "fast",
		"typo": 1,
		"endpoints": [
			{"endpoint": "/ok", "backend": [{"url_pattern": "/x", "host": ["h"]}]},
			{"endpoint": "/b", "method": "NOPE", "backend": [{"url_pattern": "/x", "host": ["h"], "sd": "dns"}]},
			{"endpoint": "/c", "backend": [{"host": ["h"]}, {"url_pattern": "/y", "extra": true}]}
		]
	}`)
	want := []string{
		`timeout: "fast" is not a duration: write a number with a unit, such as "1500ms", "2s" or "1m"`,
		`endpoints[1].method: "NOPE" is not an HTTP method lambdagate serves (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)`,
		`endpoints[1].backend[0].sd: "dns" is not supported: only "static" hosts`,
		`endpoints[2].backend[0].url_pattern: is missing: give the backend path, such as "/users/{id}"`,
		`endpoints[2].backend[1].extra: ` + unknownKey,
		`typo: ` + unknownKey,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseCommentKeys(t *testing.T) {
	t.Parallel()
	s, warns := mustParse(t, `{
		"version": 3, "@comment": "root", "$schema": "x", "_note": 1, "#tag": [],
		"extra_config": {"@comment": "ns", "router": {}},
		"endpoints": [{
			"endpoint": "/a", "@comment": {"nested": true}, "_x": null,
			"backend": [{"url_pattern": "/x", "host": ["h"], "#c": 1, "$d": 2,
				"extra_config": {"_off": {"anything": 1}}}]
		}]
	}`)
	if len(warns) != 0 {
		t.Errorf("warnings = %q, want none", warns)
	}
	if got := s.ExtraConfig.Namespaces(); !reflect.DeepEqual(got, []string{"router"}) {
		t.Errorf("service namespaces = %q, want [router]", got)
	}
	if got := s.Endpoints[0].Backend[0].ExtraConfig.Namespaces(); len(got) != 0 {
		t.Errorf("backend namespaces = %q, want none", got)
	}
}

func TestIsComment(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{"@a": true, "$a": true, "_a": true, "#a": true, "@": true, "a@": false, "": false, "a": false, "-a": false}
	for k, want := range tests {
		if got := IsComment(k); got != want {
			t.Errorf("IsComment(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestParseWarnings(t *testing.T) {
	t.Parallel()
	_, warns := mustParse(t, `{
		"version": 3, "debug_endpoint": true, "echo_endpoint": true, "dns_cache_ttl": "1s", "use_h2c": true,
		"tls": {"disabled": true, "cipher_suites": [1]},
		"endpoints": [{
			"endpoint": "/a", "concurrent_calls": 3,
			"backend": [{"url_pattern": "/x", "host": ["h"], "sd_scheme": "http"}]
		}]
	}`)
	want := []string{
		"tls.cipher_suites: not supported by lambdagate, ignored (Go's default cipher suites are used)",
		"endpoints[0].concurrent_calls: concurrent calls are not made; each backend is called once",
		"endpoints[0].backend[0].sd_scheme: not supported by lambdagate, ignored (only static hosts are supported)",
		"dns_cache_ttl: not supported by lambdagate, ignored (the system resolver is used)",
		"use_h2c: not supported by lambdagate, ignored (HTTP/2 without TLS is not served)",
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings =\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseEncodings checks the encodings KrakenD files use: the known ones
// kept, an unknown one read as json (KrakenD's rule) with a warning that
// names it and its path.
func TestParseEncodings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		output     string // the endpoint's output_encoding in the file
		encoding   string // its backend's encoding in the file
		wantOutput string
		wantEnc    string
		wantWarn   string
	}{
		{"xml backend", "", "xml", "json", "xml", ""},
		{"rss backend", "", "rss", "json", "rss", ""},
		{"xml output", "xml", "json", "xml", "json", ""},
		{"yaml output", "yaml", "json", "yaml", "json", ""},
		{"negotiate output", "negotiate", "json", "negotiate", "json", ""},
		{"form backend", "", "form", "json", "json",
			`endpoints[0].backend[0].encoding: "form" is not an encoding lambdagate knows; the backend's replies are decoded as json, as KrakenD does (use json, safejson, xml, rss, string or no-op)`},
		{"no_op backend", "", "no_op", "json", "json",
			`endpoints[0].backend[0].encoding: "no_op" is not an encoding lambdagate knows; the backend's replies are decoded as json, as KrakenD does (use json, safejson, xml, rss, string or no-op)`},
		{"fast-json output", "fast-json", "json", "json", "json",
			`endpoints[0].output_encoding: "fast-json" is not an output encoding lambdagate knows; the endpoint writes json, as KrakenD does (use json, json-collection, xml, yaml, negotiate, string or no-op)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := ""
			if tt.output != "" {
				out = fmt.Sprintf(`"output_encoding": %q, `, tt.output)
			}
			s, warns := mustParse(t, fmt.Sprintf(`{"version": 3, "endpoints": [{"endpoint": "/a", %s"backend": [{"url_pattern": "/x", "host": ["h"], "encoding": %q}]}]}`, out, tt.encoding))
			e := s.Endpoints[0]
			if e.OutputEncoding != tt.wantOutput || e.Backend[0].Encoding != tt.wantEnc {
				t.Errorf("output_encoding %q, encoding %q; want %q, %q", e.OutputEncoding, e.Backend[0].Encoding, tt.wantOutput, tt.wantEnc)
			}
			var want []string
			if tt.wantWarn != "" {
				want = []string{tt.wantWarn}
			}
			if !reflect.DeepEqual(warns, want) {
				t.Errorf("warnings = %q, want %q", warns, want)
			}
		})
	}
}

func TestParseWarningsKeptWithErrors(t *testing.T) {
	t.Parallel()
	_, warns, err := Parse([]byte(`{"version": 3, "dns_cache_ttl": "1s", "bad": 1}`))
	if err == nil || err.Error() != "bad: "+unknownKey {
		t.Errorf("err = %v", err)
	}
	if len(warns) != 1 || !strings.HasPrefix(warns[0], "dns_cache_ttl: ") {
		t.Errorf("warnings = %q, want the dns_cache_ttl one", warns)
	}
}

func TestParseSyntaxError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"stray comma", "{\n  \"version\": 3,\n  \"port\": ,\n}",
			"line 3, column 11: invalid JSON: invalid character ',' looking for beginning of value"},
		{"missing colon", `{"version" 3}`,
			"line 1, column 12: invalid JSON: invalid character '3' after object key"},
		{"trailing comma", "{\n\"version\": 3,\n}",
			"line 3, column 1: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"truncated", "{\n\"version\": 3",
			"line 2, column 13: invalid JSON: unexpected end of JSON input"},
		{"empty", "", "line 1, column 1: invalid JSON: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := errorLines(t, tt.src)
			if !reflect.DeepEqual(got, []string{tt.want}) {
				t.Errorf("errors = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, _ := json.Marshal(map[string]any{
		"version": 3,
		"tls":     map[string]any{"public_key": cert, "private_key": key, "min_version": "TLS13"},
	})
	s, _ := mustParse(t, string(src))
	want := &TLS{PublicKey: cert, PrivateKey: key, MinVersion: "TLS13", MaxVersion: "TLS13"}
	if !reflect.DeepEqual(s.TLS, want) {
		t.Errorf("TLS = %+v, want %+v", s.TLS, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	_, _, err := Load(filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot read the configuration: open ") ||
		!strings.HasSuffix(err.Error(), "(pass the file with -c FILE)") {
		t.Errorf("Load(missing) error = %v", err)
	}
	p := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(p, []byte(`{"version": 3, "port": 1234}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := Load(p)
	if err != nil || s.Port != 1234 {
		t.Errorf("Load = %+v, %v; want port 1234", s, err)
	}
}

func TestURLPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"/a", nil, ""},
		{"/a/{id}/b/{Name}", []string{"id", "Name"}, ""},
		{"/a?x={id}&y={resp0_a.b}", []string{"id", "resp0_a.b"}, ""},
		{"/a/{id", nil, `"/a/{id" has a { with no }`},
		{"/a/}{", nil, `"/a/}{" has a } with no {`},
		{"/a/{a/b}", nil, `"/a/{a/b}": placeholder {a/b} is not a name`},
		{"/a/{JWT.http://example.com/custom}", []string{"JWT.http://example.com/custom"}, ""},
		{"/a/{JWT.a b}", nil, `"/a/{JWT.a b}": placeholder {JWT.a b} is not a name`},
		{"/a/{a{b}", nil, `"/a/{a{b}": placeholder {a{b} is not a name`},
	}
	for _, tt := range tests {
		got, err := URLPlaceholders(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("URLPlaceholders(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("URLPlaceholders(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestJoinAndIndex(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{Join("", "port"), "port"},
		{Join("endpoints[0]", "backend"), "endpoints[0].backend"},
		{Join("extra_config", "backend/http"), `extra_config["backend/http"]`},
		{Join("extra_config", "telemetry/logging"), `extra_config["telemetry/logging"]`},
		{Index("endpoints", 3), "endpoints[3]"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestParsePartialService checks that a file with errors still gives what
// could be read, for check to look further; a syntax error gives nothing.
func TestParsePartialService(t *testing.T) {
	t.Parallel()
	s, _, err := Parse([]byte(`{"version": 3, "typo": 1, "host": ["h"], "endpoints": [
		{"endpoint": "/a", "backend": [{"url_pattern": "/x"}]},
		{"endpoint": "/b", "backend": [1]}]}`))
	if err == nil || s == nil || len(s.Endpoints) != 2 || len(s.Endpoints[1].Backend) != 0 || s.Endpoints[0].Backend[0].Host[0] != "h" {
		t.Errorf("Parse = %+v, %v", s, err)
	}
	if s, _, err := Parse([]byte(`{`)); s != nil || err == nil {
		t.Errorf("Parse(syntax error) = %+v, %v; want nil and an error", s, err)
	}
}
