package lambdalocal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// routes is the client-facing API: Invoke, plus ListFunctions so that
// `aws lambda list-functions` shows what is served.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(lambdaapi.InvokePattern, s.handleInvoke)
	mux.HandleFunc(lambdaapi.InvokeStreamPattern, s.handleInvokeStream)
	mux.HandleFunc("GET "+lambdaapi.FunctionsPath, s.handleListFunctions)
	mux.HandleFunc("GET "+lambdaapi.FunctionsPath+"/{$}", s.handleListFunctions)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errUnknownOperation(r.Method, r.URL.Path).write(w, newRequestID())
	})
	return mux
}

// handleInvoke serves Invoke. The Authorization header (SigV4) is not
// checked: any signed or unsigned request is accepted.
func (s *Server) handleInvoke(w http.ResponseWriter, r *http.Request) {
	req, apiErr := parseInvokeRequest(r.PathValue("name"), r.URL.Query().Get(lambdaapi.QualifierParam), r.Header)
	if apiErr != nil {
		apiErr.write(w, newRequestID())
		return
	}
	p, inv, ok := s.newInvocation(w, r, req)
	if !ok {
		return
	}
	fn := p.fn

	switch req.invocationType {
	case lambdaapi.InvocationDryRun:
		w.Header().Set(lambdaapi.HeaderRequestID, inv.id)
		w.WriteHeader(http.StatusNoContent)
		return
	case lambdaapi.InvocationEvent:
		if apiErr := s.enqueue(p, inv); apiErr != nil {
			apiErr.write(w, inv.id)
			return
		}
		w.Header().Set(lambdaapi.HeaderRequestID, inv.id)
		w.WriteHeader(http.StatusAccepted)
		return
	}

	if !p.tryAcquire() {
		p.refusedInvocation()
		s.logger.Warn("invocation refused: every process of the function is busy (raise concurrency in its function.json)",
			"function", fn.name, "concurrency", fn.concurrency)
		errAllBusy(fn).write(w, inv.id)
		return
	}
	res, err := p.invoke(inv)
	p.release()
	if err != nil {
		errService(err.Error()).write(w, inv.id)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(lambdaapi.HeaderRequestID, inv.id)
	h.Set(lambdaapi.HeaderExecutedVersion, latestVersion)
	if res.functionError != "" {
		h.Set(lambdaapi.HeaderFunctionError, res.functionError)
	}
	if req.tail {
		h.Set(lambdaapi.HeaderLogResult, base64.StdEncoding.EncodeToString(inv.log.tail()))
	}
	h.Set("Content-Length", strconv.Itoa(len(res.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.payload)
}

// readPayload reads and checks the request body: at most
// maxRequestPayload bytes of JSON. An empty body is the event {}.
func readPayload(r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > maxRequestPayload {
		return nil, errRequestTooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestPayload+1))
	if err != nil {
		return nil, errInvalidRequestContent("Could not read the request body: " + err.Error())
	}
	if len(body) > maxRequestPayload {
		return nil, errRequestTooLarge()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		return nil, errInvalidRequestContent("Could not parse request body into json: " + err.Error())
	}
	return body, nil
}

// enqueue runs an Event invocation in the background once the function
// has a free process: Event invocations wait rather than being refused.
// Unlike Lambda, a failed one is logged, not retried.
func (s *Server) enqueue(p *pool, inv *invocation) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return errService(errClosed.Error())
	}
	if s.events.Add(1) > maxQueuedEvents {
		s.events.Add(-1)
		p.refusedInvocation()
		return errTooManyRequests("ConcurrentInvocationLimitExceeded",
			"Rate Exceeded. (more than "+strconv.Itoa(maxQueuedEvents)+" Event invocations are waiting)")
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.events.Add(-1)
		if !p.tryAcquire() {
			// Every process is busy: the invocation waits its turn.
			p.queuedEvent()
			if err := p.acquire(s.ctx); err != nil {
				s.logger.Warn("Event invocation dropped at shutdown", "function", inv.fn.name, "request_id", inv.id)
				return
			}
		}
		defer p.release()
		res, err := p.invoke(inv)
		switch {
		case err != nil:
			s.logger.Warn("Event invocation dropped at shutdown", "function", inv.fn.name, "request_id", inv.id)
		case res.functionError != "":
			s.logger.Warn("Event invocation failed (it is not retried)", "function", inv.fn.name, "request_id", inv.id,
				"error", string(res.payload))
		}
	}()
	return nil
}

// functionConfiguration is the part of Lambda's FunctionConfiguration that
// ListFunctions reports.
type functionConfiguration struct {
	FunctionName string `json:"FunctionName"`
	FunctionArn  string `json:"FunctionArn"`
	Runtime      string `json:"Runtime"`
	Handler      string `json:"Handler"`
	Timeout      int    `json:"Timeout"`
	MemorySize   int    `json:"MemorySize"`
	Version      string `json:"Version"`
	PackageType  string `json:"PackageType"`
}

// handleListFunctions serves ListFunctions, in one page.
func (s *Server) handleListFunctions(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Functions []functionConfiguration `json:"Functions"`
	}{Functions: []functionConfiguration{}}
	cat := s.cat.Load()
	for _, name := range cat.names {
		fn := cat.pools[name].fn
		rt := "provided.al2023"
		switch fn.kind {
		case kindNode:
			rt = "nodejs"
		case kindPython:
			rt = "python3"
		}
		out.Functions = append(out.Functions, functionConfiguration{
			FunctionName: name,
			FunctionArn:  s.functionARN(name, ""),
			Runtime:      rt,
			Handler:      fn.handler,
			Timeout:      int(math.Ceil(fn.timeout.Seconds())),
			MemorySize:   fn.memoryMB,
			Version:      latestVersion,
			PackageType:  "Zip",
		})
	}
	data, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(lambdaapi.HeaderRequestID, newRequestID())
	_, _ = w.Write(data)
}

// newInvocation finds the function req names and reads the payload into
// an invocation of it, carrying the caller's client context and trace. On
// a failure it writes the error and reports false.
func (s *Server) newInvocation(w http.ResponseWriter, r *http.Request, req invokeRequest) (*pool, *invocation, bool) {
	p := s.cat.Load().pool(req.name)
	if p == nil {
		errResourceNotFound(s.functionARN(req.name, req.qualifier)).write(w, newRequestID())
		return nil, nil, false
	}
	payload, apiErr := readPayload(r)
	if apiErr != nil {
		apiErr.write(w, newRequestID())
		return nil, nil, false
	}
	inv := newInvocation(p.fn, payload, s.functionARN(p.fn.name, req.qualifier))
	inv.clientContext = req.clientContext
	if th := r.Header.Get(lambdaapi.HeaderTraceID); validTraceHeader(th) {
		// The caller's trace (the gateway's, an SDK's with X-Ray on) reaches
		// the function in Lambda-Runtime-Trace-Id, as in Lambda.
		inv.traceID = th
	}
	return p, inv, true
}
