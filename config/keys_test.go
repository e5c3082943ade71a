package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// fileWith returns a valid file with key set to raw in the object obj.
func fileWith(t *testing.T, obj FileObject, key string, raw json.RawMessage) ([]byte, string) {
	t.Helper()
	backend := map[string]any{"url_pattern": "/b", "host": []string{"http://h"}}
	endpoint := map[string]any{"endpoint": "/a", "backend": []any{backend}}
	root := map[string]any{"version": 3, "endpoints": []any{endpoint}}
	var m map[string]any
	var path string
	switch obj {
	case ServiceObject:
		m, path = root, key
	case EndpointObject:
		m, path = endpoint, "endpoints[0]."+key
	case BackendObject:
		m, path = backend, "endpoints[0].backend[0]."+key
	case TLSObject:
		// An existing file stands for the key pair: only its presence is
		// checked while parsing.
		m = map[string]any{"public_key": "keys_test.go", "private_key": "keys_test.go"}
		root["tls"] = m
		path = "tls." + key
	}
	if raw == nil {
		delete(m, key)
	} else {
		m[key] = raw
	}
	data, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return data, path
}

// wrongValue is a value of another type than kind.
func wrongValue(k KeyKind) json.RawMessage {
	switch k {
	case KeyString, KeyBool, KeyInt, KeyDuration:
		return json.RawMessage(`[1]`)
	}
	return json.RawMessage(`"x"`)
}

// TestKeyTablesMatchTheDecoder checks that every key of the tables is read
// by the decoder with its kind: a value of another type is an error at its
// path (not an unknown key), a value outside Enum too, and a required key
// that is missing is reported.
func TestKeyTablesMatchTheDecoder(t *testing.T) {
	for _, obj := range []FileObject{ServiceObject, EndpointObject, BackendObject, TLSObject} {
		for _, k := range Keys(obj) {
			t.Run(string(obj)+"/"+k.Name, func(t *testing.T) {
				data, path := fileWith(t, obj, k.Name, wrongValue(k.Kind))
				_, _, err := Parse(data)
				msg := errorAt(err, path)
				if msg == "" || strings.Contains(msg, "unknown key") {
					t.Fatalf("a %s of another type: want an error at %s, got %v", k.Name, path, err)
				}
				if len(k.Enum) > 0 {
					data, path := fileWith(t, obj, k.Name, json.RawMessage(`"not-one-of-them"`))
					_, warns, err := Parse(data)
					switch {
					case k.Lenient && err != nil:
						t.Fatalf("a value outside %v: want a warning at %s, got %v", k.Enum, path, err)
					case k.Lenient && !warnedAt(warns, path):
						t.Fatalf("a value outside %v: want a warning at %s, got %q", k.Enum, path, warns)
					case !k.Lenient && errorAt(err, path) == "":
						t.Fatalf("a value outside %v: want an error at %s, got %v", k.Enum, path, err)
					}
				}
				if k.Required {
					data, path := fileWith(t, obj, k.Name, nil)
					_, _, err := Parse(data)
					if errorAt(err, path) == "" {
						t.Fatalf("missing: want an error at %s, got %v", path, err)
					}
				}
			})
		}
	}
}

func errorAt(err error, path string) string {
	errs, _ := err.(Errors)
	for _, e := range errs {
		if e.Path == path {
			return e.Msg
		}
	}
	return ""
}

// TestUnknownKeyIsRefused checks the other direction: a key in no table
// and not a comment is an error.
func TestUnknownKeyIsRefused(t *testing.T) {
	for _, obj := range []FileObject{ServiceObject, EndpointObject, BackendObject, TLSObject} {
		data, path := fileWith(t, obj, "no_such_key", json.RawMessage(`1`))
		_, _, err := Parse(data)
		if !strings.Contains(errorAt(err, path), "unknown key") {
			t.Errorf("%s: want unknown key at %s, got %v", obj, path, err)
		}
		data, _ = fileWith(t, obj, "$schema", json.RawMessage(`"x"`))
		if _, _, err := Parse(data); err != nil {
			t.Errorf("%s: a comment key: %v", obj, err)
		}
	}
}

func warnedAt(warns []string, path string) bool {
	for _, w := range warns {
		if strings.HasPrefix(w, path+":") {
			return true
		}
	}
	return false
}

// TestTLSKeyPairs: KrakenD's tls.keys holds the key pair; one pair is
// served as public_key and private_key are, anything else is an error at
// its path.
func TestTLSKeyPairs(t *testing.T) {
	for _, tc := range []struct {
		name, tls, errAt string
	}{
		{name: "one pair", tls: `{"keys": [{"public_key": "keys_test.go", "private_key": "parse.go"}]}`},
		{name: "a comment in the pair", tls: `{"keys": [{"@c": "x", "public_key": "keys_test.go", "private_key": "parse.go"}]}`},
		{name: "two pairs", tls: `{"keys": [{"public_key": "keys_test.go", "private_key": "parse.go"}, {"public_key": "a", "private_key": "b"}]}`, errAt: "tls.keys"},
		{name: "none", tls: `{"keys": []}`, errAt: "tls.keys"},
		{name: "both forms", tls: `{"public_key": "keys_test.go", "private_key": "parse.go", "keys": [{"public_key": "keys_test.go", "private_key": "parse.go"}]}`, errAt: "tls.keys"},
		{name: "unknown key in a pair", tls: `{"keys": [{"public_key": "keys_test.go", "private_key": "parse.go", "cert": "x"}]}`, errAt: "tls.keys[0].cert"},
		{name: "missing private key", tls: `{"keys": [{"public_key": "keys_test.go"}]}`, errAt: "tls.keys[0].private_key"},
		{name: "not a string", tls: `{"keys": [{"public_key": 1, "private_key": "parse.go"}]}`, errAt: "tls.keys[0].public_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, err := Parse([]byte(`{"version": 3, "tls": ` + tc.tls + `, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/b", "host": ["http://h"]}]}]}`))
			if tc.errAt != "" {
				if errorAt(err, tc.errAt) == "" {
					t.Fatalf("want an error at %s, got %v", tc.errAt, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.TLS == nil || s.TLS.PublicKey != "keys_test.go" || s.TLS.PrivateKey != "parse.go" {
				t.Fatalf("TLS = %+v, want the pair of tls.keys", s.TLS)
			}
		})
	}
}

// TestUnsupportedKeysAreWarned: every key of UnsupportedKeys is accepted
// with a warning at its path that says why, not refused.
func TestUnsupportedKeysAreWarned(t *testing.T) {
	for _, obj := range []FileObject{ServiceObject, EndpointObject, BackendObject, TLSObject} {
		for k, why := range UnsupportedKeys(obj) {
			t.Run(string(obj)+"/"+k, func(t *testing.T) {
				data, path := fileWith(t, obj, k, json.RawMessage(`1`))
				_, warns, err := Parse(data)
				if msg := errorAt(err, path); msg != "" {
					t.Fatalf("want a warning at %s, got the error %q", path, msg)
				}
				if !warnedAt(warns, path) || !strings.Contains(strings.Join(warns, "\n"), why) {
					t.Fatalf("want a warning at %s saying %q, got %q", path, why, warns)
				}
			})
		}
	}
}
