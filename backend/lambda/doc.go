// Package lambda is the AWS Lambda transport of lambdagate: a backend whose
// extra_config holds "backend/lambda" (or KrakenD's legacy namespace
// "github.com/devopsfaith/krakend-lambda") invokes a Lambda function through
// the Lambda Invoke API instead of calling host + url_pattern.
//
// The package turns a gateway Request into an invocation payload (the
// seed's "krakend" format, or an Amazon API Gateway v1/v2 event), invokes the
// function through an Invoker, and turns the result into a Response: a JSON
// object becomes the data, an array goes under "collection", any other value
// under "content"; an API Gateway style result ({"statusCode", "headers",
// "body", ...}) is unwrapped. Failures become proxy.StatusError or
// proxy.BackendError values whose status follows the table in
// docs/lambda.md.
//
// Everything is decided at start-up by Factory: options are decoded into a
// typed struct and validated (every problem reported with its JSON path),
// and one Invoker is built per distinct (region, endpoint, credentials) and
// shared by the backends that use it. The Invoker signs each request with
// the AWS SDK's SigV4 signer and cached credentials and sends it over a
// lean, keep-alive net/http client: it never calls lambda.Client.Invoke on
// the hot path.
//
// With the gateway's telemetry, each invocation carries the backend span's
// trace as X-Amzn-Trace-Id, records the lambdagate.lambda.* metrics (label
// values from the configuration or bounded, never the client's text) and
// adds the function, qualifier, AWS request id and error type to the span
// (telemetry.go); without it none of this costs anything.
//
// This package must not know about routing, merging or output encodings,
// and must never write a credential into a log line, an error or a metric.
package lambda
