package lambda

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Invoker invokes Lambda functions through one Invoke endpoint with one set
// of credentials. Implementations are safe for concurrent use.
//
// Invoke returns a Result whenever Lambda answered the invocation with a
// success status, including when the function itself failed
// (Result.FunctionError). It returns an *APIError when the Invoke API
// answered an error status, a *CredentialsError when no credentials could
// be had, and any other error for transport failures.
type Invoker interface {
	Invoke(ctx context.Context, in *Invocation) (*Result, error)
}

// Invocation is one call of a function.
type Invocation struct {
	// FunctionName is a name, name:qualifier, a partial or a full ARN.
	FunctionName string
	// Qualifier is the version or alias, or "".
	Qualifier string
	// InvocationType is RequestResponse, Event or DryRun.
	InvocationType string
	// LogTail asks for the last 4 KB of the function's log.
	LogTail bool
	// Payload is the event, JSON.
	Payload []byte
	// TraceHeader, when set, is sent as X-Amzn-Trace-Id (X-Ray format, see
	// telemetry.XRayTraceHeader): the function runs in the gateway's trace.
	TraceHeader string

	// payloadHash caches the SigV4 payload hash across retries.
	payloadHash string
	// metrics, when set, records the retries and throttles of the
	// attempts the retry loop makes.
	metrics *functionMetrics
}

// Result is Lambda's answer to an invocation.
type Result struct {
	// StatusCode is 200 (RequestResponse), 202 (Event) or 204 (DryRun).
	StatusCode int
	// Payload is the function's result, or its error payload.
	Payload []byte
	// FunctionError is X-Amz-Function-Error (Handled, Unhandled) or "".
	FunctionError string
	// LogResult is X-Amz-Log-Result: the log tail, base64.
	LogResult string
	// ExecutedVersion is X-Amz-Executed-Version.
	ExecutedVersion string
	// RequestID is Lambda's request id (X-Amzn-RequestId).
	RequestID string
}

// invokerKey identifies what makes two backends' invokers differ.
type invokerKey struct {
	region, endpoint string
	profile          string
	roleARN          string
	externalID       string
	sessionName      string
	local            bool
}

// sharedInvoker is an Invoker built once per invokerKey, with what the
// backends using it need to know.
type sharedInvoker struct {
	*signedInvoker
	// sdkMaxAttempts is the SDK's configured attempts (AWS_MAX_ATTEMPTS,
	// max_attempts in the profile), 0 when unset.
	sdkMaxAttempts int
}

// parseEndpoint checks a custom Invoke endpoint URL.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an endpoint URL: write it as http://host:port or https://host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q: an endpoint URL holds a scheme, a host and an optional path, no query, fragment or user", s)
	}
	return u, nil
}

// trimEndpoint drops a trailing slash, so that the Invoke path can be
// appended.
func trimEndpoint(s string) string { return strings.TrimRight(s, "/") }
