package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type nsInner struct {
	Depth int `json:"depth"`
}

type nsOptions struct {
	Name    string   `json:"name"`
	Retries int      `json:"retries"`
	On      bool     `json:"on"`
	List    []string `json:"list"`
	Inner   nsInner  `json:"inner"`
}

func TestDecodeNamespace(t *testing.T) {
	t.Parallel()
	const path = `extra_config["x/y"]`
	tests := []struct {
		name    string
		raw     string
		want    nsOptions
		wantErr string
	}{
		{"all fields", `{"name": "n", "retries": 3, "on": true, "list": ["a"], "inner": {"depth": 2}}`,
			nsOptions{Name: "n", Retries: 3, On: true, List: []string{"a"}, Inner: nsInner{Depth: 2}}, ""},
		{"comments at every level", `{"@c": 1, "name": "n", "inner": {"_c": "x", "depth": 1, "#d": [], "$e": {}}}`,
			nsOptions{Name: "n", Inner: nsInner{Depth: 1}}, ""},
		{"unknown key", `{"nme": "n"}`, nsOptions{}, path + ".nme: unknown key (check its spelling against the documentation)"},
		{"unknown nested key", `{"inner": {"depht": 1}}`, nsOptions{}, path + ".depht: unknown key (check its spelling against the documentation)"},
		{"string for int", `{"retries": "3"}`, nsOptions{}, path + ".retries: must be a whole number, got a JSON string"},
		{"float for int", `{"retries": 1.5}`, nsOptions{}, path + ".retries: must be a whole number, got a JSON number 1.5"},
		{"string for bool", `{"on": "yes"}`, nsOptions{}, path + ".on: must be true or false, got a JSON string"},
		{"number for string", `{"name": 1}`, nsOptions{}, path + ".name: must be a string, got a JSON number"},
		{"object for list", `{"list": {}}`, nsOptions{}, path + ".list: must be an array, got a JSON object"},
		{"nested type", `{"inner": {"depth": true}}`, nsOptions{}, path + ".inner.depth: must be a whole number, got a JSON bool"},
		{"not an object", `[1]`, nsOptions{}, path + ": must be a JSON object, got an array"},
		{"scalar", `true`, nsOptions{}, path + ": must be a JSON object, got a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got nsOptions
			err := DecodeNamespace(path, json.RawMessage(tt.raw), &got)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if _, ok := err.(*Error); !ok {
					t.Errorf("error type = %T, want *config.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestExtraConfigUsage(t *testing.T) {
	t.Parallel()
	s, _, err := Parse([]byte(`{"version": 3, "extra_config": {
		"router": {"return_error_msg": true}, "qos/ratelimit/router": {}, "telemetry/logging": {"level": "x"}, "@c": 1
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	x := &s.ExtraConfig
	if got := x.Namespaces(); !reflect.DeepEqual(got, []string{"qos/ratelimit/router", "router", "telemetry/logging"}) {
		t.Errorf("Namespaces = %q", got)
	}
	if !x.Has("router") || x.Has("proxy") {
		t.Errorf("Has(router) = %v, Has(proxy) = %v", x.Has("router"), x.Has("proxy"))
	}
	var r struct {
		ReturnErrorMsg bool `json:"return_error_msg"`
	}
	ok, err := x.Decode("router", &r)
	if !ok || err != nil || !r.ReturnErrorMsg {
		t.Errorf("Decode(router) = %v, %v, %+v", ok, err, r)
	}
	ok, err = x.Decode("proxy", &r)
	if ok || err != nil {
		t.Errorf("Decode(absent) = %v, %v; want false, nil", ok, err)
	}
	var l struct {
		Other string `json:"other"`
	}
	_, err = x.Decode("telemetry/logging", &l)
	if err == nil || err.Error() != `extra_config["telemetry/logging"].level: unknown key (check its spelling against the documentation)` {
		t.Errorf("Decode(telemetry/logging) error = %v", err)
	}
	if got := x.Unused(); !reflect.DeepEqual(got, []string{"qos/ratelimit/router"}) {
		t.Errorf("Unused = %q, want [qos/ratelimit/router]", got)
	}
	if raw, ok := x.Raw("qos/ratelimit/router"); !ok || string(raw) != "{}" {
		t.Errorf("Raw = %s, %v", raw, ok)
	}
	if got := x.Unused(); len(got) != 0 {
		t.Errorf("Unused after Raw = %q, want none", got)
	}
}

func TestDecodeWithLegacy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, extra string
		decoded     string // the name decoded
		want        string // the value decoded
		wantErr     string
	}{
		{"current name", `{"new/ns": {"name": "current"}}`, "new/ns", "current", ""},
		{"legacy name", `{"old_ns": {"name": "legacy"}}`, "old_ns", "legacy", ""},
		{"neither", `{}`, "", "", ""},
		{"both", `{"new/ns": {"name": "current"}, "old_ns": {"name": "legacy"}}`, "old_ns", "",
			`extra_config.old_ns: both "new/ns" and its legacy name are set: keep "new/ns" only`},
		{"legacy name's errors at its path", `{"old_ns": {"nme": "x"}}`, "old_ns", "",
			`extra_config.old_ns.nme: unknown key (check its spelling against the documentation)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _, err := Parse([]byte(`{"version": 3, "extra_config": ` + tt.extra + `}`))
			if err != nil {
				t.Fatal(err)
			}
			var o nsOptions
			decoded, err := s.ExtraConfig.DecodeWithLegacy("new/ns", "old_ns", &o)
			if decoded != tt.decoded || o.Name != tt.want {
				t.Errorf("decoded %q, name = %q; want %q, %q", decoded, o.Name, tt.decoded, tt.want)
			}
			if got := fmt.Sprint(err); tt.wantErr != "" && got != tt.wantErr || tt.wantErr == "" && err != nil {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if unused := s.ExtraConfig.Unused(); len(unused) != 0 {
				t.Errorf("Unused = %q, want both names marked used", unused)
			}
		})
	}
}

func TestErrorsFormatting(t *testing.T) {
	t.Parallel()
	var es Errors
	if es.Err() != nil {
		t.Errorf("empty Errors.Err() = %v, want nil", es.Err())
	}
	es.Add("a.b", "bad %d", 1)
	es.Append("c", &Error{Path: "d", Msg: "m"})
	es.Append("e", Errors{{Msg: "no path"}})
	es.Append("f", strings.NewReader("").UnreadByte()) // a plain error
	es.Append("g", nil)
	want := "a.b: bad 1\nd: m\nno path\nf: strings.Reader.UnreadByte: at beginning of string"
	if es.Err() == nil || es.Error() != want {
		t.Errorf("Errors =\n%v\nwant\n%s", es, want)
	}
}

// FuzzParse feeds Parse any bytes: it must never panic, and a file it
// accepts must hold the invariants the rest of the gateway relies on.
func FuzzParse(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`{"version": 3}`,
		`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a/{id}", "backend": [{"url_pattern": "/b/{id}"}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/a", "method": "post", "output_encoding": "no-op", "backend": [{"url_pattern": "/x", "host": ["h"]}]}]}`,
		`{"version": 3, "timeout": "1s", "cache_ttl": "5m", "extra_config": {"router": {}, "@c": 1}, "endpoints": []}`,
		`{"version": 3, "tls": {"disabled": true}, "endpoints": [{"endpoint": "/{a}/{b}", "backend": [{"url_pattern": "/x?q={a}", "host": ["h"]}]}]}`,
		`{"version": 3, "endpoints": [{"endpoint": "/a", "backend": []}]}`,
		`[`,
		`{"version": 3, "port": 1e3}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := Parse(data)
		if err != nil {
			// With errors, s holds what could be read (for check); it
			// is never served, so only the error is checked.
			var es Errors
			if !asErrors(err, &es) || len(es) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			return
		}
		if s.Version != 3 {
			t.Fatalf("version %d accepted", s.Version)
		}
		if s.Port < 0 || s.Port > 65535 || s.Timeout <= 0 || s.MaxHeaderBytes <= 0 {
			t.Fatalf("bad service values accepted: %+v", s)
		}
		routes := map[string]bool{}
		for _, e := range s.Endpoints {
			if len(e.Backend) == 0 {
				t.Fatalf("%s: endpoint with no backend accepted", e.JSONPath)
			}
			if !strings.HasPrefix(e.Path, "/") || !validMethods[e.Method] || e.Timeout <= 0 {
				t.Fatalf("%s: bad endpoint accepted: %+v", e.JSONPath, e)
			}
			if !outputEncodings[e.OutputEncoding] {
				t.Fatalf("%s: output encoding %q accepted", e.JSONPath, e.OutputEncoding)
			}
			if e.OutputEncoding == "no-op" && len(e.Backend) != 1 {
				t.Fatalf("%s: no-op with %d backends accepted", e.JSONPath, len(e.Backend))
			}
			key := e.Method + " " + routeShape(e.Path)
			if routes[key] {
				t.Fatalf("%s: duplicate route %s accepted", e.JSONPath, key)
			}
			routes[key] = true
			for _, p := range e.Params {
				if !placeholderName.MatchString(p) {
					t.Fatalf("%s: param %q accepted", e.JSONPath, p)
				}
			}
			for _, b := range e.Backend {
				if !strings.HasPrefix(b.URLPattern, "/") || !validMethods[b.Method] || !backendEncodings[b.Encoding] || b.SD != "static" {
					t.Fatalf("%s: bad backend accepted: %+v", b.JSONPath, b)
				}
				if _, err := URLPlaceholders(b.URLPattern); err != nil {
					t.Fatalf("%s: url_pattern %q accepted: %v", b.JSONPath, b.URLPattern, err)
				}
			}
		}
	})
}

func asErrors(err error, dst *Errors) bool {
	es, ok := err.(Errors)
	*dst = es
	return ok
}
