package lambdalocal

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Headers of the Runtime API.
const (
	hdrRequestID        = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline         = "Lambda-Runtime-Deadline-Ms"
	hdrInvokedARN       = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID          = "Lambda-Runtime-Trace-Id"
	hdrClientContext    = "Lambda-Runtime-Client-Context"
	hdrFunctionErrType  = "Lambda-Runtime-Function-Error-Type"
	hdrFunctionErrBody  = "Lambda-Runtime-Function-Error-Body" // trailer of a streamed response
	maxInitErrorPayload = 1 << 20
)

// runtimeAPI is the Runtime API one process talks to.
func (sb *sandbox) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", sb.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", sb.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", sb.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", sb.handleInitError)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtimeError(w, http.StatusNotFound, "NotFound", "no Runtime API operation "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// handleNext waits for an invocation and hands it to the process.
func (sb *sandbox) handleNext(w http.ResponseWriter, r *http.Request) {
	sb.mu.Lock()
	if !sb.ready {
		sb.ready = true
		sb.initTook = time.Since(sb.started)
	}
	unanswered := sb.current
	sb.current = nil
	sb.mu.Unlock()
	if unanswered != nil {
		unanswered.finish(sandboxError(unanswered, "Runtime.InvalidResponse",
			"the runtime asked for the next invocation without answering this one"))
	}

	var inv *invocation
	select {
	case inv = <-sb.work:
	case <-sb.exited:
		return
	case <-r.Context().Done():
		return
	}
	now := time.Now()
	sb.mu.Lock()
	sb.current = inv
	sb.mu.Unlock()
	sb.out.locked(func() { inv.log.writeString(startLine(inv)) })
	sb.logger.Debug(startLine(inv), "request_id", inv.id)
	inv.deliveredAt = now
	inv.deadline = now.Add(sb.fn.timeout)
	close(inv.delivered)

	h := w.Header()
	h.Set(hdrRequestID, inv.id)
	h.Set(hdrDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(hdrInvokedARN, inv.invokedARN)
	h.Set(hdrTraceID, inv.traceID)
	if inv.clientContext != "" {
		h.Set(hdrClientContext, inv.clientContext)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// handleResponse takes the function's result.
func (sb *sandbox) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := sb.answering(w, r)
	if inv == nil {
		return
	}
	if inv.stream != nil && r.Header.Get(hdrResponseMode) == responseStreaming {
		sb.handleStreamedResponse(w, r, inv)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload+1))
	if err != nil {
		return // the process's connection broke; its exit or the timeout ends inv
	}
	if len(body) > maxResponsePayload {
		sb.complete(inv, invokeResult{
			payload: errorJSON("Function.ResponseSizeTooLarge",
				fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponsePayload)),
			functionError: functionErrorUnhandled,
			errorType:     "Function.ResponseSizeTooLarge",
			status:        "error",
		})
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponsePayload))
		return
	}
	// A runtime that streams its response reports a failure half-way in
	// trailers (aws-lambda-go does), readable once the body is.
	if errType := r.Trailer.Get(hdrFunctionErrType); errType != "" {
		payload, err := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrFunctionErrBody))
		if err != nil || !isJSONObject(payload) {
			payload = errorJSON(errType, "the function failed while sending its response")
		}
		sb.complete(inv, invokeResult{payload: payload, functionError: functionErrorHandled, errorType: errType})
		accepted(w)
		return
	}
	sb.complete(inv, invokeResult{payload: body})
	accepted(w)
}

// handleError takes an error the runtime caught.
func (sb *sandbox) handleError(w http.ResponseWriter, r *http.Request) {
	inv := sb.answering(w, r)
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload))
	if err != nil {
		return
	}
	errType := r.Header.Get(hdrFunctionErrType)
	payload := body
	if !isJSONObject(payload) {
		payload = errorJSON(cmpOrUnknown(errType), string(body))
	}
	if t := errorTypeOf(payload); t != "" {
		errType = t
	}
	sb.complete(inv, invokeResult{payload: payload, functionError: functionErrorHandled, errorType: cmpOrUnknown(errType)})
	accepted(w)
}

// handleInitError takes the runtime's report that it could not start
// (a missing handler, a syntax error); the invocation waiting for this
// process gets it as its result.
func (sb *sandbox) handleInitError(w http.ResponseWriter, r *http.Request) {
	sb.mu.Lock()
	ready := sb.ready
	sb.mu.Unlock()
	if ready {
		runtimeError(w, http.StatusForbidden, "InvalidStateTransition", "init/error is only valid before the first call to next")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxInitErrorPayload))
	if !isJSONObject(body) {
		body = errorJSON(cmpOrUnknown(r.Header.Get(hdrFunctionErrType)), string(body))
	}
	select {
	case sb.initErr <- body:
	default:
	}
	accepted(w)
}

// answering returns the invocation the request's {id} names, or writes the
// Runtime API's error and returns nil if it is not the one in progress.
func (sb *sandbox) answering(w http.ResponseWriter, r *http.Request) *invocation {
	id := r.PathValue("id")
	sb.mu.Lock()
	inv := sb.current
	sb.mu.Unlock()
	if inv == nil || inv.id != id {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+id+" is not the invocation in progress")
		return nil
	}
	return inv
}

// complete records inv's result and frees the process for the next one.
func (sb *sandbox) complete(inv *invocation, r invokeResult) {
	sb.mu.Lock()
	if sb.current == inv {
		sb.current = nil
	}
	sb.mu.Unlock()
	inv.finish(r)
}

// initFailure is the result of an invocation whose process reported an
// init error.
func initFailure(body []byte) invokeResult {
	return invokeResult{payload: body, functionError: functionErrorUnhandled, errorType: cmpOrUnknown(errorTypeOf(body)), status: "error"}
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// runtimeError writes a Runtime API error: {"errorMessage","errorType"}.
func runtimeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorJSON(errType, msg))
}

// errorJSON is a Lambda error document.
func errorJSON(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errType})
	return b
}

// errorTypeOf reads "errorType" from an error document, or "".
func errorTypeOf(payload []byte) string {
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &doc)
	return doc.ErrorType
}

// errorMessageOf reads "errorMessage" from an error document, or "".
func errorMessageOf(payload []byte) string {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(payload, &doc)
	return doc.ErrorMessage
}

func isJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

func cmpOrUnknown(errType string) string {
	if errType == "" {
		return "Runtime.Unknown"
	}
	return errType
}
