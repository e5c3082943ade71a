package proxy

import "errors"

// BackendFailure is a backend's error with the backend's name, so that the
// access log can list the failed backends of a request. Its text is the
// cause's: wrapping changes no message and, through Unwrap, no status.
type BackendFailure struct {
	// Backend names the backend: its JSON path in the configuration.
	Backend string
	// Err is the backend's error.
	Err error
}

// Error returns the cause's text.
func (e *BackendFailure) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *BackendFailure) Unwrap() error { return e.Err }

// BackendFailures lists the backend failures err holds, in backend order,
// or nil when err names none.
func BackendFailures(err error) []*BackendFailure {
	if err == nil {
		return nil
	}
	errs := []error{err}
	var me *MergeError
	if errors.As(err, &me) {
		errs = me.Errs
	}
	var out []*BackendFailure
	for _, e := range errs {
		var bf *BackendFailure
		if errors.As(e, &bf) {
			out = append(out, bf)
		}
	}
	return out
}

// FailedBackends lists the names of the backends err reports as failed,
// in backend order, or nil when err names none.
func FailedBackends(err error) []string {
	if err == nil {
		return nil
	}
	errs := []error{err}
	var me *MergeError
	if errors.As(err, &me) {
		errs = me.Errs
	}
	var out []string
	for _, e := range errs {
		var bf *BackendFailure
		if errors.As(e, &bf) {
			out = append(out, bf.Backend)
		}
	}
	return out
}
