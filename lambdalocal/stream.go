package lambdalocal

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// Streamed responses: the Invoke API's InvokeWithResponseStream, fed by
// the Runtime API's streaming mode (Lambda-Runtime-Function-Response-Mode:
// streaming), the function's bytes handed from one to the other as they
// arrive.

// Runtime API headers of a streamed response.
const (
	hdrResponseMode   = "Lambda-Runtime-Function-Response-Mode"
	responseStreaming = "streaming"
)

// maxStreamedResponse is Lambda's limit on a streamed response: 200 MB.
const maxStreamedResponse = 200 << 20

// streamSink hands a streamed invocation's bytes from the Runtime API's
// response request to the Invoke API's answer. started closes when the
// function begins its stream (contentType is then set); the bytes go
// through pipe, whose writer blocks until they are read (the client's
// pace is the function's).
type streamSink struct {
	started     chan struct{}
	startOnce   sync.Once
	contentType string
	pr          *io.PipeReader
	pw          *io.PipeWriter
}

func newStreamSink() *streamSink {
	pr, pw := io.Pipe()
	return &streamSink{started: make(chan struct{}), pr: pr, pw: pw}
}

func (s *streamSink) start(contentType string) bool {
	first := false
	s.startOnce.Do(func() {
		s.contentType = contentType
		close(s.started)
		first = true
	})
	return first
}

// handleStreamedResponse takes a response in streaming mode for an
// invocation whose caller streams: the body is copied to the caller as it
// arrives; a failure midway is in the trailers (Error-Type, Error-Body).
func (sb *sandbox) handleStreamedResponse(w http.ResponseWriter, r *http.Request, inv *invocation) {
	sink := inv.stream
	if !sink.start(r.Header.Get("Content-Type")) {
		runtimeError(w, http.StatusBadRequest, "InvalidStateTransition", "the invocation's response has begun already")
		return
	}
	buf := make([]byte, 32<<10)
	var total int64
	gone := false
	for {
		n, err := r.Body.Read(buf)
		if n > 0 {
			total += int64(n)
			if total > maxStreamedResponse {
				sink.pw.CloseWithError(errors.New("Function.ResponseSizeTooLarge"))
				sb.complete(inv, invokeResult{functionError: functionErrorUnhandled, errorType: "Function.ResponseSizeTooLarge", status: "error",
					payload: errorJSON("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size ("+strconv.Itoa(maxStreamedResponse)+" bytes).")})
				runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the streamed response is above 200 MB")
				return
			}
			if !gone {
				if _, werr := sink.pw.Write(buf[:n]); werr != nil {
					// The caller left: the rest is read and dropped,
					// so that the function ends as it would in Lambda.
					gone = true
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// The process's connection broke; its exit or the timeout
			// ends inv.
			sink.pw.CloseWithError(err)
			return
		}
	}
	res := invokeResult{}
	if errType := r.Trailer.Get(hdrFunctionErrType); errType != "" {
		payload, err := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrFunctionErrBody))
		if err != nil || !isJSONObject(payload) {
			payload = errorJSON(errType, "the function failed while streaming its response")
		}
		res = invokeResult{payload: payload, functionError: functionErrorHandled, errorType: errType}
	}
	sb.complete(inv, res)
	sink.pw.Close()
	accepted(w)
}

// handleInvokeStream serves InvokeWithResponseStream: the function's
// response as event-stream PayloadChunk events, as it streams it, then
// InvokeComplete (with the error code of a function that failed). A
// function that does not stream answers in one chunk.
func (s *Server) handleInvokeStream(w http.ResponseWriter, r *http.Request) {
	req, apiErr := parseInvokeRequest(r.PathValue("name"), r.URL.Query().Get(lambdaapi.QualifierParam), r.Header)
	if apiErr != nil {
		apiErr.write(w, newRequestID())
		return
	}
	if req.invocationType == lambdaapi.InvocationEvent {
		errInvalidParameter("InvokeWithResponseStream takes RequestResponse or DryRun invocations, not Event").write(w, newRequestID())
		return
	}
	p, inv, ok := s.newInvocation(w, r, req)
	if !ok {
		return
	}
	if req.invocationType == lambdaapi.InvocationDryRun {
		w.Header().Set(lambdaapi.HeaderRequestID, inv.id)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !p.tryAcquire() {
		p.refusedInvocation()
		errAllBusy(p.fn).write(w, inv.id)
		return
	}
	inv.stream = newStreamSink()
	type outcome struct {
		res invokeResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer p.release()
		res, err := p.invoke(inv)
		done <- outcome{res, err}
	}()
	// The caller gone, the function's stream is refused (its writes fail).
	defer inv.stream.pr.CloseWithError(errors.New("the caller left"))

	h := w.Header()
	h.Set(lambdaapi.HeaderRequestID, inv.id)
	h.Set(lambdaapi.HeaderExecutedVersion, latestVersion)
	sw := lambdaapi.NewStreamWriter(w)
	select {
	case <-inv.stream.started:
	case o := <-done:
		// The function answered without streaming (or failed first).
		if o.err != nil {
			errService(o.err.Error()).write(w, inv.id)
			return
		}
		h.Set("Content-Type", lambdaapi.DefaultStreamContentType)
		w.WriteHeader(http.StatusOK)
		if o.res.functionError != "" {
			_ = sw.Complete(lambdaapi.InvokeComplete{ErrorCode: cmpOrUnknown(o.res.errorType), ErrorDetails: string(o.res.payload)})
			return
		}
		_ = sw.Chunk(o.res.payload)
		_ = sw.Complete(lambdaapi.InvokeComplete{})
		return
	case <-r.Context().Done():
		return
	}
	ct := inv.stream.contentType
	if ct == "" {
		ct = lambdaapi.DefaultStreamContentType
	}
	h.Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
	buf := make([]byte, 32<<10)
	for {
		n, err := inv.stream.pr.Read(buf)
		if n > 0 {
			if sw.Chunk(buf[:n]) != nil {
				return // the caller left
			}
		}
		if err != nil {
			break
		}
	}
	select {
	case o := <-done:
		if o.err == nil && o.res.functionError == "" {
			_ = sw.Complete(lambdaapi.InvokeComplete{})
			return
		}
		code, details := cmpOrUnknown(o.res.errorType), string(o.res.payload)
		if o.err != nil {
			code, details = "ServiceException", o.err.Error()
		}
		_ = sw.Complete(lambdaapi.InvokeComplete{ErrorCode: code, ErrorDetails: details})
	case <-r.Context().Done():
	}
}
