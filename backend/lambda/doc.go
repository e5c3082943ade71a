// Package lambda is the AWS Lambda transport of lambdagate: a backend whose
// extra_config holds "backend/lambda" (or KrakenD's legacy namespace
// "github.com/devopsfaith/krakend-lambda") invokes a Lambda function instead
// of calling host + url_pattern.
//
// At start-up the kind decodes and checks a backend's options (every
// problem reported with its JSON path) and takes its Invoke client from
// internal/lambdainvoke: one per distinct region, endpoint and credentials,
// shared by the gateway's Lambda backends, with max_retries as the client's
// retry loop. Per request, the transport picks the function (fixed, or
// from the path within allowed_functions), builds the payload (the krakend
// format, or an Amazon API Gateway v1/v2 event), invokes, and turns the
// Result into a Response: a JSON object becomes the data, an array goes
// under "collection", any other value under "content", and an API Gateway
// style result ({"statusCode", "headers", "body", ...}) is unwrapped. The
// function's own failures and the client's errors become proxy.StatusError
// or proxy.BackendError values whose status follows the table in
// docs/lambda.md (errors.go).
//
// With the gateway's telemetry, each invocation carries the backend span's
// trace as X-Amzn-Trace-Id, records the lambdagate.lambda.* metrics (label
// values from the configuration or bounded, never the client's text) and
// adds the function, qualifier, AWS request id and error type to the span
// (telemetry.go); without it none of this costs anything.
//
// This package must not know about routing, merging or output encodings,
// nor sign or send requests itself, and must never write a credential into
// a log line, an error or a metric.
package lambda
