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
	"fmt"
	"io"
	"net/http"

	"github.com/lambdagate/lambdagate/proxy"
)

// Func writes resp with status to w.
type Func func(w http.ResponseWriter, status int, resp *proxy.Response)

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

func writeJSON(w http.ResponseWriter, status int, resp *proxy.Response) {
	if resp != nil && resp.Raw != nil {
		// Bytes passed through: a JSON object the decoding stage
		// validated, sent as it came.
		w.Header()["Content-Type"] = jsonTypeValue
		w.WriteHeader(status)
		w.Write(resp.Raw)
		return
	}
	var data map[string]any
	if resp != nil {
		data = resp.Data
	}
	if data == nil {
		data = map[string]any{}
	}
	writeValue(w, status, data)
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
func writeJSONCollection(w http.ResponseWriter, status int, resp *proxy.Response) {
	var v any = []any{}
	if resp != nil {
		if c, ok := dataOf(resp)["collection"].([]any); ok {
			v = c
		}
	}
	writeValue(w, status, v)
}

// writeString writes the data's "content" as plain text when it is a
// string, or the data as JSON text otherwise.
func writeString(w http.ResponseWriter, status int, resp *proxy.Response) {
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
}

// writeNoOp passes the single backend's reply through: its status, its
// headers and its bytes (Raw) or stream (Body), untouched.
func writeNoOp(w http.ResponseWriter, status int, resp *proxy.Response) {
	if resp == nil {
		w.WriteHeader(status)
		return
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
	w.WriteHeader(status)
	switch {
	case resp.Body != nil:
		io.Copy(w, resp.Body)
		resp.Body.Close()
	case resp.Raw != nil:
		w.Write(resp.Raw)
	}
}
