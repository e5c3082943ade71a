// Package lambdainvoke is lambdagate's client of the Lambda Invoke API: the
// one way the module's packages invoke a function (the Lambda backend, and
// whatever else runs functions with the same settings).
//
// New resolves a Key (region, endpoint, profile, role to assume, or a
// local runtime) with the AWS SDK's shared config, credential chain and
// endpoint rules, once, and returns a Client; Clients shares one Client per
// Key. A Client is an Invoker: each Invoke builds one request, signs it
// with the SDK's SigV4 signer and cached credentials, and sends it with
// fasthttp's client on the calling goroutine over keep-alive connections
// (net/http's client when HTTP_PROXY or HTTPS_PROXY applies to the
// endpoint, as fasthttp ignores them). It never calls the SDK's own
// Invoke: its per-call middleware costs more than the HTTP hop. WithRetries
// adds the SDK's standard retry rules.
//
// A Client answers a Result when Lambda answered, the function's own
// failures included, an *APIError for an error answer of the Invoke API, a
// *CredentialsError when no credentials can be had, and a transport error
// otherwise; what a caller makes of them (client statuses, metrics) is the
// caller's. New's errors are *ConfigError values naming the Key field at
// fault, never a configuration file's path.
//
// This package must never write a credential into a log line or an error.
package lambdainvoke
