package lambdainvoke

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
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
	// Retries, when set, is told of every attempt the retry loop of
	// WithRetries makes again.
	Retries RetryRecorder

	// payloadHash caches the SigV4 payload hash across retries.
	payloadHash string
}

// RetryRecorder is told of the attempts an invocation makes again.
type RetryRecorder interface {
	// Retried is called before an attempt is made again; err is why the
	// last one failed. The last attempt is not reported: its outcome is
	// what Invoke returns.
	Retried(ctx context.Context, err error)
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

// Key is what a Client is built from: two callers with equal Keys can
// share one Client.
type Key struct {
	// Region is the AWS region; "" takes the SDK's (AWS_REGION,
	// AWS_DEFAULT_REGION, the profile), or us-east-1 with an Endpoint.
	Region string
	// Endpoint is a custom Invoke endpoint URL (see CheckEndpoint); ""
	// takes the SDK's endpoint rules for the region.
	Endpoint string
	// Profile is the shared config profile whose credentials and settings
	// are used; "" takes the SDK's default chain.
	Profile string
	// RoleARN is a role assumed through STS before invoking, with
	// ExternalID when set and SessionName (DefaultRoleSessionName when
	// empty).
	RoleARN, ExternalID, SessionName string
	// Local says Endpoint is a local runtime (lambdagate's own), which
	// checks nothing: requests are signed for us-east-1 with dummy
	// credentials, and no AWS configuration is read.
	Local bool
}

// DefaultRoleSessionName names assumed-role sessions when Key.SessionName
// is empty.
const DefaultRoleSessionName = "lambdagate"

// normalized is k with its defaults written out, so that Keys meaning the
// same client are equal.
func (k Key) normalized() Key {
	k.Endpoint = trimEndpoint(k.Endpoint)
	if k.RoleARN != "" && k.SessionName == "" {
		k.SessionName = DefaultRoleSessionName
	}
	return k
}

// Clients builds a Client per distinct Key on first use and shares it. The
// zero value is ready; it is safe for concurrent use. It is a cache, not a
// global: whoever owns one (a gateway's Lambda kind) owns its connections.
type Clients struct {
	mu sync.Mutex
	m  map[Key]*Client
}

// Get returns the Client of key, building it with New on first use. A
// failed build is not kept.
func (cs *Clients) Get(ctx context.Context, key Key, logger *slog.Logger) (*Client, error) {
	key = key.normalized()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.m[key]; ok {
		return c, nil
	}
	c, err := New(ctx, key, logger)
	if err != nil {
		return nil, err
	}
	if cs.m == nil {
		cs.m = map[Key]*Client{}
	}
	cs.m[key] = c
	return c, nil
}

// CloseIdle closes the idle connections of every Client built so far.
func (cs *Clients) CloseIdle() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, c := range cs.m {
		c.CloseIdle()
	}
}

// CheckEndpoint checks a custom Invoke endpoint URL: http or https, a host,
// an optional path, nothing else.
func CheckEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an endpoint URL: write it as http://host:port or https://host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q: an endpoint URL holds a scheme, a host and an optional path, no query, fragment or user", s)
	}
	return nil
}

// trimEndpoint drops a trailing slash, so that the Invoke path can be
// appended.
func trimEndpoint(s string) string { return strings.TrimRight(s, "/") }
