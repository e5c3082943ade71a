package lambda

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

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
	var refused *proxy.StatusError // max_concurrency
	if errors.As(err, &refused) {
		return refused
	}
	var api *lambdainvoke.APIError
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
