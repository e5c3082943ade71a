package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Defaults applied when the file says nothing.
const (
	DefaultPort    = 8080
	DefaultTimeout = 2 * time.Second
	// DefaultMaxHeaderBytes is 16 KiB (as Node.js), not KrakenD's 1 MiB: on plain
	// HTTP/1.1 the whole header block must fit in each connection's read
	// buffer, which is this size (see package fastserver).
	DefaultMaxHeaderBytes = 16 << 10
	DefaultMethod         = "GET"
)

// Known KrakenD keys that lambdagate does not implement: warnings, not errors,
// so that a KrakenD file runs. The value says why it is safe to ignore.
var (
	unsupportedService = map[string]string{
		"plugin":                     "Go plugins are not loaded",
		"async_agent":                "async agents are not run",
		"disable_rest":               "endpoints are always served",
		"dns_cache_ttl":              "the system resolver is used",
		"sequential_start":           "start-up order does not matter here",
		"use_h2c":                    "HTTP/2 without TLS is not served",
		"allow_insecure_connections": "backends' TLS certificates are always verified",
		"client_tls":                 "backends use the system's TLS settings",
		"expect_continue_timeout":    "the Go default is used",
		"dialer_fallback_delay":      "the Go default is used",
	}
	unsupportedEndpoint = map[string]string{}
	unsupportedBackend  = map[string]string{
		"sd_scheme": "only static hosts are supported",
	}
	unsupportedTLS = map[string]string{
		"cipher_suites":     "Go's default cipher suites are used",
		"curve_preferences": "Go's default curves are used",
		"enable_mtls":       "client certificates are not asked for",
		"ca_certs":          "client certificates are not asked for",
		// Only read with ca_certs, for client certificates.
		"disable_system_ca_pool": "client certificates are not asked for",
	}
)

// Load reads and parses the file at path. See Parse.
func Load(path string) (*Service, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, &Error{Msg: fmt.Sprintf("cannot read the configuration: %v (pass the file with -c FILE)", err)}
	}
	return Parse(data)
}

// Parse parses a configuration file, applies defaults and validates it. It
// returns warnings (known KrakenD options that are ignored) and, when the file
// has problems, an Errors value listing all of them. Unless the file is not
// JSON at all, the Service is returned even with errors, holding what could
// be read, so that a checker can look for more problems in it; it must not
// be served.
func Parse(data []byte) (*Service, []string, error) {
	var (
		errs  Errors
		warns []string
	)
	if err := checkSyntax(data); err != nil {
		return nil, nil, Errors{err}
	}
	root, ok := newObject("", data, &errs, &warns)
	if !ok {
		return nil, nil, errs
	}
	root.expect(ServiceObject)
	s := &Service{Port: DefaultPort, Timeout: DefaultTimeout, MaxHeaderBytes: DefaultMaxHeaderBytes}
	root.integer("version", &s.Version)
	if !root.has("version") {
		errs.Add("version", "is missing: this gateway reads KrakenD's format, \"version\": 3")
	} else if s.Version != 3 {
		errs.Add("version", "must be 3 (KrakenD's current format), got %d", s.Version)
	}
	root.str("name", &s.Name)
	root.integer("port", &s.Port)
	if s.Port < 0 || s.Port > 65535 {
		errs.Add("port", "must be between 0 and 65535 (0 lets the system choose), got %d", s.Port)
	}
	root.str("listen_ip", &s.ListenIP)
	root.duration("timeout", &s.Timeout)
	if s.Timeout == 0 {
		errs.Add("timeout", "must be above zero")
	}
	root.duration("cache_ttl", &s.CacheTTL)
	root.strings("host", &s.Host)
	root.str("output_encoding", &s.OutputEncoding)
	s.OutputEncoding = checkOutputEncoding("output_encoding", s.OutputEncoding, &warns)
	root.duration("read_timeout", &s.ReadTimeout)
	root.duration("write_timeout", &s.WriteTimeout)
	root.duration("idle_timeout", &s.IdleTimeout)
	root.duration("read_header_timeout", &s.ReadHeaderTimeout)
	root.integer("max_header_bytes", &s.MaxHeaderBytes)
	if s.MaxHeaderBytes <= 0 {
		errs.Add("max_header_bytes", "must be above zero")
	}
	root.duration("max_shutdown_wait_time", &s.MaxShutdownWaitTime)
	root.boolean("debug_endpoint", &s.DebugEndpoint)
	root.boolean("echo_endpoint", &s.EchoEndpoint)
	parseHTTPClient(root, &s.HTTPClient)
	parseTLS(root, &s.TLS)
	root.extra(&s.ExtraConfig)

	eps := root.array("endpoints")
	routes := map[string]string{}
	for i, raw := range eps {
		e := parseEndpoint(Index("endpoints", i), raw, s, &errs, &warns)
		if e == nil {
			continue
		}
		key := e.Method + " " + routeShape(e.Path)
		if prev, dup := routes[key]; dup {
			errs.Add(Join(e.JSONPath, "endpoint"), "%s %s is already served by %s: each method and path may appear once", e.Method, e.Path, prev)
		} else {
			routes[key] = e.JSONPath
		}
		s.Endpoints = append(s.Endpoints, e)
	}
	root.done(unsupportedService)
	return s, warns, errs.Err()
}

// checkSyntax reports a JSON syntax error with its line and column.
func checkSyntax(data []byte) *Error {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the bad one included: the bad
		// character sits one before it (a truncated file ends at Offset).
		off := se.Offset
		if off > 0 && !strings.HasPrefix(se.Error(), "unexpected end") {
			off--
		}
		line, col := lineCol(data, off)
		return &Error{Msg: fmt.Sprintf("line %d, column %d: invalid JSON: %v", line, col, se)}
	}
	return &Error{Msg: fmt.Sprintf("invalid JSON: %v", err)}
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

var validMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true,
}

// Output encodings an endpoint may use.
var outputEncodings = map[string]bool{"json": true, "json-collection": true, "xml": true, "yaml": true, "negotiate": true, "string": true, "no-op": true}

// checkOutputEncoding returns the output encoding enc stands for: itself
// when known, else json, as KrakenD renders an output encoding it does not
// know, with a warning naming it.
func checkOutputEncoding(path, enc string, warns *[]string) string {
	if enc != "" && !outputEncodings[enc] {
		*warns = append(*warns, fmt.Sprintf("%s: %q is not an output encoding lambdagate knows; the endpoint writes json, as KrakenD does (use json, json-collection, xml, yaml, negotiate, string or no-op)", path, enc))
		return "json"
	}
	return enc
}

var backendEncodings = map[string]bool{"json": true, "safejson": true, "xml": true, "rss": true, "string": true, "no-op": true}

var placeholderName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func parseEndpoint(path string, raw json.RawMessage, s *Service, errs *Errors, warns *[]string) *Endpoint {
	o, ok := newObject(path, raw, errs, warns)
	if !ok {
		return nil
	}
	o.expect(EndpointObject)
	e := &Endpoint{JSONPath: path, Method: DefaultMethod, Timeout: s.Timeout, CacheTTL: s.CacheTTL, OutputEncoding: s.OutputEncoding}
	o.str("endpoint", &e.Path)
	if !o.has("endpoint") {
		errs.Add(Join(path, "endpoint"), "is missing: give the path this endpoint serves, such as \"/users/{id}\"")
	} else {
		params, err := endpointParams(e.Path)
		if err != nil {
			errs.Add(Join(path, "endpoint"), "%v", err)
		}
		e.Params = params
	}
	o.str("method", &e.Method)
	e.Method = strings.ToUpper(e.Method)
	if !validMethods[e.Method] {
		errs.Add(Join(path, "method"), "%q is not an HTTP method lambdagate serves (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)", e.Method)
	}
	o.duration("timeout", &e.Timeout)
	if e.Timeout == 0 {
		errs.Add(Join(path, "timeout"), "must be above zero")
	}
	o.duration("cache_ttl", &e.CacheTTL)
	o.integer("concurrent_calls", &e.ConcurrentCalls)
	if e.ConcurrentCalls > 1 {
		*warns = append(*warns, fmt.Sprintf("%s: concurrent calls are not made; each backend is called once", Join(path, "concurrent_calls")))
	}
	o.strings("input_headers", &e.InputHeaders)
	o.strings("input_query_strings", &e.InputQueryStrings)
	o.str("output_encoding", &e.OutputEncoding)
	e.OutputEncoding = checkOutputEncoding(Join(path, "output_encoding"), e.OutputEncoding, warns)
	if e.OutputEncoding == "" {
		e.OutputEncoding = "json"
	}
	o.extra(&e.ExtraConfig)
	backends := o.array("backend")
	if len(backends) == 0 && (!o.has("backend") || string(bytes.TrimSpace(o.m["backend"])) == "[]") {
		errs.Add(Join(path, "backend"), "needs at least one backend")
	}
	for i, braw := range backends {
		b := parseBackend(Index(Join(path, "backend"), i), i, braw, s, e, errs, warns)
		if b != nil {
			e.Backend = append(e.Backend, b)
		}
	}
	if e.OutputEncoding == "no-op" && len(backends) > 1 {
		errs.Add(Join(path, "output_encoding"), "no-op passes one backend's reply through untouched, but this endpoint has %d backends: use one backend or another encoding", len(backends))
	}
	o.done(unsupportedEndpoint)
	return e
}

// endpointParams checks an endpoint path and returns its placeholder names.
func endpointParams(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%q must start with /", p)
	}
	if p == "/__health" || strings.HasPrefix(p, "/__health/") {
		return nil, fmt.Errorf("%q is reserved for the health check", p)
	}
	var params []string
	seen := map[string]bool{}
	for _, seg := range strings.Split(p[1:], "/") {
		if strings.ContainsAny(seg, "?#") {
			return nil, fmt.Errorf("%q: a path may not hold ? or #; query strings are chosen with input_query_strings", p)
		}
		open := strings.IndexByte(seg, '{')
		close := strings.IndexByte(seg, '}')
		if open < 0 && close < 0 {
			continue
		}
		if open != 0 || close != len(seg)-1 {
			return nil, fmt.Errorf("%q: a placeholder must be a whole segment, such as /users/{id}", p)
		}
		name := seg[1 : len(seg)-1]
		if !placeholderName.MatchString(name) {
			return nil, fmt.Errorf("%q: placeholder {%s} must be letters, digits and _", p, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%q: placeholder {%s} appears twice", p, name)
		}
		seen[name] = true
		params = append(params, name)
	}
	return params, nil
}

// routeShape is a path with its placeholders blanked: two routes with the
// same shape cannot be told apart.
func routeShape(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

func parseBackend(path string, idx int, raw json.RawMessage, s *Service, e *Endpoint, errs *Errors, warns *[]string) *Backend {
	o, ok := newObject(path, raw, errs, warns)
	if !ok {
		return nil
	}
	o.expect(BackendObject)
	b := &Backend{JSONPath: path, Index: idx, Method: e.Method, Encoding: "json", SD: "static"}
	o.str("url_pattern", &b.URLPattern)
	if !o.has("url_pattern") {
		errs.Add(Join(path, "url_pattern"), "is missing: give the backend path, such as \"/users/{id}\"")
	} else if !strings.HasPrefix(b.URLPattern, "/") {
		errs.Add(Join(path, "url_pattern"), "%q must start with /", b.URLPattern)
	} else if _, err := URLPlaceholders(b.URLPattern); err != nil {
		errs.Add(Join(path, "url_pattern"), "%v", err)
	}
	o.strings("host", &b.Host)
	if b.Host == nil {
		b.Host = s.Host
	}
	o.str("method", &b.Method)
	b.Method = strings.ToUpper(b.Method)
	// An inherited method was checked on the endpoint already.
	if o.has("method") && !validMethods[b.Method] {
		errs.Add(Join(path, "method"), "%q is not an HTTP method", b.Method)
	}
	o.str("encoding", &b.Encoding)
	if !backendEncodings[b.Encoding] {
		// KrakenD decodes an encoding it does not know ("form", "no_op")
		// as JSON: so does lambdagate, saying so.
		*warns = append(*warns, fmt.Sprintf("%s: %q is not an encoding lambdagate knows; the backend's replies are decoded as json, as KrakenD does (use json, safejson, xml, rss, string or no-op)", Join(path, "encoding"), b.Encoding))
		b.Encoding = "json"
	}
	if e.OutputEncoding == "no-op" {
		b.Encoding = "no-op"
	}
	o.str("group", &b.Group)
	o.str("target", &b.Target)
	o.stringMap("mapping", &b.Mapping)
	o.strings("allow", &b.Allow)
	o.strings("deny", &b.Deny)
	o.boolean("is_collection", &b.IsCollection)
	o.strings("input_headers", &b.InputHeaders)
	o.strings("input_query_strings", &b.InputQueryStrings)
	o.str("sd", &b.SD)
	if b.SD != "static" {
		errs.Add(Join(path, "sd"), "%q is not supported: only \"static\" hosts", b.SD)
	}
	o.boolean("disable_host_sanitize", &b.DisableHostSanitize)
	o.extra(&b.ExtraConfig)
	o.done(unsupportedBackend)
	return b
}
