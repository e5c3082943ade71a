package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ClientError is an error that decides the status the client gets when it is
// the reason an endpoint has no data to answer with. Errors that do not
// implement it end the request with 500, as KrakenD does.
type ClientError interface {
	error
	// ClientStatus is the HTTP status the client gets.
	ClientStatus() int
}

// RelayedError is a ClientError that may carry a backend body to relay to
// the client as it came (backend/http return_error_code).
type RelayedError interface {
	ClientError
	// RelayedBody returns the body and content type to send, and whether
	// the body is to be relayed at all.
	RelayedBody() (body []byte, contentType string, ok bool)
}

// StatusFor returns the status a client gets for err: the ClientStatus of
// the first ClientError in its chain, or 500.
func StatusFor(err error) int {
	var ce ClientError
	if errors.As(err, &ce) {
		return ce.ClientStatus()
	}
	return http.StatusInternalServerError
}

// BackendError reports a backend reply whose status is not a success (200
// or 201 for HTTP backends; an unwrapped Lambda statusCode likewise).
type BackendError struct {
	// Backend names the backend in messages: its host and path, or its
	// function.
	Backend string
	// StatusCode is the status the backend answered with.
	StatusCode int
	// Body is the backend's body, read whole (bounded).
	Body []byte
	// ContentType is the backend's Content-Type.
	ContentType string
	// Relay makes the client get StatusCode and Body as they came
	// (backend/http return_error_code).
	Relay bool
	// FailStatus is the client's status when not relayed (default 500;
	// Lambda function errors use 502).
	FailStatus int
}

// Error says which backend answered which status.
func (e *BackendError) Error() string {
	return fmt.Sprintf("backend %s answered status %d", e.Backend, e.StatusCode)
}

// ClientStatus is the backend's status when relayed, FailStatus (or 500)
// otherwise.
func (e *BackendError) ClientStatus() int {
	if e.Relay {
		return e.StatusCode
	}
	if e.FailStatus != 0 {
		return e.FailStatus
	}
	return http.StatusInternalServerError
}

// RelayedBody returns the backend's body and content type when Relay is set.
func (e *BackendError) RelayedBody() ([]byte, string, bool) {
	return e.Body, e.ContentType, e.Relay
}

// StatusError is a failure that maps to a chosen client status, such as a
// Lambda throttle (429) or an endpoint timeout while invoking (504).
type StatusError struct {
	// Status is the client's status.
	Status int
	// Header holds headers the client gets with it (Retry-After, ...).
	Header http.Header
	// Err is the cause; its text is what return_error_msg shows.
	Err error
}

// Error returns the cause's text.
func (e *StatusError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *StatusError) Unwrap() error { return e.Err }

// ClientStatus returns Status.
func (e *StatusError) ClientStatus() int { return e.Status }

// MergeError gathers the errors of the backends of one endpoint that failed.
type MergeError struct {
	// Errs holds one error per failed backend, in backend order.
	Errs []error
}

// Error joins the backends' errors.
func (e *MergeError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the backends' errors, so errors.As finds a ClientError
// among them: the first failed backend's status decides.
func (e *MergeError) Unwrap() []error { return e.Errs }
