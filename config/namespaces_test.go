package config

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The namespace keys of KrakenD's published JSON schema, v2.13 (the newest
// version directory of the krakend-schema repository): the properties of
// service_extra_config.json, endpoint_extra_config.json and
// backend_extra_config.json. Only the names are kept here.
var (
	schemaService = []string{
		"ai/mcp", "auth/api-keys", "auth/basic", "auth/revoker", "auth/validator",
		"documentation/openapi", "documentation/postman", "governance/processors", "governance/quota",
		"grpc", "modifier/lua-endpoint", "modifier/request-body-extractor", "modifier/response-headers",
		"plugin/http-server", "qos/ratelimit/service", "qos/ratelimit/service/redis", "qos/ratelimit/tiered",
		"redis", "router", "security/bot-detector", "security/cors", "security/http",
		"server/static-filesystem", "server/virtualhost", "telemetry/gelf", "telemetry/influx",
		"telemetry/logging", "telemetry/logstash", "telemetry/metrics", "telemetry/moesif",
		"telemetry/newrelic", "telemetry/opencensus", "telemetry/opentelemetry",
		"telemetry/opentelemetry-security",
	}
	schemaEndpoint = []string{
		"ai/mcp", "auth/api-keys", "auth/basic", "auth/signer", "auth/validator",
		"documentation/openapi", "documentation/postman", "governance/quota", "modifier/jmespath",
		"modifier/lua-endpoint", "modifier/lua-proxy", "modifier/request-body-extractor",
		"modifier/request-body-extractor/early", "modifier/request-body-generator",
		"modifier/response-body", "modifier/response-body-generator", "plugin/middleware",
		"plugin/req-resp-modifier", "proxy", "qos/ratelimit/router", "qos/ratelimit/router/redis",
		"qos/ratelimit/tiered", "security/bot-detector", "security/cors", "security/http",
		"security/policies", "telemetry/opentelemetry", "validation/cel", "validation/json-schema",
		"validation/response-json-schema", "websocket",
	}
	schemaBackend = []string{
		"ai/llm", "auth/aws-sigv4", "auth/client-credentials", "auth/gcp", "auth/ntlm",
		"backend/amqp/consumer", "backend/amqp/producer", "backend/conditional", "backend/graphql",
		"backend/grpc", "backend/http", "backend/http/client", "backend/lambda",
		"backend/pubsub/publisher", "backend/pubsub/subscriber", "backend/pubsub/publisher/kafka",
		"backend/pubsub/subscriber/kafka", "backend/soap", "backend/static-filesystem",
		"governance/quota", "modifier/body-generator", "modifier/jmespath", "modifier/lua-backend",
		"modifier/martian", "modifier/request-body-generator", "modifier/response-body",
		"modifier/response-body-generator", "plugin/http-client", "plugin/middleware",
		"plugin/req-resp-modifier", "proxy", "qos/circuit-breaker", "qos/circuit-breaker/http",
		"qos/http-cache", "qos/ratelimit/proxy", "security/policies", "telemetry/logging",
		"telemetry/opentelemetry", "validation/cel", "validation/response-json-schema", "workflow",
	}
	// Service namespaces of older schema versions (v2.1), gone since.
	schemaOlder = []string{"telemetry/ganalytics", "telemetry/instana", "github_com/letgoapp/krakend-influx"}
	// The legacy names KrakenD still accepts (krakend-ce's alias table,
	// cmd/krakend-ce/main.go), with the current name of each; the async
	// agent's alias is left out (lambdagate runs no async agent).
	legacyNames = map[string]string{
		"github_com/devopsfaith/krakend/transport/http/server/handler":  "plugin/http-server",
		"github.com/devopsfaith/krakend/transport/http/client/executor": "plugin/http-client",
		"github.com/devopsfaith/krakend/proxy/plugin":                   "plugin/req-resp-modifier",
		"github.com/devopsfaith/krakend/proxy":                          "proxy",
		"github_com/luraproject/lura/router/gin":                        "router",
		"github.com/devopsfaith/krakend-ratelimit/juju/router":          "qos/ratelimit/router",
		"github.com/devopsfaith/krakend-ratelimit/juju/proxy":           "qos/ratelimit/proxy",
		"github.com/devopsfaith/krakend-httpcache":                      "qos/http-cache",
		"github.com/devopsfaith/krakend-circuitbreaker/gobreaker":       "qos/circuit-breaker",
		"github.com/devopsfaith/krakend-oauth2-clientcredentials":       "auth/client-credentials",
		"github.com/devopsfaith/krakend-jose/validator":                 "auth/validator",
		"github.com/devopsfaith/krakend-jose/signer":                    "auth/signer",
		"github_com/devopsfaith/bloomfilter":                            "auth/revoker",
		"github_com/devopsfaith/krakend-botdetector":                    "security/bot-detector",
		"github_com/devopsfaith/krakend-httpsecure":                     "security/http",
		"github_com/devopsfaith/krakend-cors":                           "security/cors",
		"github.com/devopsfaith/krakend-cel":                            "validation/cel",
		"github.com/devopsfaith/krakend-jsonschema":                     "validation/json-schema",
		"github.com/devopsfaith/krakend-amqp/consume":                   "backend/amqp/consumer",
		"github.com/devopsfaith/krakend-amqp/produce":                   "backend/amqp/producer",
		"github.com/devopsfaith/krakend-lambda":                         "backend/lambda",
		"github.com/devopsfaith/krakend-pubsub/publisher":               "backend/pubsub/publisher",
		"github.com/devopsfaith/krakend-pubsub/subscriber":              "backend/pubsub/subscriber",
		"github.com/devopsfaith/krakend/transport/http/client/graphql":  "backend/graphql",
		"github.com/devopsfaith/krakend/http":                           "backend/http",
		"github_com/devopsfaith/krakend-gelf":                           "telemetry/gelf",
		"github_com/devopsfaith/krakend-gologging":                      "telemetry/logging",
		"github_com/devopsfaith/krakend-logstash":                       "telemetry/logstash",
		"github_com/devopsfaith/krakend-metrics":                        "telemetry/metrics",
		"github_com/letgoapp/krakend-influx":                            "telemetry/influx",
		"github_com/devopsfaith/krakend-influx":                         "telemetry/influx",
		"github_com/Jozefiel/krakend-influx2":                           "telemetry/influx2",
		"github_com/devopsfaith/krakend-opencensus":                     "telemetry/opencensus",
		"github.com/devopsfaith/krakend-lua/router":                     "modifier/lua-endpoint",
		"github.com/devopsfaith/krakend-lua/proxy":                      "modifier/lua-proxy",
		"github.com/devopsfaith/krakend-lua/proxy/backend":              "modifier/lua-backend",
		"github.com/devopsfaith/krakend-martian":                        "modifier/martian",
	}
	// lambdagate's own namespaces, and the alias targets no schema lists.
	otherNames = []string{"lambdagate/server", "lambdagate/authorizer", "telemetry/influx2"}
)

// The class each name must have, decided one by one: a name the table
// classes otherwise, or a schema name missing here, fails the test.
var wantClass = map[NamespaceClass][]string{
	NamespaceRefusedAccess: {
		// Read on endpoints (and the service); on a backend, refused.
		"auth/validator", "github.com/devopsfaith/krakend-jose/validator",
		"auth/api-keys", "auth/basic", "auth/revoker", "governance/quota",
		"modifier/lua-endpoint", "modifier/lua-proxy", "modifier/lua-backend",
		"plugin/http-server", "plugin/http-client", "plugin/middleware", "plugin/req-resp-modifier",
		"qos/ratelimit/service", "qos/ratelimit/service/redis", "qos/ratelimit/router",
		"qos/ratelimit/router/redis", "qos/ratelimit/tiered", "qos/ratelimit/proxy",
		"qos/circuit-breaker/http",
		"security/bot-detector", "security/policies",
		// Read on the service; on an endpoint, KrakenD Enterprise's overrides.
		"security/cors", "security/http",
		"validation/cel", "validation/json-schema",
		"github_com/devopsfaith/krakend/transport/http/server/handler",
		"github.com/devopsfaith/krakend/transport/http/client/executor",
		"github.com/devopsfaith/krakend/proxy/plugin",
		"github.com/devopsfaith/krakend-ratelimit/juju/router",
		"github.com/devopsfaith/krakend-ratelimit/juju/proxy",
		// The legacy name of a namespace lambdagate implements, which it
		// reads only under its current name: rename it.
		"github.com/devopsfaith/krakend-circuitbreaker/gobreaker",
		"github_com/devopsfaith/bloomfilter",
		"github_com/devopsfaith/krakend-botdetector", "github_com/devopsfaith/krakend-httpsecure",
		"github_com/devopsfaith/krakend-cors", "github.com/devopsfaith/krakend-cel",
		"github.com/devopsfaith/krakend-jsonschema", "github.com/devopsfaith/krakend-lua/router",
		"github.com/devopsfaith/krakend-lua/proxy", "github.com/devopsfaith/krakend-lua/proxy/backend",
		// Read on endpoints; elsewhere its author meant requests checked.
		"lambdagate/authorizer",
	},
	NamespaceRefusedResponse: {
		"ai/mcp", "ai/llm", "auth/signer", "auth/aws-sigv4", "auth/client-credentials", "auth/gcp",
		"auth/ntlm", "backend/amqp/consumer", "backend/amqp/producer", "backend/conditional",
		"backend/graphql", "backend/grpc", "backend/http/client", "backend/pubsub/publisher",
		"backend/pubsub/subscriber", "backend/pubsub/publisher/kafka",
		"backend/pubsub/subscriber/kafka", "backend/soap", "backend/static-filesystem", "grpc",
		"modifier/body-generator", "modifier/request-body-generator", "modifier/response-body",
		"modifier/response-body-generator", "modifier/jmespath", "modifier/martian",
		"modifier/request-body-extractor", "modifier/request-body-extractor/early",
		"modifier/response-headers", "qos/http-cache", "server/static-filesystem",
		"server/virtualhost", "validation/response-json-schema", "websocket", "workflow",
		// Read on endpoints and backends; on the service, nothing reads it.
		"proxy",
		// Legacy names lambdagate does not read: rename them.
		"github.com/devopsfaith/krakend/proxy", "github_com/luraproject/lura/router/gin",
		"github.com/devopsfaith/krakend/http",
		"github.com/devopsfaith/krakend-httpcache",
		"github.com/devopsfaith/krakend-oauth2-clientcredentials",
		"github.com/devopsfaith/krakend-jose/signer", "github.com/devopsfaith/krakend-amqp/consume",
		"github.com/devopsfaith/krakend-amqp/produce", "github.com/devopsfaith/krakend-pubsub/publisher",
		"github.com/devopsfaith/krakend-pubsub/subscriber",
		"github.com/devopsfaith/krakend/transport/http/client/graphql",
		"github.com/devopsfaith/krakend-martian",
	},
	NamespaceWarned: {
		"documentation/openapi", "documentation/postman", "governance/processors", "redis",
		"telemetry/gelf", "telemetry/ganalytics", "telemetry/influx", "telemetry/influx2",
		"telemetry/instana", "telemetry/logstash", "telemetry/metrics", "telemetry/moesif",
		"telemetry/newrelic", "telemetry/opencensus", "telemetry/opentelemetry-security",
		"github_com/devopsfaith/krakend-gelf", "github_com/devopsfaith/krakend-gologging",
		"github_com/devopsfaith/krakend-logstash", "github_com/devopsfaith/krakend-metrics",
		"github_com/letgoapp/krakend-influx", "github_com/devopsfaith/krakend-influx",
		"github_com/Jozefiel/krakend-influx2", "github_com/devopsfaith/krakend-opencensus",
		// Implemented, read where they belong; elsewhere KrakenD ignores them too.
		"router", "lambdagate/server", "backend/http", "backend/lambda",
		"github.com/devopsfaith/krakend-lambda", "telemetry/logging", "telemetry/opentelemetry",
		"qos/circuit-breaker",
	},
}

// implemented are the namespaces lambdagate reads.
var implemented = []string{
	"router", "lambdagate/server", "proxy", "backend/http", "backend/lambda",
	"github.com/devopsfaith/krakend-lambda", "telemetry/logging", "telemetry/opentelemetry",
	"auth/validator", "github.com/devopsfaith/krakend-jose/validator",
	"auth/signer", "github.com/devopsfaith/krakend-jose/signer",
	"security/cors", "github_com/devopsfaith/krakend-cors",
	"security/http", "github_com/devopsfaith/krakend-httpsecure",
	"qos/circuit-breaker",
	"qos/ratelimit/router", "qos/ratelimit/proxy",
	"github.com/devopsfaith/krakend-ratelimit/juju/router", "github.com/devopsfaith/krakend-ratelimit/juju/proxy",
	"lambdagate/authorizer",
	"qos/http-cache", "github.com/devopsfaith/krakend-httpcache",
	"qos/ratelimit/router/redis", "redis",
	"qos/ratelimit/service", "qos/ratelimit/service/redis",
	"modifier/martian",
	"validation/cel", "github.com/devopsfaith/krakend-cel",
	"validation/json-schema", "github.com/devopsfaith/krakend-jsonschema",
	"modifier/lua-endpoint", "github.com/devopsfaith/krakend-lua/router",
	"modifier/lua-proxy", "modifier/lua-backend", "github.com/devopsfaith/krakend-lua/proxy", "github.com/devopsfaith/krakend-lua/proxy/backend",
	"security/bot-detector",
}

func allNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(names ...string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	add(schemaService...)
	add(schemaEndpoint...)
	add(schemaBackend...)
	add(schemaOlder...)
	for legacy, current := range legacyNames {
		add(legacy, current)
	}
	add(otherNames...)
	sort.Strings(out)
	return out
}

func TestNamespaceTableClassesEverySchemaName(t *testing.T) {
	t.Parallel()
	want := map[string]NamespaceClass{}
	for class, names := range wantClass {
		for _, n := range names {
			if c, dup := want[n]; dup {
				t.Errorf("%q is expected both %v and %v", n, c, class)
			}
			want[n] = class
		}
	}
	for _, n := range allNames() {
		ns, ok := LookupNamespace(n)
		if !ok {
			t.Errorf("%q (in KrakenD's schema or aliases) is not classified in config/namespaces.go", n)
			continue
		}
		w, ok := want[n]
		if !ok {
			t.Errorf("%q has no expected class in this test", n)
		} else if ns.Class != w {
			t.Errorf("%q is %v, want %v", n, ns.Class, w)
		}
		if ns.Does == "" {
			t.Errorf("%q says nothing of what it does", n)
		}
		if got := ClassifyNamespace(n); got != ns.Class {
			t.Errorf("ClassifyNamespace(%q) = %v, want the table's %v", n, got, ns.Class)
		}
	}
	// And nothing in the table that is in no schema, alias list or
	// lambdagate: every entry comes from a source.
	all := map[string]bool{}
	for _, n := range allNames() {
		all[n] = true
	}
	for _, n := range KnownNamespaces() {
		if !all[n] {
			t.Errorf("%q is in the table but in no schema list of this test", n)
		}
	}
}

func TestNamespaceTableImplementedAndLegacy(t *testing.T) {
	t.Parallel()
	impl := map[string]bool{}
	for _, n := range implemented {
		impl[n] = true
	}
	for _, n := range KnownNamespaces() {
		ns, _ := LookupNamespace(n)
		if (ns.ReadBy != "") != impl[n] {
			t.Errorf("%q: ReadBy = %q, implemented = %v", n, ns.ReadBy, impl[n])
		}
	}
	for legacy, current := range legacyNames {
		ns, _ := LookupNamespace(legacy)
		if ns.Current != current {
			t.Errorf("%q: Current = %q, want %q", legacy, ns.Current, current)
		}
		cur, ok := LookupNamespace(current)
		if !ok {
			t.Errorf("%q: current name %q is not in the table", legacy, current)
			continue
		}
		// A legacy name of what lambdagate does not implement behaves as
		// its current name.
		if cur.ReadBy == "" && ns.Class != cur.Class {
			t.Errorf("%q is %v but its current name %q is %v", legacy, ns.Class, current, cur.Class)
		}
	}
}

func TestClassifyUnknownNamespaces(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]NamespaceClass{
		"auth/new-thing":         NamespaceRefusedAccess,
		"Security/Something":     NamespaceRefusedAccess,
		"qos/ratelimit/whatever": NamespaceRefusedAccess,
		"validation/xml":         NamespaceRefusedAccess,
		"modifier/new":           NamespaceRefusedAccess,
		"plugin/new":             NamespaceRefusedAccess,
		"governance/new":         NamespaceRefusedAccess,
		"unknown/ns":             NamespaceWarned,
		"telemetry/new-exporter": NamespaceWarned,
		"authz":                  NamespaceWarned,
	} {
		if got := ClassifyNamespace(name); got != want {
			t.Errorf("ClassifyNamespace(%q) = %v, want %v", name, got, want)
		}
		if _, ok := LookupNamespace(name); ok {
			t.Errorf("%q is in the table", name)
		}
	}
}

func TestCheckUnused(t *testing.T) {
	t.Parallel()
	s, _, err := Parse([]byte(`{"version": 3, "host": ["h"],
		"extra_config": {"security/policies": {}, "telemetry/metrics": {}, "unknown/ns": {}, "router": {}},
		"endpoints": [{"endpoint": "/a", "extra_config": {"auth/api-keys": {}, "telemetry/opentelemetry": {}, "auth/magic": {}},
			"backend": [{"url_pattern": "/x", "extra_config": {"qos/circuit-breaker/http": {}, "modifier/martian": {}, "auth/validator": {},
				"proxy": {"shadow": true}, "github.com/devopsfaith/krakend/http": {}, "github_com/devopsfaith/krakend-gologging": {}}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var errs Errors
	s.ExtraConfig.Raw("router") // read, as the gateway does
	warns := s.ExtraConfig.CheckUnused(&errs)
	e := s.Endpoints[0]
	warns = append(warns, e.ExtraConfig.CheckUnused(&errs)...)
	warns = append(warns, e.Backend[0].ExtraConfig.CheckUnused(&errs)...)
	wantErrs := []string{
		`extra_config["security/policies"]: not implemented by lambdagate (policies on requests, responses and JWTs): ignored, the gateway would serve every endpoint unprotected; remove it, or wait until lambdagate implements it`,
		`endpoints[0].extra_config["auth/api-keys"]: not implemented by lambdagate (API-key authentication and roles): ignored, the gateway would serve the endpoint unprotected; remove it, or wait until lambdagate implements it`,
		`endpoints[0].extra_config["auth/magic"]: not a namespace lambdagate or KrakenD knows, but "auth/" namespaces protect endpoints: ignored, the gateway could serve the endpoint unprotected; remove it, or correct its name`,
		`endpoints[0].backend[0].extra_config["auth/validator"]: lambdagate reads "auth/validator" on the service and on endpoints only (here: JWT validation, which runs on endpoints): ignored, the gateway would serve the endpoint unprotected; remove it, or wait until lambdagate implements it`,
		`endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend/http"]: legacy name of "backend/http", which lambdagate reads only under its current name: ignored, the gateway would answer differently from KrakenD; rename it "backend/http"`,
		`endpoints[0].backend[0].extra_config["modifier/martian"]: lambdagate reads "modifier/martian" on HTTP backends only (here: Martian modifiers act on an HTTP backend's request and response; a Lambda backend has neither): ignored, the gateway would answer differently from KrakenD; remove it, or wait until lambdagate implements it`,
		`endpoints[0].backend[0].extra_config.proxy: lambdagate reads "proxy" on endpoints and backends only (here: the proxy options of endpoints and backends): ignored, the gateway would answer differently from KrakenD; remove it, or wait until lambdagate implements it`,
		`endpoints[0].backend[0].extra_config["qos/circuit-breaker/http"]: not implemented by lambdagate (circuit breaker on HTTP statuses: stops calling a failing backend): ignored, the gateway would serve the endpoint unprotected; remove it, or wait until lambdagate implements it`,
	}
	wantWarns := []string{
		`extra_config: namespace "telemetry/metrics" is not implemented by lambdagate and is ignored (KrakenD's own metrics collector and stats server)`,
		`extra_config: "unknown/ns" is not a namespace lambdagate or KrakenD knows; ignored`,
		`endpoints[0].extra_config: namespace "telemetry/opentelemetry" is not implemented here and is ignored (endpoint and backend overrides; lambdagate reads it on the service)`,
		`endpoints[0].backend[0].extra_config: namespace "github_com/devopsfaith/krakend-gologging" is a legacy name of "telemetry/logging", which lambdagate reads only under its current name, and is ignored; rename it "telemetry/logging"`,
	}
	if got := strings.Split(errs.Error(), "\n"); strings.Join(got, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantErrs, "\n"))
	}
	if strings.Join(warns, "\n") != strings.Join(wantWarns, "\n") {
		t.Errorf("warnings =\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(wantWarns, "\n"))
	}
}

// docs/configuration.md lists every namespace of the table under the
// heading of its class, so that the documentation cannot drift from it.
func TestDocsListEveryNamespace(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	headings := map[NamespaceClass]string{
		NamespaceRefusedAccess:   "#### Refused: they decide who gets in, what they may send, or how much",
		NamespaceRefusedResponse: "#### Refused: they change the responses",
		NamespaceWarned:          "#### Accepted with a warning: no response and no access changes",
	}
	sections := map[NamespaceClass]string{}
	for class, h := range headings {
		sections[class] = docSection(string(b), h)
		if sections[class] == "" {
			t.Fatalf("docs/configuration.md has no section %q", h)
		}
	}
	for _, n := range KnownNamespaces() {
		ns, _ := LookupNamespace(n)
		if !strings.Contains(sections[ns.Class], "`"+n+"`") {
			t.Errorf("docs/configuration.md does not list `%s` under %q", n, headings[ns.Class])
		}
	}
}

// docSection returns the text under the heading line h, up to the next
// heading.
func docSection(doc, h string) string {
	_, rest, ok := strings.Cut(doc, "\n"+h+"\n")
	if !ok {
		return ""
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] == '#' && (i == 0 || rest[i-1] == '\n') {
			return rest[:i]
		}
	}
	return rest
}
