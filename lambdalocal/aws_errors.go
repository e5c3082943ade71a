package lambdalocal

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// apiError is an Invoke API error in the shape Lambda sends: the error's
// name in the X-Amzn-ErrorType header, and a JSON body with "Type" (User or
// Service) and the message. The message's key is spelled per error as
// Lambda's API model spells it ("Message" for ResourceNotFoundException
// and ServiceException, "message" for the others); the AWS SDKs and the AWS
// CLI read either, and the typed SDK errors fill their Message field only
// from the model's spelling.
type apiError struct {
	status     int
	name       string // X-Amzn-ErrorType, e.g. ResourceNotFoundException
	message    string
	upperKey   bool   // "Message" rather than "message"
	service    bool   // Type "Service" rather than "User"
	reason     string // TooManyRequestsException's Reason
	retryAfter int    // seconds, for Retry-After; 0 for none
}

func (e *apiError) Error() string { return e.name + ": " + e.message }

// The errors the local Invoke API returns.
func errResourceNotFound(arn string) *apiError {
	return &apiError{status: http.StatusNotFound, name: lambdaapi.CodeResourceNotFound, message: "Function not found: " + arn, upperKey: true}
}

func errRequestTooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, name: lambdaapi.CodeRequestTooLarge,
		message: "Request must be smaller than " + strconv.Itoa(maxRequestPayload) + " bytes for the InvokeFunction operation"}
}

func errTooManyRequests(reason, message string) *apiError {
	return &apiError{status: http.StatusTooManyRequests, name: lambdaapi.CodeTooManyRequests, message: message, reason: reason, retryAfter: 1}
}

func errInvalidParameter(message string) *apiError {
	return &apiError{status: http.StatusBadRequest, name: lambdaapi.CodeInvalidParameterValue, message: message}
}

func errInvalidRequestContent(message string) *apiError {
	return &apiError{status: http.StatusBadRequest, name: lambdaapi.CodeInvalidRequestContent, message: message}
}

func errService(message string) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, name: lambdaapi.CodeService, message: message, upperKey: true, service: true}
}

func errUnknownOperation(method, path string) *apiError {
	return &apiError{status: http.StatusNotFound, name: lambdaapi.CodeUnknownOperation,
		message: "Unknown operation " + method + " " + path + "; the local runtime serves Invoke (" + lambdaapi.InvokePattern + ") and ListFunctions"}
}

// write sends e as Lambda would.
func (e *apiError) write(w http.ResponseWriter, requestID string) {
	body := map[string]string{"Type": "User"}
	if e.service {
		body["Type"] = "Service"
	}
	if e.upperKey {
		body["Message"] = e.message
	} else {
		body["message"] = e.message
	}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	data, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(lambdaapi.HeaderErrorType, e.name)
	h.Set(lambdaapi.HeaderRequestID, requestID)
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(e.status)
	_, _ = w.Write(data)
}

// errAllBusy is the refusal of a RequestResponse invocation while every
// process of fn is busy.
func errAllBusy(fn *function) *apiError {
	return errTooManyRequests("ReservedFunctionConcurrentInvocationLimitExceeded",
		"Rate Exceeded. (all "+strconv.Itoa(fn.concurrency)+" processes of function "+fn.name+
			" are busy; raise \"concurrency\" in its function.json)")
}
