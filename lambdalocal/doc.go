// Package lambdalocal runs AWS Lambda functions on the local machine, behind
// the same two HTTP APIs that Lambda itself speaks, so that nothing on either
// side can tell the difference:
//
//   - the Invoke API for clients (lambdaapi.InvokePattern), which the AWS
//     CLI and every AWS SDK reach with an endpoint override; any
//     SigV4-signed request is accepted and credentials are never checked;
//   - the Runtime API (/2018-06-01/runtime/...) for the function processes,
//     which is what aws-lambda-go, Lambda's own runtime clients and the small
//     Node.js and Python clients embedded in this package talk to.
//
// A functions directory holds one folder per function, named after it. The
// folder holds a bootstrap executable, a Go main package (built once at
// start-up and cached by content), a Node.js index.js / index.mjs, or a
// Python lambda_function.py / handler.py, and optionally a function.json with
// handler, timeout, memory, environment and concurrency. See
// docs/local-runtime.md for the user's guide.
//
// Each function keeps a pool of warm processes, at most its concurrency:
// a process is started on demand, reused afterwards and stopped after
// Options.IdleTimeout without work. A function that overruns its timeout is
// killed (errorType Sandbox.Timedout) and one that dies reports
// Runtime.ExitError; neither harms the next call.
//
// Function errors: X-Amz-Function-Error is Handled when the runtime caught
// the function's error and reported it through the Runtime API, and
// Unhandled when it could not (timeout, crash, failed start), as the Invoke
// API reference defines them.
//
// Concurrency: when every one of a function's processes is busy, a
// synchronous (RequestResponse) invocation is refused at once with
// 429 TooManyRequestsException, Reason
// ReservedFunctionConcurrentInvocationLimitExceeded, exactly as Lambda
// refuses a function whose reserved concurrency is used up. It is not
// queued: a caller sees locally the throttling it must handle in AWS (the
// AWS SDKs retry it with back-off). Event invocations are queued, as
// Lambda's asynchronous queue does, and run when a process is free.
//
// What this package must not do: reach the network beyond loopback, check
// or need AWS credentials, or model what a local run cannot honour (memory
// limits are reported, not enforced; versions and aliases all run the
// folder as it is, reported as $LATEST).
package lambdalocal
