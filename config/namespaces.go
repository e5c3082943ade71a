package config

import (
	"fmt"
	"sort"
	"strings"
)

// NamespaceClass says what happens to an extra_config namespace that no
// part of lambdagate read.
type NamespaceClass uint8

const (
	// NamespaceWarned namespaces are ignored with a warning: without them no
	// response and no access changes (telemetry exporters lambdagate lacks,
	// documentation).
	NamespaceWarned NamespaceClass = iota + 1
	// NamespaceRefusedAccess namespaces are start-up errors: they decide who
	// gets in, what they may send or how much, so ignoring one would serve
	// the endpoint unprotected.
	NamespaceRefusedAccess
	// NamespaceRefusedResponse namespaces are start-up errors: they change
	// requests or responses, so ignoring one would make the gateway answer
	// differently from KrakenD.
	NamespaceRefusedResponse
)

// String names the class, for tests and messages.
func (c NamespaceClass) String() string {
	switch c {
	case NamespaceWarned:
		return "warned"
	case NamespaceRefusedAccess:
		return "refused (access)"
	case NamespaceRefusedResponse:
		return "refused (response)"
	}
	return fmt.Sprintf("NamespaceClass(%d)", c)
}

// Refused reports whether a namespace of class c stops the gateway.
func (c NamespaceClass) Refused() bool {
	return c == NamespaceRefusedAccess || c == NamespaceRefusedResponse
}

// Namespace is what lambdagate knows of one extra_config namespace.
type Namespace struct {
	// Class applies wherever nobody reads the namespace.
	Class NamespaceClass
	// Does says, in a few words, what it does in KrakenD. A legacy name with
	// no Does of its own takes its current name's.
	Does string
	// ReadBy, for a namespace lambdagate implements, says where lambdagate
	// reads it; Class then applies elsewhere (a namespace read where it
	// belongs never reaches the check).
	ReadBy string
	// Current, for one of KrakenD's legacy names, is the current name.
	Current string
}

// namespaces classifies every extra_config namespace of KrakenD's
// published schema (service, endpoint and backend level), the names older
// schemas had, and KrakenD's legacy names (the aliases krakend-ce still
// accepts), plus lambdagate's own. docs/configuration.md lists the same
// names; config's tests check both against each other and the schema.
var namespaces = map[string]Namespace{
	// Implemented by lambdagate: read where they belong, ignored elsewhere
	// (KrakenD ignores them there too), except proxy on the service and the
	// security layers on an endpoint (KrakenD Enterprise's overrides there),
	// which would otherwise leave the endpoint unprotected.
	"router":                                {Class: NamespaceWarned, ReadBy: "on the service", Does: "router options"},
	"lambdagate/server":                     {Class: NamespaceWarned, ReadBy: "on the service", Does: "lambdagate's server options"},
	"proxy":                                 {Class: NamespaceRefusedResponse, ReadBy: "on endpoints and backends", Does: "the proxy options of endpoints and backends"},
	"backend/http":                          {Class: NamespaceWarned, ReadBy: "on backends", Does: "backend error options"},
	"backend/lambda":                        {Class: NamespaceWarned, ReadBy: "on backends", Does: "AWS Lambda backend"},
	"github.com/devopsfaith/krakend-lambda": {Class: NamespaceWarned, ReadBy: "on backends", Current: "backend/lambda", Does: "legacy name of backend/lambda"},
	"telemetry/logging":                     {Class: NamespaceWarned, ReadBy: "on the service", Does: "on a backend, KrakenD Enterprise's backend log"},
	"telemetry/opentelemetry":               {Class: NamespaceWarned, ReadBy: "on the service", Does: "endpoint and backend overrides"},
	// Read on endpoints (and the shared JWK cache on the service); on a
	// backend, where KrakenD never validates, it is refused: whoever put it
	// there meant the endpoint protected.
	"auth/validator": {Class: NamespaceRefusedAccess, ReadBy: "on the service and on endpoints", Does: "JWT validation, which runs on endpoints"},
	"github.com/devopsfaith/krakend-jose/validator": {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Current: "auth/validator", Does: "legacy name of auth/validator: JWT validation, which runs on endpoints"},
	// Read on endpoints; elsewhere (KrakenD signs on endpoints only) it is
	// refused, since tokens would leave unsigned.
	"auth/signer": {Class: NamespaceRefusedResponse, ReadBy: "on endpoints", Does: "signs response fields as JWTs, which runs on endpoints"},
	"github.com/devopsfaith/krakend-jose/signer": {Class: NamespaceRefusedResponse, ReadBy: "on endpoints", Current: "auth/signer", Does: "legacy name of auth/signer: signs response fields as JWTs, which runs on endpoints"},
	"security/cors":                             {Class: NamespaceRefusedAccess, ReadBy: "on the service", Does: "CORS per endpoint, a KrakenD Enterprise feature"},
	"github_com/devopsfaith/krakend-cors":       {Class: NamespaceRefusedAccess, ReadBy: "on the service", Current: "security/cors", Does: "legacy name of security/cors"},
	"security/http":                             {Class: NamespaceRefusedAccess, ReadBy: "on the service", Does: "HTTP security per endpoint, a KrakenD Enterprise feature"},
	"github_com/devopsfaith/krakend-httpsecure": {Class: NamespaceRefusedAccess, ReadBy: "on the service", Current: "security/http", Does: "legacy name of security/http"},
	"qos/circuit-breaker":                       {Class: NamespaceWarned, ReadBy: "on backends", Does: "circuit breaker: stops calling a failing backend"},
	// lambdagate's Lambda authorizers, read on endpoints; on the service
	// or a backend, whoever wrote it meant requests checked: refused.
	"lambdagate/authorizer": {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Does: "a Lambda authorizer, which runs on endpoints"},
	// Request bodies validated on endpoints, under both names; elsewhere
	// whoever wrote it meant bodies checked: refused.
	"validation/json-schema":                    {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Does: "JSON Schema validation of request bodies, which runs on endpoints"},
	"github.com/devopsfaith/krakend-jsonschema": {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Current: "validation/json-schema", Does: "legacy name of validation/json-schema"},

	// Legacy names of namespaces lambdagate implements: it reads only the
	// current names, so these are ignored, refused when their options change
	// the responses.
	"github.com/devopsfaith/krakend/proxy":     {Class: NamespaceRefusedResponse, Current: "proxy", Does: "legacy name of proxy"},
	"github_com/luraproject/lura/router/gin":   {Class: NamespaceRefusedResponse, Current: "router", Does: "legacy name of router"},
	"github.com/devopsfaith/krakend/http":      {Class: NamespaceRefusedResponse, Current: "backend/http", Does: "legacy name of backend/http"},
	"github_com/devopsfaith/krakend-gologging": {Class: NamespaceWarned, Current: "telemetry/logging", Does: "legacy name of telemetry/logging"},

	// Refused, as ignoring it would leave the backend unguarded.
	"github.com/devopsfaith/krakend-circuitbreaker/gobreaker": {Class: NamespaceRefusedAccess, Current: "qos/circuit-breaker", Does: "legacy name of qos/circuit-breaker"},

	// Rate limits, implemented under their current and legacy names: read
	// on endpoints (router) and on backends (proxy); refused elsewhere, as
	// ignoring them would leave the endpoint unprotected.
	"qos/ratelimit/router": {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Does: "rate limit of an endpoint, which KrakenD reads on endpoints only too"},
	"qos/ratelimit/proxy":  {Class: NamespaceRefusedAccess, ReadBy: "on backends", Does: "rate limit of a backend, which KrakenD reads on backends only too"},
	"github.com/devopsfaith/krakend-ratelimit/juju/router": {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Current: "qos/ratelimit/router", Does: "legacy name of qos/ratelimit/router"},
	"github.com/devopsfaith/krakend-ratelimit/juju/proxy":  {Class: NamespaceRefusedAccess, ReadBy: "on backends", Current: "qos/ratelimit/proxy", Does: "legacy name of qos/ratelimit/proxy"},
	"qos/ratelimit/router/redis":                           {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Does: "rate limit of an endpoint kept in Redis, which KrakenD reads on endpoints only too"},
	"qos/ratelimit/service":                                {Class: NamespaceRefusedAccess, ReadBy: "on the service", Does: "rate limit of the whole service, which KrakenD reads on the service only too"},
	"qos/ratelimit/service/redis":                          {Class: NamespaceRefusedAccess, ReadBy: "on the service", Does: "rate limit of the whole service kept in Redis, which KrakenD reads on the service only too"},
	"security/bot-detector":                                {Class: NamespaceRefusedAccess, ReadBy: "on the service and on endpoints", Does: "bot detection: requests from bots are refused, which KrakenD reads on the service and on endpoints too"},
	"redis":                                                {Class: NamespaceWarned, ReadBy: "on the service", Does: "Redis connection pools for other namespaces"},

	// CEL checks, read on endpoints and backends (validation/cel); on the
	// service, where KrakenD never reads them, refused: whoever put them
	// there meant requests checked.
	"validation/cel":                     {Class: NamespaceRefusedAccess, ReadBy: "on endpoints and backends", Does: "CEL expressions that refuse requests or responses"},
	"github.com/devopsfaith/krakend-cel": {Class: NamespaceRefusedAccess, ReadBy: "on endpoints and backends", Current: "validation/cel", Does: "legacy name of validation/cel"},

	// Lua modifiers: modifier/lua-endpoint read on the service and
	// endpoints, modifier/lua-proxy on endpoints, lua-backend on backends;
	// elsewhere refused, as the scripts can refuse requests.
	"modifier/lua-endpoint":                            {Class: NamespaceRefusedAccess, ReadBy: "on the service and endpoints", Does: "Lua scripts on the client's request, which can refuse requests and rewrite them"},
	"github.com/devopsfaith/krakend-lua/router":        {Class: NamespaceRefusedAccess, ReadBy: "on the service and endpoints", Current: "modifier/lua-endpoint", Does: "legacy name of modifier/lua-endpoint"},
	"modifier/lua-proxy":                               {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Does: "Lua scripts around the endpoint's backends, which can refuse requests and rewrite requests and responses"},
	"modifier/lua-backend":                             {Class: NamespaceRefusedAccess, ReadBy: "on backends", Does: "Lua scripts around one backend, which can refuse requests and rewrite requests and responses"},
	"github.com/devopsfaith/krakend-lua/proxy":         {Class: NamespaceRefusedAccess, ReadBy: "on endpoints", Current: "modifier/lua-proxy", Does: "legacy name of modifier/lua-proxy"},
	"github.com/devopsfaith/krakend-lua/proxy/backend": {Class: NamespaceRefusedAccess, ReadBy: "on backends", Current: "modifier/lua-backend", Does: "legacy name of modifier/lua-backend"},

	// Who gets in, what they may send, how much.
	"auth/api-keys":            {Class: NamespaceRefusedAccess, Does: "API-key authentication and roles"},
	"auth/basic":               {Class: NamespaceRefusedAccess, Does: "HTTP Basic authentication"},
	"auth/revoker":             {Class: NamespaceRefusedAccess, Does: "revocation of JWTs"},
	"governance/quota":         {Class: NamespaceRefusedAccess, Does: "request quotas per user or plan"},
	"plugin/http-server":       {Class: NamespaceRefusedAccess, Does: "Go plugins in the HTTP server, such as authentication or IP filtering"},
	"plugin/http-client":       {Class: NamespaceRefusedAccess, Does: "Go plugins replacing a backend's HTTP client"},
	"plugin/middleware":        {Class: NamespaceRefusedAccess, Does: "Go middleware plugins"},
	"plugin/req-resp-modifier": {Class: NamespaceRefusedAccess, Does: "Go plugins that check or modify requests and responses"},
	"qos/ratelimit/tiered":     {Class: NamespaceRefusedAccess, Does: "rate limits by tier"},
	"qos/circuit-breaker/http": {Class: NamespaceRefusedAccess, Does: "circuit breaker on HTTP statuses: stops calling a failing backend"},
	"security/policies":        {Class: NamespaceRefusedAccess, Does: "policies on requests, responses and JWTs"},

	// What is answered.
	"ai/mcp":                                {Class: NamespaceRefusedResponse, Does: "MCP server"},
	"ai/llm":                                {Class: NamespaceRefusedResponse, Does: "LLM provider as the backend"},
	"auth/aws-sigv4":                        {Class: NamespaceRefusedResponse, Does: "AWS SigV4 signature of backend requests"},
	"auth/client-credentials":               {Class: NamespaceRefusedResponse, Does: "OAuth2 client-credentials token on backend requests"},
	"auth/gcp":                              {Class: NamespaceRefusedResponse, Does: "Google Cloud authentication of backend requests"},
	"auth/ntlm":                             {Class: NamespaceRefusedResponse, Does: "NTLM authentication of backend requests"},
	"backend/amqp/consumer":                 {Class: NamespaceRefusedResponse, Does: "AMQP consumer as the backend"},
	"backend/amqp/producer":                 {Class: NamespaceRefusedResponse, Does: "AMQP producer as the backend"},
	"backend/conditional":                   {Class: NamespaceRefusedResponse, Does: "backend called only when a condition holds"},
	"backend/graphql":                       {Class: NamespaceRefusedResponse, Does: "GraphQL query sent to the backend"},
	"backend/grpc":                          {Class: NamespaceRefusedResponse, Does: "gRPC backend"},
	"backend/http/client":                   {Class: NamespaceRefusedResponse, Does: "backend HTTP client options: TLS, proxy, redirects"},
	"backend/pubsub/publisher":              {Class: NamespaceRefusedResponse, Does: "Pub/Sub publisher as the backend"},
	"backend/pubsub/subscriber":             {Class: NamespaceRefusedResponse, Does: "Pub/Sub subscriber as the backend"},
	"backend/pubsub/publisher/kafka":        {Class: NamespaceRefusedResponse, Does: "Kafka publisher as the backend"},
	"backend/pubsub/subscriber/kafka":       {Class: NamespaceRefusedResponse, Does: "Kafka subscriber as the backend"},
	"backend/soap":                          {Class: NamespaceRefusedResponse, Does: "SOAP backend"},
	"backend/static-filesystem":             {Class: NamespaceRefusedResponse, Does: "files on disk as the backend"},
	"grpc":                                  {Class: NamespaceRefusedResponse, Does: "gRPC server"},
	"modifier/body-generator":               {Class: NamespaceRefusedResponse, Does: "request body built from a template"},
	"modifier/request-body-generator":       {Class: NamespaceRefusedResponse, Does: "request body built from a template"},
	"modifier/response-body":                {Class: NamespaceRefusedResponse, Does: "response body built from a template"},
	"modifier/response-body-generator":      {Class: NamespaceRefusedResponse, Does: "response body built from a template"},
	"modifier/jmespath":                     {Class: NamespaceRefusedResponse, Does: "JMESPath transformation of the response"},
	"modifier/martian":                      {Class: NamespaceRefusedResponse, ReadBy: "on HTTP backends", Does: "Martian modifiers act on an HTTP backend's request and response; a Lambda backend has neither"},
	"modifier/request-body-extractor":       {Class: NamespaceRefusedResponse, Does: "request body fields copied to headers or query strings"},
	"modifier/request-body-extractor/early": {Class: NamespaceRefusedResponse, Does: "request body fields copied to headers or query strings"},
	"modifier/response-headers":             {Class: NamespaceRefusedResponse, Does: "rewriting of response headers"},
	"qos/http-cache":                        {Class: NamespaceRefusedResponse, ReadBy: "on HTTP backends", Does: "cache of backend responses, which KrakenD reads on HTTP backends only too"},
	"server/static-filesystem":              {Class: NamespaceRefusedResponse, Does: "files on disk served by the gateway"},
	"server/virtualhost":                    {Class: NamespaceRefusedResponse, Does: "endpoints chosen by the Host header"},
	"validation/response-json-schema":       {Class: NamespaceRefusedResponse, Does: "JSON Schema validation of backend responses"},
	"websocket":                             {Class: NamespaceRefusedResponse, Does: "WebSocket endpoint"},
	"workflow":                              {Class: NamespaceRefusedResponse, Does: "a nested endpoint run as the backend"},

	// No response and no access changes without them.
	"documentation/openapi":            {Class: NamespaceWarned, Does: "OpenAPI documentation export"},
	"documentation/postman":            {Class: NamespaceWarned, Does: "Postman collection export"},
	"governance/processors":            {Class: NamespaceWarned, Does: "quota definitions, enforced only where governance/quota attaches them"},
	"telemetry/gelf":                   {Class: NamespaceWarned, Does: "logs to Graylog (GELF)"},
	"telemetry/ganalytics":             {Class: NamespaceWarned, Does: "Google Analytics reporting"},
	"telemetry/influx":                 {Class: NamespaceWarned, Does: "metrics to InfluxDB"},
	"telemetry/influx2":                {Class: NamespaceWarned, Does: "metrics to InfluxDB 2"},
	"telemetry/instana":                {Class: NamespaceWarned, Does: "traces to Instana"},
	"telemetry/logstash":               {Class: NamespaceWarned, Does: "Logstash log format"},
	"telemetry/metrics":                {Class: NamespaceWarned, Does: "KrakenD's own metrics collector and stats server"},
	"telemetry/moesif":                 {Class: NamespaceWarned, Does: "API analytics to Moesif"},
	"telemetry/newrelic":               {Class: NamespaceWarned, Does: "New Relic agent"},
	"telemetry/opencensus":             {Class: NamespaceWarned, Does: "OpenCensus exporters"},
	"telemetry/opentelemetry-security": {Class: NamespaceWarned, Does: "authentication headers of OTLP exporters"},

	// KrakenD's legacy names of namespaces lambdagate does not implement:
	// the current name's class and description.
	"github_com/devopsfaith/krakend/transport/http/server/handler":  {Class: NamespaceRefusedAccess, Current: "plugin/http-server"},
	"github.com/devopsfaith/krakend/transport/http/client/executor": {Class: NamespaceRefusedAccess, Current: "plugin/http-client"},
	"github.com/devopsfaith/krakend/proxy/plugin":                   {Class: NamespaceRefusedAccess, Current: "plugin/req-resp-modifier"},
	"github_com/devopsfaith/bloomfilter":                            {Class: NamespaceRefusedAccess, Current: "auth/revoker"},
	"github_com/devopsfaith/krakend-botdetector":                    {Class: NamespaceRefusedAccess, Current: "security/bot-detector"},
	"github.com/devopsfaith/krakend-httpcache":                      {Class: NamespaceRefusedResponse, ReadBy: "on HTTP backends", Current: "qos/http-cache", Does: "legacy name of qos/http-cache"},
	"github.com/devopsfaith/krakend-oauth2-clientcredentials":       {Class: NamespaceRefusedResponse, Current: "auth/client-credentials"},
	"github.com/devopsfaith/krakend-amqp/consume":                   {Class: NamespaceRefusedResponse, Current: "backend/amqp/consumer"},
	"github.com/devopsfaith/krakend-amqp/produce":                   {Class: NamespaceRefusedResponse, Current: "backend/amqp/producer"},
	"github.com/devopsfaith/krakend-pubsub/publisher":               {Class: NamespaceRefusedResponse, Current: "backend/pubsub/publisher"},
	"github.com/devopsfaith/krakend-pubsub/subscriber":              {Class: NamespaceRefusedResponse, Current: "backend/pubsub/subscriber"},
	"github.com/devopsfaith/krakend/transport/http/client/graphql":  {Class: NamespaceRefusedResponse, Current: "backend/graphql"},
	"github.com/devopsfaith/krakend-martian":                        {Class: NamespaceRefusedResponse, Current: "modifier/martian"},
	"github_com/devopsfaith/krakend-gelf":                           {Class: NamespaceWarned, Current: "telemetry/gelf"},
	"github_com/devopsfaith/krakend-logstash":                       {Class: NamespaceWarned, Current: "telemetry/logstash"},
	"github_com/devopsfaith/krakend-metrics":                        {Class: NamespaceWarned, Current: "telemetry/metrics"},
	"github_com/letgoapp/krakend-influx":                            {Class: NamespaceWarned, Current: "telemetry/influx"},
	"github_com/devopsfaith/krakend-influx":                         {Class: NamespaceWarned, Current: "telemetry/influx"},
	"github_com/Jozefiel/krakend-influx2":                           {Class: NamespaceWarned, Current: "telemetry/influx2"},
	"github_com/devopsfaith/krakend-opencensus":                     {Class: NamespaceWarned, Current: "telemetry/opencensus"},
}

// protectivePrefixes are the families of namespaces that decide who gets
// in, what they may send or how much: a name under one that is in no
// schema is refused all the same (a new KrakenD feature, or a misspelling
// of one), as ignoring it could serve the endpoint unprotected.
var protectivePrefixes = []string{"auth/", "security/", "qos/", "validation/", "modifier/", "plugin/", "governance/"}

// LookupNamespace returns what lambdagate knows of a namespace name, and
// whether it is a name of the table (KrakenD's or lambdagate's). A legacy
// name without a description of its own gets its current name's.
func LookupNamespace(name string) (Namespace, bool) {
	ns, ok := namespaces[name]
	if ok && ns.Does == "" && ns.Current != "" {
		ns.Does = "legacy name of " + ns.Current + ": " + namespaces[ns.Current].Does
	}
	return ns, ok
}

// ClassifyNamespace returns the class of a namespace nobody read: the
// table's, else refused for a name under a protective prefix (auth/,
// security/, qos/, ...), else warned.
func ClassifyNamespace(name string) NamespaceClass {
	if ns, ok := namespaces[name]; ok {
		return ns.Class
	}
	if protectivePrefix(name) != "" {
		return NamespaceRefusedAccess
	}
	return NamespaceWarned
}

func protectivePrefix(name string) string {
	lower := strings.ToLower(name)
	for _, p := range protectivePrefixes {
		if strings.HasPrefix(lower, p) {
			return p
		}
	}
	return ""
}

// KnownNamespaces lists, sorted, every name of the table.
func KnownNamespaces() []string {
	out := make([]string, 0, len(namespaces))
	for k := range namespaces {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckUnused reports the namespaces of x nobody read: each refused one as
// an error in errs at its JSON path, each other one as a warning (returned).
func (x *ExtraConfig) CheckUnused(errs *Errors) []string {
	var warns []string
	for _, name := range x.Unused() {
		if msg := unusedMessage(x.Path, name); ClassifyNamespace(name).Refused() {
			errs.Add(Join(x.Path, name), "%s", msg)
		} else {
			warns = append(warns, fmt.Sprintf("%s: %s", x.Path, msg))
		}
	}
	return warns
}

// unusedMessage says what happens to the namespace name, unread in the
// extra_config at path: why it is refused and what to do, or what is
// ignored.
func unusedMessage(path, name string) string {
	ns, known := LookupNamespace(name)
	if !known {
		if p := protectivePrefix(name); p != "" {
			return fmt.Sprintf("not a namespace lambdagate or KrakenD knows, but %q namespaces protect endpoints: ignored, the gateway could serve %s unprotected; remove it, or correct its name", p, served(path))
		}
		return fmt.Sprintf("%q is not a namespace lambdagate or KrakenD knows; ignored", name)
	}
	refused := ns.Class.Refused()
	var consequence string
	switch ns.Class {
	case NamespaceRefusedAccess:
		consequence = "ignored, the gateway would serve " + served(path) + " unprotected"
	case NamespaceRefusedResponse:
		consequence = "ignored, the gateway would answer differently from KrakenD"
	}
	const wait = "remove it, or wait until lambdagate implements it"
	switch cur := namespaces[ns.Current]; {
	case ns.ReadBy != "" && refused:
		return fmt.Sprintf("lambdagate reads %q %s only (here: %s): %s; %s", name, ns.ReadBy, ns.Does, consequence, wait)
	case ns.ReadBy != "":
		return fmt.Sprintf("namespace %q is not implemented here and is ignored (%s; lambdagate reads it %s)", name, ns.Does, ns.ReadBy)
	case cur.ReadBy != "" && refused:
		return fmt.Sprintf("legacy name of %q, which lambdagate reads only under its current name: %s; rename it %q", ns.Current, consequence, ns.Current)
	case cur.ReadBy != "":
		return fmt.Sprintf("namespace %q is a legacy name of %q, which lambdagate reads only under its current name, and is ignored; rename it %q", name, ns.Current, ns.Current)
	case refused:
		return fmt.Sprintf("not implemented by lambdagate (%s): %s; %s", ns.Does, consequence, wait)
	}
	return fmt.Sprintf("namespace %q is not implemented by lambdagate and is ignored (%s)", name, ns.Does)
}

// served names what an unprotected namespace at path leaves open.
func served(path string) string {
	if strings.HasPrefix(path, "endpoints[") {
		return "the endpoint"
	}
	return "every endpoint"
}
