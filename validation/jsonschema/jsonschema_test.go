package jsonschema

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

const addressSchema = `{
	"type": "object",
	"required": ["number", "street_name"],
	"properties": {
		"number": {"type": "number"},
		"street_name": {"type": "string"},
		"street_type": {"enum": ["Street", "Avenue", "Boulevard"]}
	}
}`

// endpoint parses an endpoint whose extra_config is extra.
func endpoint(t *testing.T, extra string) *config.Endpoint {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [{"endpoint": "/a", "method": "POST", "extra_config": ` + extra + `,
		"backend": [{"url_pattern": "/a", "host": ["h"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s.Endpoints[0]
}

func TestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		extra     string
		body      string
		wantErr   string // "" for a body that reaches the backend
		wantLines int
	}{
		{"valid", `{"validation/json-schema": ` + addressSchema + `}`, `{"number": 1600, "street_name": "Pennsylvania", "street_type": "Avenue"}`, "", 0},
		{"missing property", `{"validation/json-schema": ` + addressSchema + `}`, `{"number": 1600}`, "- at /: missing property 'street_name'", 1},
		{"two errors", `{"validation/json-schema": ` + addressSchema + `}`, `{"number": "x", "street_name": "P", "street_type": "Road"}`, "- at /number: got string, want number", 2},
		{"not an object", `{"validation/json-schema": {"type": "object"}}`, `[1]`, "- at /: got array, want object", 1},
		{"empty body", `{"validation/json-schema": {"type": "object"}}`, ``, "could not validate an empty body", 1},
		{"malformed body", `{"validation/json-schema": {"type": "object"}}`, `{"a":`, "could not validate a malformed body", 1},
		{"legacy name", `{"github.com/devopsfaith/krakend-jsonschema": {"type": "object"}}`, `"s"`, "- at /: got string, want object", 1},
		{"draft 2020-12 by $schema", `{"validation/json-schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": [{"type": "number"}]}}`, `["x"]`, "- at /0: got string, want number", 1},
		{"draft-07 by default: prefixItems is no keyword", `{"validation/json-schema": {"prefixItems": [{"type": "number"}]}}`, `["x"]`, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, err := New(endpoint(t, tt.extra))
			if err != nil || mw == nil {
				t.Fatalf("New = %v, %v", mw != nil, err)
			}
			called := false
			p := mw(func(context.Context, *proxy.Request) (*proxy.Response, error) {
				called = true
				return &proxy.Response{IsComplete: true}, nil
			})
			_, err = p(context.Background(), &proxy.Request{Body: []byte(tt.body)})
			if tt.wantErr == "" {
				if err != nil || !called {
					t.Fatalf("error %v, backend called %v; want it called", err, called)
				}
				return
			}
			if called {
				t.Error("the backend was called with an invalid body")
			}
			if proxy.StatusFor(err) != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", proxy.StatusFor(err))
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to hold %q", err, tt.wantErr)
			}
			if n := len(strings.Split(err.Error(), "\n")); n != tt.wantLines {
				t.Errorf("error has %d lines, want %d:\n%v", n, tt.wantLines, err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	if mw, err := New(endpoint(t, `{}`)); mw != nil || err != nil {
		t.Errorf("without the namespace: %v, %v; want nil, nil", mw != nil, err)
	}
	_, err := New(endpoint(t, `{"validation/json-schema": {"type": 12}}`))
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Path != `endpoints[0].extra_config["validation/json-schema"]` {
		t.Errorf("bad schema: error %v, want one at the namespace's path", err)
	}
	_, err = New(endpoint(t, `{"validation/json-schema": {"$ref": "http://127.0.0.1:1/s.json"}}`))
	if err == nil {
		t.Error("a remote $ref was accepted")
	}
	_, err = New(endpoint(t, `{"validation/json-schema": {}, "github.com/devopsfaith/krakend-jsonschema": {}}`))
	if err == nil {
		t.Error("both names accepted")
	}
}

// BenchmarkValidate is the cost per request of a small schema on a small
// valid body (docs/BENCHMARKS.md).
func BenchmarkValidate(b *testing.B) {
	schema, err := Compile([]byte(addressSchema))
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"number": 1600, "street_name": "Pennsylvania", "street_type": "Avenue"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(schema, body); err != nil {
			b.Fatal(err)
		}
	}
}
