package proxy

import (
	"context"
	"encoding/json"
	"strconv"
)

// AuthorizerResult is what an endpoint's Lambda authorizer
// (lambdagate/authorizer) answered for a request it let through: the
// request's identity as the authorizer established it. It is shared by
// every request served from the same cached answer: read it, never change
// it.
type AuthorizerResult struct {
	// PrincipalID is the answer's principalId; "" for a simple response
	// (payload 2.0 with enable_simple_responses), which has none.
	PrincipalID string
	// Context is the answer's context: string, json.Number and bool
	// values (payload 1.0), or any JSON value (payload 2.0); nil when the
	// answer has none.
	Context map[string]any
	// Version is the authorizer's payload format version, "1.0" or "2.0".
	Version string
}

// authorizerKey is the context key of a request's AuthorizerResult.
type authorizerKey struct{}

// WithAuthorizer returns ctx carrying the authorizer's answer, for the
// endpoint to put in Request.Authorizer.
func WithAuthorizer(ctx context.Context, a *AuthorizerResult) context.Context {
	return context.WithValue(ctx, authorizerKey{}, a)
}

// AuthorizerFrom returns the answer WithAuthorizer put in ctx, nil for
// none.
func AuthorizerFrom(ctx context.Context) *AuthorizerResult {
	a, _ := ctx.Value(authorizerKey{}).(*AuthorizerResult)
	return a
}

// ContextText returns an authorizer context value as text, as API Gateway
// writes context values into REST API events and headers: a string as it
// is, a number as the function wrote it, a boolean as true or false,
// anything else (payload 2.0 only) as JSON.
func ContextText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
