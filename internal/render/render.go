// Package render writes an endpoint's response to the client in its
// output_encoding: json (the default), json-collection, xml, yaml, string,
// no-op, or negotiate (JSON, YAML or XML, as the client's Accept header
// chooses).
//
// A Func writes the status and body only: the endpoint handler has set the
// gateway's own headers (X-Krakend-Completed, Cache-Control) before. This
// package must not decide statuses or know about backends.
package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/lambdagate/lambdagate/proxy"
)

// Func writes resp with status to w. It returns an error only when a
// stream (Response.Body) failed after the status was written: the
// response is then cut, and the caller must end it so that the client can
// tell (see StreamError).
type Func func(w http.ResponseWriter, status int, resp *proxy.Response) error

// Output encodings.
const (
	JSON           = "json"
	JSONCollection = "json-collection"
	String         = "string"
	NoOp           = "no-op"
)

// New returns the Func of an output encoding.
func New(encoding string) (Func, error) {
	switch encoding {
	case JSON, "":
		return writeJSON, nil
	case JSONCollection:
		return writeJSONCollection, nil
	case XML:
		return writeXML, nil
	case YAML:
		return writeYAML, nil
	case String:
		return writeString, nil
	case NoOp:
		return writeNoOp, nil
	case Negotiate:
		// Chosen per request: see NegotiateFunc. Without a request, JSON.
		return writeJSON, nil
	}
	return nil, fmt.Errorf("unknown output_encoding %q (use json, json-collection, xml, yaml, negotiate, string or no-op)", encoding)
}

const jsonType = "application/json; charset=utf-8"

func writeJSON(w http.ResponseWriter, status int, resp *proxy.Response) error {
	if resp != nil && resp.Raw != nil {
		// Bytes passed through: a JSON object the decoding stage
		// validated, sent as it came.
		w.Header()["Content-Type"] = jsonTypeValue
		w.WriteHeader(status)
		w.Write(resp.Raw)
		return nil
	}
	var data map[string]any
	if resp != nil {
		data = resp.Data
	}
	if data == nil {
		data = map[string]any{}
	}
	writeValue(w, status, data)
	return nil
}

func writeValue(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	w.Header()["Content-Type"] = jsonTypeValue
	w.WriteHeader(status)
	w.Write(b)
}

// jsonTypeValue is the Content-Type header's value, shared by every
// response: a one-element slice at full capacity, so an Add copies it.
var jsonTypeValue = []string{jsonType}

// dataOf returns resp's data. Only the json output receives bytes passed
// through (see proxy.Decoding.PassThrough); every other one receives data.
func dataOf(resp *proxy.Response) map[string]any {
	if resp == nil {
		return nil
	}
	return resp.Data
}

// writeJSONCollection writes the "collection" of the data as a JSON array
// (an empty one when there is none).
func writeJSONCollection(w http.ResponseWriter, status int, resp *proxy.Response) error {
	var v any = []any{}
	if resp != nil {
		if c, ok := dataOf(resp)["collection"].([]any); ok {
			v = c
		}
	}
	writeValue(w, status, v)
	return nil
}

// writeString writes the data's "content" as plain text when it is a
// string, or the data as JSON text otherwise.
func writeString(w http.ResponseWriter, status int, resp *proxy.Response) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var body []byte
	if resp != nil {
		data := dataOf(resp)
		if s, ok := data["content"].(string); ok {
			body = []byte(s)
		} else if data != nil {
			body, _ = json.Marshal(data)
		}
	}
	w.WriteHeader(status)
	w.Write(body)
	return nil
}

// writeNoOp passes the single backend's reply through: its status, its
// headers and its bytes (Raw) or stream (Body), untouched. A stream is
// copied as it arrives, flushed after every read, so that server-sent
// events and long downloads reach the client as the backend sends them;
// one whose Content-Length is at most maxUnstreamed is sent as a whole.
func writeNoOp(w http.ResponseWriter, status int, resp *proxy.Response) error {
	if resp == nil {
		w.WriteHeader(status)
		return nil
	}
	h := w.Header()
	for k, vs := range resp.Metadata.Headers {
		if proxy.HopByHop(k) {
			continue
		}
		h[k] = vs
	}
	if resp.Metadata.StatusCode != 0 {
		status = resp.Metadata.StatusCode
	}
	switch {
	case resp.Body != nil:
		defer resp.Body.Close()
		if n, ok := smallLength(h); ok {
			// A reply of known, small length is no stream: sent as one
			// response (the fasthttp engine keeps its connection).
			w.WriteHeader(status)
			if _, err := io.CopyN(w, resp.Body, n); err != nil && err != io.EOF {
				return &StreamError{Err: err}
			}
			return nil
		}
		// The headers go out now, the body as it comes.
		w.WriteHeader(status)
		flush(w)
		return copyStream(w, resp.Body)
	case resp.Raw != nil:
		w.WriteHeader(status)
		w.Write(resp.Raw)
	default:
		w.WriteHeader(status)
	}
	return nil
}

// maxUnstreamed is the largest Content-Length of a reply sent without
// flushing per read.
const maxUnstreamed = 64 << 10

// smallLength returns the Content-Length of h when it is set and at most
// maxUnstreamed.
func smallLength(h http.Header) (int64, bool) {
	vs := h["Content-Length"]
	if len(vs) != 1 {
		return 0, false
	}
	n, err := strconv.ParseInt(vs[0], 10, 64)
	if err != nil || n < 0 || n > maxUnstreamed {
		return 0, false
	}
	return n, true
}

// streamBufSize is the copy buffer of a stream: one read is at most this.
const streamBufSize = 64 << 10

var streamBufs = sync.Pool{New: func() any { b := make([]byte, streamBufSize); return &b }}

// StreamError is a stream that failed after its status was written: the
// backend's (Read) or the client's (Write, the client gone).
type StreamError struct {
	// Client says the client went away (a write failed); else the
	// backend's stream failed.
	Client bool
	// Err is why.
	Err error
}

func (e *StreamError) Error() string {
	if e.Client {
		return "the client went away during the stream: " + e.Err.Error()
	}
	return "the backend's stream failed: " + e.Err.Error()
}

func (e *StreamError) Unwrap() error { return e.Err }

// flushWriter writes to w and flushes after every write, remembering a
// write's failure (the client's) apart from the stream's.
type flushWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

func (f *flushWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err == nil {
		if ferr := f.rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
			err = ferr
		}
	}
	if err != nil {
		f.err = err
	}
	return n, err
}

// copyStream copies body to w, flushing after every read. A body that is
// an io.WriterTo (a Lambda stream) writes its chunks itself, without a
// copy buffer.
func copyStream(w http.ResponseWriter, body io.Reader) error {
	if wt, ok := body.(io.WriterTo); ok {
		fw := &flushWriter{w: w, rc: http.NewResponseController(w)}
		_, err := wt.WriteTo(fw)
		switch {
		case fw.err != nil:
			return &StreamError{Client: true, Err: fw.err}
		case err != nil:
			return &StreamError{Err: err}
		}
		return nil
	}
	bp := streamBufs.Get().(*[]byte)
	defer streamBufs.Put(bp)
	buf := *bp
	rc := http.NewResponseController(w)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return &StreamError{Client: true, Err: werr}
			}
			if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
				return &StreamError{Client: true, Err: ferr}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &StreamError{Err: err}
		}
	}
}

func flush(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
}
