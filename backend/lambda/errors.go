package lambda

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/proxy"
)

// APIError is an error answer of the Lambda Invoke API itself (the function
// did not run, or its result could not be returned). It implements the
// smithy.APIError interface and HTTPStatusCode, so the AWS SDK's retry rules
// classify it exactly as they classify the SDK's own errors.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is Lambda's error code, such as TooManyRequestsException.
	Code string
	// Message is Lambda's message.
	Message string
	// RetryAfter is Lambda's Retry-After header, when it sent one.
	RetryAfter string
	// RequestID is Lambda's request id, for support.
	RequestID string
}

// Error names the code, status and message.
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = "error"
	}
	if e.Message == "" {
		return fmt.Sprintf("lambda API %s (HTTP %d)", code, e.StatusCode)
	}
	return fmt.Sprintf("lambda API %s (HTTP %d): %s", code, e.StatusCode, e.Message)
}

// ErrorCode returns Lambda's error code (smithy.APIError).
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage returns Lambda's message (smithy.APIError).
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault says whether the client or the service is at fault
// (smithy.APIError).
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.StatusCode >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode returns the HTTP status, for the SDK's retry rules.
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

var _ smithy.APIError = (*APIError)(nil)

// CredentialsError reports that no usable AWS credentials could be had. Its
// text is the SDK's, which never holds a secret.
type CredentialsError struct {
	// Err is the SDK's error.
	Err error
}

// Error says credentials are missing and where they are looked for.
func (e *CredentialsError) Error() string {
	return "no usable AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role): " + e.Err.Error()
}

// Unwrap returns the SDK's error.
func (e *CredentialsError) Unwrap() error { return e.Err }

// FunctionError reports a function that ran and failed (X-Amz-Function-Error
// Handled or Unhandled, its own timeout included). It wraps a
// *proxy.BackendError (502, body = the function's error payload) so that
// return_error_code and return_error_details apply to it.
type FunctionError struct {
	// Function is the function invoked.
	Function string
	// Kind is X-Amz-Function-Error: Handled or Unhandled.
	Kind string
	// Type and Message come from the function's error payload
	// (errorType, errorMessage).
	Type, Message string
	// Backend carries the status and payload.
	Backend *proxy.BackendError
}

// Error names the function, the error kind, type and message.
func (e *FunctionError) Error() string {
	msg := fmt.Sprintf("lambda function %q failed (%s)", e.Function, e.Kind)
	switch {
	case e.Type != "" && e.Message != "":
		msg += ": " + e.Type + ": " + e.Message
	case e.Type != "":
		msg += ": " + e.Type
	case e.Message != "":
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap returns the BackendError.
func (e *FunctionError) Unwrap() error { return e.Backend }

// clientError turns an invocation failure into the error the endpoint
// answers with (see the table in docs/lambda.md). fromParam says the
// function name came from the client's path.
func clientError(ctx context.Context, err error, fn string, fromParam bool) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return &proxy.StatusError{Status: http.StatusGatewayTimeout, Err: fmt.Errorf("endpoint timeout reached while invoking lambda function %q: %w", fn, ctxErr)}
		}
		return fmt.Errorf("invoking lambda function %q: %w", fn, ctxErr)
	}
	var api *APIError
	if errors.As(err, &api) {
		status := http.StatusBadGateway
		var header http.Header
		switch api.Code {
		case lambdaapi.CodeResourceNotFound:
			if fromParam {
				status = http.StatusNotFound
			}
		case lambdaapi.CodeTooManyRequests:
			status = http.StatusTooManyRequests
			if api.RetryAfter != "" {
				header = http.Header{"Retry-After": {api.RetryAfter}}
			}
		case lambdaapi.CodeRequestTooLarge:
			status = http.StatusRequestEntityTooLarge
		case lambdaapi.CodeInvalidRequestContent, lambdaapi.CodeInvalidParameterValue, lambdaapi.CodeUnsupportedMediaType:
			status = http.StatusBadRequest
		}
		return &proxy.StatusError{Status: status, Header: header, Err: fmt.Errorf("invoking lambda function %q: %w", fn, err)}
	}
	return &proxy.StatusError{Status: http.StatusBadGateway, Err: fmt.Errorf("invoking lambda function %q: %w", fn, err)}
}
