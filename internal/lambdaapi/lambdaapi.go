// Package lambdaapi holds the facts of AWS Lambda's Invoke API that
// lambdagate speaks from both sides: the client (internal/lambdainvoke, and
// the Lambda transport, backend/lambda, that uses it), the local runtime
// (lambdalocal, a server) and the fake Invoke server of tests and
// benchmarks. Keeping them in one place keeps both sides agreeing on what a
// function name is, where an invocation goes, what it may carry and how
// Lambda answers.
//
// It holds the rules for function names, partial and full ARNs,
// qualifiers and regions (names.go), the Invoke path, to build for a
// client and to parse for a server (path.go), and the invocation types,
// header names, payload limits and error codes (this file).
//
// This package is a leaf: it imports only the standard library, and knows
// nothing of configuration, gateways or HTTP clients.
package lambdaapi

// Invocation types, the values of HeaderInvocationType.
const (
	// InvocationRequestResponse runs the function and waits for its
	// result (the default).
	InvocationRequestResponse = "RequestResponse"
	// InvocationEvent queues the function's run and answers 202 at once.
	InvocationEvent = "Event"
	// InvocationDryRun checks the request and answers 204; nothing runs.
	InvocationDryRun = "DryRun"
)

// Log types, the values of HeaderLogType.
const (
	// LogTypeNone asks for no log (the default).
	LogTypeNone = "None"
	// LogTypeTail asks for the last 4 KB of the function's log, base64,
	// in HeaderLogResult.
	LogTypeTail = "Tail"
)

// Values of HeaderFunctionError: the function ran and failed.
const (
	// FunctionErrorHandled: the runtime caught the function's error and
	// reported it.
	FunctionErrorHandled = "Handled"
	// FunctionErrorUnhandled: the runtime could not report it (timeout,
	// crash, failed start, invalid response).
	FunctionErrorUnhandled = "Unhandled"
)

// LatestVersion is the qualifier and executed version of a function's
// unpublished code.
const LatestVersion = "$LATEST"

// QualifierParam is the query parameter of an Invoke request that holds
// the qualifier.
const QualifierParam = "Qualifier"

// Header names, in net/http's canonical form (http.CanonicalHeaderKey), so
// that they index an http.Header directly.
const (
	// HeaderInvocationType is the request's invocation type.
	HeaderInvocationType = "X-Amz-Invocation-Type"
	// HeaderLogType is the request's log type.
	HeaderLogType = "X-Amz-Log-Type"
	// HeaderClientContext is the request's client context: base64 JSON,
	// at most MaxClientContext bytes.
	HeaderClientContext = "X-Amz-Client-Context"
	// HeaderTraceID is the X-Ray trace header an invocation carries.
	HeaderTraceID = "X-Amzn-Trace-Id"
	// HeaderFunctionError is set on a result when the function failed:
	// FunctionErrorHandled or FunctionErrorUnhandled.
	HeaderFunctionError = "X-Amz-Function-Error"
	// HeaderLogResult is the base64 log tail asked for with LogTypeTail.
	HeaderLogResult = "X-Amz-Log-Result"
	// HeaderExecutedVersion is the version that ran.
	HeaderExecutedVersion = "X-Amz-Executed-Version"
	// HeaderRequestID is the AWS request id of every answer
	// (X-Amzn-RequestId).
	HeaderRequestID = "X-Amzn-Requestid"
	// HeaderErrorType is the error code of an error answer
	// (X-Amzn-ErrorType), sometimes followed by ":" and a URL.
	HeaderErrorType = "X-Amzn-Errortype"
)

// Limits, in bytes.
const (
	// MaxSyncPayload is the largest RequestResponse (and DryRun) request
	// payload: 6 MB.
	MaxSyncPayload = 6_291_456
	// MaxEventPayload is the largest Event request payload: 1 MB.
	MaxEventPayload = 1_048_576
	// MaxResponsePayload is the largest result a function may return.
	MaxResponsePayload = 6_291_556
	// MaxClientContext is the largest HeaderClientContext value (base64).
	MaxClientContext = 3583
)

// Error codes of the Invoke API (HeaderErrorType), as its model names them.
const (
	// CodeResourceNotFound (404): no such function, version or alias.
	CodeResourceNotFound = "ResourceNotFoundException"
	// CodeTooManyRequests (429): throttled; the Retry-After header may say
	// when to retry.
	CodeTooManyRequests = "TooManyRequestsException"
	// CodeRequestTooLarge (413): the payload is over the limit.
	CodeRequestTooLarge = "RequestTooLargeException"
	// CodeInvalidRequestContent (400): the payload is not JSON, or the
	// client context is not valid.
	CodeInvalidRequestContent = "InvalidRequestContentException"
	// CodeInvalidParameterValue (400): a parameter (the name, the
	// qualifier, a header) is not valid.
	CodeInvalidParameterValue = "InvalidParameterValueException"
	// CodeUnsupportedMediaType (415): the content type is not accepted.
	CodeUnsupportedMediaType = "UnsupportedMediaTypeException"
	// CodeService (500): Lambda failed.
	CodeService = "ServiceException"
	// CodeEC2Unexpected (502): Lambda failed setting up the function's
	// network.
	CodeEC2Unexpected = "EC2UnexpectedException"
	// CodeUnknownOperation (404): no operation at this method and path.
	CodeUnknownOperation = "UnknownOperationException"
)
