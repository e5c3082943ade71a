package authorizer

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/apigw"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
)

// Namespace is the endpoint extra_config key of an authorizer.
const Namespace = "lambdagate/authorizer"

// Options is an endpoint's "lambdagate/authorizer" namespace. The field
// comments are the user documentation (docs/configuration.md and
// docs/lambda.md repeat them with examples).
type Options struct {
	// FunctionName is the authorizer function: a name, name:alias, a
	// partial ARN (123456789012:function:name) or a full ARN. Required.
	FunctionName string `json:"function_name"`
	// Qualifier is the version or alias invoked.
	Qualifier string `json:"qualifier"`
	// PayloadFormatVersion is "1.0" (a REST API's TOKEN or REQUEST
	// authorizer, or an HTTP API's 1.0 format) or "2.0" (an HTTP API's
	// REQUEST authorizer). Required.
	PayloadFormatVersion string `json:"payload_format_version"`
	// IdentitySource lists where the caller's identity is read, in API
	// Gateway's syntax: "$request.header.NAME", "$request.querystring.NAME",
	// and with payload 1.0 also a REST API's "method.request.header.NAME"
	// and "method.request.querystring.NAME". A request lacking one (absent
	// or empty) gets 401 without invoking. With payload 1.0, a single
	// "method.request.header.NAME" makes a TOKEN authorizer. Required
	// unless result_ttl is "0s".
	IdentitySource []string `json:"identity_source"`
	// EnableSimpleResponses (payload 2.0 only) makes the function answer
	// {"isAuthorized": true|false, "context": {...}} instead of an IAM
	// policy.
	EnableSimpleResponses bool `json:"enable_simple_responses"`
	// ResultTTL is how long an answer is cached, keyed on the identity
	// sources' values: a duration up to "3600s"; "0s" caches nothing.
	// Default "300s".
	ResultTTL string `json:"result_ttl"`
	// PropagateContext copies values of the answer to request headers:
	// [["context key", "Header-Name"], ...]; the key "principalId" is the
	// answer's principalId. The client's own copies of these headers are
	// always removed; a header reaches a backend when the endpoint's
	// input_headers lists it.
	PropagateContext [][]string `json:"propagate_context"`
	// AccountID is the account of the method ARNs built for the policy
	// check and the events (default "000000000000", the local runtime's).
	AccountID string `json:"account_id"`
	// APIID is the API id of the method ARNs (default "lambdagate", the
	// apiId of the events the gateway sends).
	APIID string `json:"api_id"`
	// Stage is the stage of the method ARNs and events (default
	// "$default").
	Stage string `json:"stage"`

	// Region is the AWS region of the function (and of the method ARNs).
	// Default: the environment and shared config (AWS_REGION,
	// AWS_DEFAULT_REGION, the profile).
	Region string `json:"region"`
	// Endpoint is a custom Invoke endpoint URL (LocalStack, the Runtime
	// Interface Emulator, lambdagate local). With `run --functions`, an
	// authorizer without one is served by the local runtime.
	Endpoint string `json:"endpoint"`
	// Profile is the shared config profile whose credentials are used.
	Profile string `json:"profile"`
	// AssumeRoleARN is a role assumed (through STS) before invoking.
	AssumeRoleARN string `json:"assume_role_arn"`
	// ExternalID is passed to STS with AssumeRoleARN.
	ExternalID string `json:"external_id"`
	// RoleSessionName names the assumed role's session (default
	// "lambdagate").
	RoleSessionName string `json:"role_session_name"`
}

// Payload format versions.
const (
	Version1 = "1.0"
	Version2 = "2.0"
)

// Cache settings.
const (
	// DefaultResultTTL is how long answers are cached when result_ttl is
	// not set, as in API Gateway.
	DefaultResultTTL = 300 * time.Second
	// MaxResultTTL is the longest result_ttl, as in API Gateway.
	MaxResultTTL = 3600 * time.Second
	// MaxCacheEntries bounds the answers one endpoint keeps: past it, the
	// oldest answer is dropped for the new one.
	MaxCacheEntries = 10000
)

// Default method ARN settings: the local runtime's account, and the API
// and stage every event the gateway writes names.
const (
	DefaultAccountID = "000000000000"
	DefaultAPIID     = apigw.APIID
	DefaultStage     = apigw.Stage
)

// eventKind is the event an authorizer function receives.
type eventKind uint8

const (
	// tokenEvent is a REST API TOKEN authorizer's event (payload 1.0).
	tokenEvent eventKind = iota + 1
	// requestEventREST is a REST API REQUEST authorizer's event
	// (payload 1.0, method.request.* sources).
	requestEventREST
	// requestEventHTTP1 is an HTTP API REQUEST authorizer's event in
	// payload 1.0 ($request.* sources).
	requestEventHTTP1
	// requestEventV2 is an HTTP API REQUEST authorizer's event in payload
	// 2.0.
	requestEventV2
)

// settings is what the options decide, resolved once.
type settings struct {
	function  string
	qualifier string
	version   string
	kind      eventKind
	simple    bool
	sources   []source
	ttl       time.Duration
	propagate []propagation
	arnRegion string // the region the options name, "" for the client's
	accountID string
	apiID     string
	stage     string
}

// propagation is one propagate_context pair.
type propagation struct {
	key    string // a context key, or principalIDKey
	header string // canonical
}

// principalIDKey in propagate_context designates the answer's principalId.
const principalIDKey = "principalId"

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// arnPart matches an API id or a stage: what a method ARN segment may hold
// without being read as another segment or a wildcard.
var arnPart = regexp.MustCompile(`^[A-Za-z0-9_$.-]{1,128}$`)

// resolve checks the options and returns the settings, or every problem
// found, each at its JSON path under base.
func (o *Options) resolve(base string) (settings, config.Errors) {
	var errs config.Errors
	at := func(key string) string { return config.Join(base, key) }
	s := settings{
		function:  o.FunctionName,
		qualifier: o.Qualifier,
		version:   o.PayloadFormatVersion,
		simple:    o.EnableSimpleResponses,
		arnRegion: o.Region,
		accountID: cmp.Or(o.AccountID, DefaultAccountID),
		apiID:     cmp.Or(o.APIID, DefaultAPIID),
		stage:     cmp.Or(o.Stage, DefaultStage),
		ttl:       DefaultResultTTL,
	}
	switch {
	case o.FunctionName == "":
		errs.Add(base, "says no function: set function_name to the authorizer function")
	case !lambdaapi.ValidFunctionName(o.FunctionName):
		errs.Add(at("function_name"), "%q is not a Lambda function name: use a name (letters, digits, - and _, up to 64), name:alias, 123456789012:function:name or a full ARN", o.FunctionName)
	}
	if o.Qualifier != "" && !lambdaapi.ValidQualifier(o.Qualifier) {
		errs.Add(at("qualifier"), "%q is not a version or alias: use $LATEST, a version number or an alias name (letters, digits, - and _)", o.Qualifier)
	}

	switch o.PayloadFormatVersion {
	case Version1, Version2:
	case "":
		errs.Add(at("payload_format_version"), "is required: \"1.0\" (a REST API's TOKEN or REQUEST authorizer) or \"2.0\" (an HTTP API's REQUEST authorizer)")
	default:
		errs.Add(at("payload_format_version"), "%q is not a payload format version: use \"1.0\" or \"2.0\"", o.PayloadFormatVersion)
	}
	if o.EnableSimpleResponses && o.PayloadFormatVersion != Version2 {
		errs.Add(at("enable_simple_responses"), "only applies with payload_format_version \"2.0\": payload 1.0 answers are IAM policies")
	}

	rest := 0
	for i, expr := range o.IdentitySource {
		src, err := parseSource(expr, o.PayloadFormatVersion)
		if err != nil {
			errs.Add(config.Index(at("identity_source"), i), "%v", err)
			continue
		}
		if src.rest {
			rest++
		}
		s.sources = append(s.sources, src)
	}
	if rest > 0 && rest < len(s.sources) {
		errs.Add(at("identity_source"), "mixes a REST API's method.request.* sources with an HTTP API's $request.* sources: write them all one way")
	}
	switch {
	case o.PayloadFormatVersion == Version2:
		s.kind = requestEventV2
	case len(s.sources) == 1 && s.sources[0].rest && s.sources[0].header:
		s.kind = tokenEvent
	case rest > 0 || len(o.IdentitySource) == 0:
		s.kind = requestEventREST
	default:
		s.kind = requestEventHTTP1
	}

	if o.ResultTTL != "" {
		d, err := time.ParseDuration(o.ResultTTL)
		switch {
		case err != nil:
			errs.Add(at("result_ttl"), "%q is not a duration such as \"300s\" or \"5m\"", o.ResultTTL)
		case d < 0 || d > MaxResultTTL:
			errs.Add(at("result_ttl"), "%q is out of range: from \"0s\" (no cache) to \"3600s\"", o.ResultTTL)
		default:
			s.ttl = d
		}
	}
	if len(o.IdentitySource) == 0 && s.ttl > 0 {
		errs.Add(at("identity_source"), "is required while answers are cached (result_ttl, default \"300s\"): list the sources that identify the caller, such as [\"$request.header.Authorization\"], or set result_ttl to \"0s\"")
	}

	for i, pair := range o.PropagateContext {
		p := config.Index(at("propagate_context"), i)
		if len(pair) != 2 || pair[0] == "" || pair[1] == "" {
			errs.Add(p, "must be a pair [\"context key\", \"Header-Name\"]")
			continue
		}
		if !validHeaderName(pair[1]) {
			errs.Add(config.Index(p, 1), "%q is not a header name", pair[1])
			continue
		}
		s.propagate = append(s.propagate, propagation{key: pair[0], header: http.CanonicalHeaderKey(pair[1])})
	}

	if o.AccountID != "" && !accountIDPattern.MatchString(o.AccountID) {
		errs.Add(at("account_id"), "%q is not an AWS account id: 12 digits", o.AccountID)
	}
	if o.APIID != "" && !arnPart.MatchString(o.APIID) {
		errs.Add(at("api_id"), "%q is not an API id: letters, digits, -, _, . and $, up to 128", o.APIID)
	}
	if o.Stage != "" && !arnPart.MatchString(o.Stage) {
		errs.Add(at("stage"), "%q is not a stage name: letters, digits, -, _, . and $, up to 128", o.Stage)
	}

	o.key().CheckOptions(func(option, msg string) { errs.Add(at(option), "%s", msg) })
	return s, errs
}

// key is the lambdainvoke.Key the options name.
func (o *Options) key() lambdainvoke.Key {
	return lambdainvoke.Key{
		Region: o.Region, Endpoint: o.Endpoint, Profile: o.Profile,
		RoleARN: o.AssumeRoleARN, ExternalID: o.ExternalID, SessionName: o.RoleSessionName,
	}
}

// validHeaderName reports whether s is an HTTP header name (an RFC 9110
// token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// String names the event kind, for logs and tests.
func (k eventKind) String() string {
	switch k {
	case tokenEvent:
		return "TOKEN"
	case requestEventREST:
		return "REQUEST (REST API)"
	case requestEventHTTP1:
		return "REQUEST (HTTP API, 1.0)"
	case requestEventV2:
		return "REQUEST (HTTP API, 2.0)"
	}
	return fmt.Sprintf("eventKind(%d)", k)
}
