package confschema

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/gateway"
	"github.com/lambdagate/lambdagate/telemetry"
)

var update = flag.Bool("update", false, "rewrite descriptions.json from the docs")

func readDocs(t *testing.T) map[string][]byte {
	t.Helper()
	pages := map[string][]byte{}
	for _, f := range DocFiles {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		pages[f] = b
	}
	return pages
}

// TestDescriptionsMatchDocs checks that descriptions.json is what the
// docs' option tables say (go test ./internal/confschema -update rewrites it).
func TestDescriptionsMatchDocs(t *testing.T) {
	want, err := json.MarshalIndent(ParseDocs(readDocs(t)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile("descriptions.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, descriptionsJSON) {
		t.Fatal("descriptions.json differs from the docs' option tables: run go test ./internal/confschema -update")
	}
}

// TestEveryOptionIsDocumented checks that the schema builds: every key of
// the file and every option of a namespace has a description from the
// docs, and every namespace key of an options type has its own row (a
// nested option may take its enclosing option's).
func TestEveryOptionIsDocumented(t *testing.T) {
	if _, err := Schema(); err != nil {
		t.Fatal(err)
	}
	var d Descriptions
	if err := json.Unmarshal(descriptionsJSON, &d); err != nil {
		t.Fatal(err)
	}
	for _, ot := range config.RegisteredOptions() {
		scope := "ns:" + ot.Namespace
		if ns, _ := config.LookupNamespace(ot.Namespace); ns.Current != "" {
			scope = "ns:" + ns.Current
		}
		typ := ot.Type
		for typ.Kind() == reflect.Slice {
			typ = typ.Elem() // an array of objects: its elements' options
		}
		if typ.Kind() != reflect.Struct {
			continue // a free-form object, described by its namespace
		}
		for _, f := range fields(typ) {
			if _, ok := d[scope][f.name]; !ok {
				t.Errorf("%s: option %q has no row in the docs' option tables", ot.Namespace, f.name)
			}
		}
	}
	for _, obj := range []config.FileObject{config.ServiceObject, config.EndpointObject, config.BackendObject, config.TLSObject} {
		for _, k := range config.Keys(obj) {
			if _, ok := d[string(obj)][k.Name]; !ok {
				t.Errorf("%s: key %q has no row in the docs", obj, k.Name)
			}
		}
	}
}

// TestRegistryMatchesNamespaceTable checks that the namespaces with
// registered options are exactly those config's table says lambdagate
// reads, at the levels it names.
func TestRegistryMatchesNamespaceTable(t *testing.T) {
	registered := map[string]config.Levels{}
	for _, ot := range config.RegisteredOptions() {
		registered[ot.Namespace] |= ot.Levels
	}
	for _, name := range config.KnownNamespaces() {
		ns, _ := config.LookupNamespace(name)
		if ns.ReadBy == "" {
			if _, ok := registered[name]; ok {
				t.Errorf("%q has registered options but no ReadBy in config's namespace table", name)
			}
			continue
		}
		var want config.Levels
		for word, l := range map[string]config.Levels{"service": config.OnService, "endpoint": config.OnEndpoints, "backend": config.OnBackends} {
			if strings.Contains(ns.ReadBy, word) {
				want |= l
			}
		}
		if got := registered[name]; got != want {
			t.Errorf("%q is read %s by the table, registered at levels %b, want %b", name, ns.ReadBy, got, want)
		}
	}
	for name := range registered {
		if _, ok := config.LookupNamespace(name); !ok {
			t.Errorf("%q is registered but not in config's namespace table", name)
		}
	}
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("lambdagate.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("lambdagate.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

func isolateAWS(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
}

// decoderErrors is every error `lambdagate check` reports for a file: the
// file's own, and those of building the gateway (namespaces).
func decoderErrors(t *testing.T, data []byte) config.Errors {
	t.Helper()
	cfg, _, err := config.Parse(data)
	var errs config.Errors
	errs.Append("", err)
	if cfg != nil {
		_, _, lerr := telemetry.NewLogger(&cfg.ExtraConfig, io.Discard, io.Discard)
		errs.Append("", lerr)
		gw, _, gerr := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.DiscardHandler), LocalLambdaURL: "http://127.0.0.1:9001"})
		if gw != nil {
			gw.Close()
		}
		errs.Append("", gerr)
	}
	return errs
}

func unknownKeys(errs config.Errors) []string {
	var out []string
	for _, e := range errs {
		if strings.Contains(e.Msg, "unknown key") {
			out = append(out, e.Path)
		}
	}
	return out
}

// configFiles are the configuration files of examples/ and of every
// testdata directory: the JSON files with a top-level "version".
func configFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() || !strings.HasSuffix(p, ".json") || !(strings.HasPrefix(rel, "examples"+string(filepath.Separator)) || strings.Contains(rel, "testdata"+string(filepath.Separator))) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(b, &top) == nil && top["version"] != nil {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("found only %v", out)
	}
	return out
}

// TestFilesOfTheRepository validates every configuration file of examples/
// and testdata/: a file the decoder refuses for an unknown key fails the
// schema, every other one passes it.
func TestFilesOfTheRepository(t *testing.T) {
	isolateAWS(t)
	s := compile(t)
	for _, f := range configFiles(t) {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", f))
			if err != nil {
				t.Fatal(err)
			}
			unknown := unknownKeys(decoderErrors(t, data))
			err = validate(t, s, data)
			switch {
			case len(unknown) > 0 && err == nil:
				t.Fatalf("the decoder refuses unknown keys %v, the schema accepts the file", unknown)
			case len(unknown) == 0 && err != nil && !strings.Contains(f, "broken"):
				t.Fatalf("the schema refuses a file the decoder reads: %v", err)
			}
		})
	}
}

const base = `{
  "$schema": "./lambdagate.schema.json",
  "version": 3,
  "port": 8080,
  "timeout": "3s",
  "extra_config": {
    "router": {"return_error_msg": true},
    "telemetry/logging": {"level": "INFO"},
    "telemetry/opentelemetry": {"exporters": {"prometheus": [{"name": "p", "port": 0}]}},
    "security/cors": {"allow_origins": ["*"]},
    "redis": {"connection_pools": [{"name": "r", "address": "127.0.0.1:6379"}]},
    "documentation/openapi": {"anything": 1},
    "some/vendor-thing": {"x": 1}
  },
  "endpoints": [{
    "@comment": "a comment",
    "endpoint": "/a/{id}",
    "extra_config": {
      "proxy": {"sequential": false},
      "qos/ratelimit/router": {"max_rate": 10, "@note": "comments are ignored in namespaces too"},
      "auth/validator": {"alg": "RS256", "jwk_local_path": "` + "JWKS" + `"}
    },
    "backend": [
      {"url_pattern": "/x/{id}", "host": ["http://127.0.0.1:1"], "extra_config": {"qos/circuit-breaker": {"interval": 10, "timeout": 5, "max_errors": 2}}},
      {"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "f", "region": "us-east-1"}}}
    ]
  }]
}`

// TestUnknownKeysFailTheSchema is the table of unknown keys, at every
// level and inside namespaces: each file is refused by the decoder for its
// unknown key and fails the schema; the base file passes both.
func TestUnknownKeysFailTheSchema(t *testing.T) {
	isolateAWS(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","alg":"HS256","kid":"k"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	good := strings.ReplaceAll(base, "JWKS", jwks)
	s := compile(t)
	if errs := decoderErrors(t, []byte(good)); len(errs) > 0 {
		t.Fatalf("the base file: %v", errs)
	}
	if err := validate(t, s, []byte(good)); err != nil {
		t.Fatalf("the base file: %v", err)
	}
	for _, c := range []struct{ name, old, new string }{
		{"root", `"port": 8080,`, `"port": 8080, "prot": 1,`},
		{"endpoint", `"endpoint": "/a/{id}",`, `"endpoint": "/a/{id}", "methd": "GET",`},
		{"backend", `"url_pattern": "/x/{id}",`, `"url_pattern": "/x/{id}", "hosts": [],`},
		{"tls", `"port": 8080,`, `"port": 8080, "tls": {"disabled": true, "public": "x"},`},
		{"router", `"return_error_msg": true`, `"return_error_msg": true, "health": "/h"`},
		{"telemetry/logging", `"level": "INFO"`, `"level": "INFO", "colour": true`},
		{"opentelemetry exporter", `"name": "p", "port": 0`, `"name": "p", "port": 0, "path": "/m"`},
		{"security/cors", `"allow_origins": ["*"]`, `"allow_origins": ["*"], "allow_origin": "*"`},
		{"redis pool", `"address": "127.0.0.1:6379"`, `"address": "127.0.0.1:6379", "addr": "x"`},
		{"proxy", `"sequential": false`, `"sequentail": false`},
		{"qos/ratelimit/router", `"max_rate": 10,`, `"max_rate": 10, "max_rates": 1,`},
		{"auth/validator", `"alg": "RS256",`, `"alg": "RS256", "algorithm": "RS256",`},
		{"qos/circuit-breaker", `"max_errors": 2`, `"max_errors": 2, "max_error": 2`},
		{"backend/lambda", `"function_name": "f",`, `"function_name": "f", "function": "f",`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("%q is not in the base file", c.old)
			}
			data := []byte(strings.Replace(good, c.old, c.new, 1))
			if u := unknownKeys(decoderErrors(t, data)); len(u) == 0 {
				t.Fatalf("the decoder accepts the file: want an unknown key")
			}
			if err := validate(t, s, data); err == nil {
				t.Fatal("the schema accepts a file the decoder refuses for an unknown key")
			}
		})
	}
}

// TestNamespacesAsClassed checks the schema's extra_config against the
// namespace table: refused namespaces, and unknown names under a
// protective prefix in any case, fail; warned ones pass.
func TestNamespacesAsClassed(t *testing.T) {
	s := compile(t)
	for _, c := range []struct {
		ns   string
		pass bool
	}{
		{`"auth/api-keys": {}`, false},
		{`"modifier/martian": {}`, false},
		{`"Security/Something-New": {}`, false},
		{`"qos/ratelimit/proxy": {"max_rate": 1}`, false}, // read on backends only
		{`"telemetry/metrics": {"any": 1}`, true},
		{`"acme/unknown": {"any": 1}`, true},
	} {
		data := `{"version": 3, "extra_config": {` + c.ns + `}}`
		err := validate(t, s, []byte(data))
		if (err == nil) != c.pass {
			t.Errorf("%s: pass=%v, got %v", c.ns, c.pass, err)
		}
	}
}

// TestDurationPattern checks the schema's durations against the decoder's.
func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(DurationPattern)
	for _, d := range []string{"0", "1s", "1500ms", "1h30m", "2.5s", ".5s", "3us", "3µs", "1", "-1s", "", "s", "1x", "1 s", "1.s"} {
		_, err := time.ParseDuration(d)
		ok := err == nil && !strings.HasPrefix(d, "-")
		if re.MatchString(d) != ok {
			t.Errorf("%q: pattern %v, decoder %v", d, re.MatchString(d), ok)
		}
	}
}

// FuzzParseDocs checks that no page, however written, breaks the docs'
// reader, and that what it reads can be looked up.
func FuzzParseDocs(f *testing.F) {
	f.Add("## Endpoint\n| key | type |\n|---|---|\n| `a`, `b` | string | x |\n", "")
	f.Add("### `router` (service)\n| `x` | | |\n### Refused\n| `proxy` | `static` | no |\n", "## Configuration\n| `layers.global` | | y |")
	f.Fuzz(func(t *testing.T, conf, obs string) {
		d := ParseDocs(map[string][]byte{"docs/configuration.md": []byte(conf), "docs/observability.md": []byte(obs)})
		for scope, keys := range d {
			for k, m := range keys {
				if got, ok := d.Lookup(scope, k); !ok || got != m {
					t.Fatalf("%s %s: %q, %v", scope, k, got, ok)
				}
			}
		}
	})
}
