// Package authorizer runs API Gateway's Lambda authorizers in front of an
// endpoint: the lambdagate/authorizer namespace. Before any backend is
// called, the endpoint's authorizer function is invoked with the event API
// Gateway would send it (a REST API's TOKEN or REQUEST event, payload 1.0,
// or an HTTP API's REQUEST event, payload 2.0), and its answer decides:
//
//   - a request lacking one of the identity sources gets 401, and the
//     function is not invoked;
//   - an answer that denies the request (an IAM policy with an explicit
//     Deny, or no Allow, for the request's method ARN; or a simple
//     response with isAuthorized false) gets 403;
//   - a function that fails, answers something malformed or runs past the
//     endpoint's timeout gets 500, logged with the reason; a function
//     error whose message is "Unauthorized" gets 401, as in API Gateway;
//   - an answer that allows the request lets it through, with the answer's
//     principalId and context in the request's context
//     (proxy.WithAuthorizer) and the propagate_context headers set (the
//     client's own copies removed).
//
// Answers are cached per endpoint for result_ttl, keyed on the identity
// sources' values; a cached IAM policy is evaluated again for each
// request's method ARN (policy.go), as API Gateway does.
//
// Functions are invoked through internal/lambdainvoke, with the same
// settings as Lambda backends (region, endpoint, credentials, qualifier),
// and through the in-process local runtime when the gateway has one.
// Everything is decided when an Authorizer is built; the handler it wraps
// reads no settings.
package authorizer
