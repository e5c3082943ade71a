package lambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lambdagate/lambdagate/internal/jsonscan"
	"github.com/lambdagate/lambdagate/internal/lambdainvoke"
	"github.com/lambdagate/lambdagate/proxy"
)

// results turns an invocation's Result into the backend's reply, by rules
// decided once per backend: the result's bytes and metadata, an API
// Gateway style result unwrapped into its status, headers and body. The
// backend's decoding stage decodes the bytes (see replyRules).
type results struct {
	invocationType string
	unwrap         bool // response_format apigateway
	// relayAnyStatus: the backend's encoding is no-op, so an unwrapped
	// result's status reaches the client whatever it is.
	relayAnyStatus bool
}

// errNotJSON reports a function result that is not JSON.
var errNotJSON = errors.New("is not JSON")

// jsonContentType is the content type of a function's result.
var jsonContentType = []string{"application/json"}

// response builds the reply of a Result, or the error the client gets.
func (r *results) response(res *lambdainvoke.Result, fn string) (*proxy.Response, error) {
	if res.FunctionError != "" {
		return nil, newFunctionError(res, fn)
	}
	h := http.Header{}
	if res.ExecutedVersion != "" {
		h["X-Amz-Executed-Version"] = []string{res.ExecutedVersion}
	}
	switch r.invocationType {
	case InvocationEvent:
		body, _ := json.Marshal(map[string]string{"request_id": res.RequestID})
		h["Content-Type"] = jsonContentType
		return replyOf(http.StatusAccepted, h, body), nil
	case InvocationDryRun:
		return replyOf(http.StatusNoContent, h, nil), nil
	}

	if r.unwrap {
		gw, ok, err := unwrapAPIGateway(res.Payload)
		if err != nil {
			return nil, badGateway(fmt.Errorf("lambda function %q returned a malformed API Gateway response: %w", fn, err))
		}
		if ok {
			return r.unwrapped(gw, h, fn)
		}
	}
	if r.relayAnyStatus && !validJSON(res.Payload) {
		// Nothing decodes a no-op backend's reply: Lambda's contract that
		// a result is JSON is checked here.
		return nil, badGateway(fmt.Errorf("lambda function %q returned a result that %w", fn, errNotJSON))
	}
	h["Content-Type"] = jsonContentType
	return replyOf(http.StatusOK, h, res.Payload), nil
}

// unwrapped answers with an API Gateway style result: its status, headers
// and body. Unless every status is relayed (no-op), a status other than 200
// or 201 is a backend error status, as for an HTTP backend.
func (r *results) unwrapped(gw *gatewayResponse, h http.Header, fn string) (*proxy.Response, error) {
	version := h["X-Amz-Executed-Version"]
	for k, vs := range gw.header {
		h[k] = vs
	}
	if version != nil {
		h["X-Amz-Executed-Version"] = version
	}
	if !r.relayAnyStatus && gw.status != http.StatusOK && gw.status != http.StatusCreated {
		return nil, &proxy.BackendError{
			Backend:     fmt.Sprintf("lambda function %q", fn),
			StatusCode:  gw.status,
			Body:        gw.body,
			ContentType: h.Get("Content-Type"),
		}
	}
	return replyOf(gw.status, h, gw.body), nil
}

// replyOf is a reply of bytes; an empty body is an empty, non-nil Raw, so
// that a reply always holds bytes to decode or pass through.
func replyOf(status int, h http.Header, body []byte) *proxy.Response {
	if body == nil {
		body = []byte{}
	}
	return &proxy.Response{
		IsComplete: true,
		Metadata:   proxy.Metadata{StatusCode: status, Headers: h},
		Raw:        body,
	}
}

func badGateway(err error) error {
	return &proxy.StatusError{Status: http.StatusBadGateway, Err: err}
}

func validJSON(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0 || jsonscan.Valid(b)
}

// newFunctionError builds the error of a function that ran and failed.
func newFunctionError(res *lambdainvoke.Result, fn string) error {
	var p struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	_ = json.Unmarshal(res.Payload, &p)
	return &FunctionError{
		Function: fn,
		Kind:     res.FunctionError,
		Type:     p.ErrorType,
		Message:  p.ErrorMessage,
		Backend: &proxy.BackendError{
			Backend:     fmt.Sprintf("lambda function %q", fn),
			StatusCode:  http.StatusBadGateway,
			Body:        res.Payload,
			ContentType: "application/json",
			FailStatus:  http.StatusBadGateway,
		},
	}
}

// gatewayResponse is an unwrapped API Gateway style result.
type gatewayResponse struct {
	status int
	header http.Header
	body   []byte
}

// unwrapAPIGateway reads a result shaped as API Gateway expects from a
// proxy integration ({"statusCode", "headers", "multiValueHeaders",
// "cookies", "body", "isBase64Encoded"}). ok is false when the result is
// not an object holding statusCode (it is then plain data, as for an HTTP
// API). Headers that are not valid HTTP, and hop-by-hop headers, are
// dropped.
func unwrapAPIGateway(payload []byte) (gw *gatewayResponse, ok bool, err error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(payload, &top) != nil {
		return nil, false, nil
	}
	rawStatus, ok := top["statusCode"]
	if !ok {
		return nil, false, nil
	}
	gw = &gatewayResponse{header: http.Header{}}
	if gw.status, err = parseStatus(rawStatus); err != nil {
		return nil, true, err
	}
	if raw, ok := top["headers"]; ok && !isNull(raw) {
		var hs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &hs); err != nil {
			return nil, true, errors.New("headers must be an object of strings")
		}
		for k, v := range hs {
			s, ok := scalarText(v)
			if !ok {
				return nil, true, fmt.Errorf("header %q must be a string", k)
			}
			addHeader(gw.header, k, s, false)
		}
	}
	if raw, ok := top["multiValueHeaders"]; ok && !isNull(raw) {
		var hs map[string][]json.RawMessage
		if err := json.Unmarshal(raw, &hs); err != nil {
			return nil, true, errors.New("multiValueHeaders must be an object of arrays of strings")
		}
		for k, vs := range hs {
			first := true
			for _, v := range vs {
				s, ok := scalarText(v)
				if !ok {
					return nil, true, fmt.Errorf("multiValueHeaders %q must hold strings", k)
				}
				// multiValueHeaders win over headers for the same name.
				addHeader(gw.header, k, s, first)
				first = false
			}
		}
	}
	if raw, ok := top["cookies"]; ok && !isNull(raw) {
		var cs []string
		if err := json.Unmarshal(raw, &cs); err != nil {
			return nil, true, errors.New("cookies must be an array of strings")
		}
		for _, c := range cs {
			addHeader(gw.header, "Set-Cookie", c, false)
		}
	}
	var b64 bool
	if raw, ok := top["isBase64Encoded"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, true, errors.New("isBase64Encoded must be true or false")
		}
	}
	if raw, ok := top["body"]; ok && !isNull(raw) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			gw.body = []byte(s)
		} else {
			// A body written as JSON rather than as a string of JSON.
			gw.body = bytes.TrimSpace(raw)
		}
		if b64 {
			dec, err := base64.StdEncoding.DecodeString(string(gw.body))
			if err != nil {
				return nil, true, errors.New("body is marked isBase64Encoded but is not base64")
			}
			gw.body = dec
		}
	}
	return gw, true, nil
}

func parseStatus(raw json.RawMessage) (int, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, errors.New("statusCode must be a number")
		}
		n = json.Number(s)
	}
	code, err := strconv.Atoi(string(n))
	if err != nil || code < 100 || code > 599 {
		return 0, fmt.Errorf("statusCode must be an HTTP status between 100 and 599, got %s", raw)
	}
	return code, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// scalarText returns a header value written as a string, number or boolean.
func scalarText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] == '{' || t[0] == '[' || t[0] == '"' || isNull(t) {
		return "", false
	}
	return string(t), true
}

// addHeader adds (or, with replace, sets) a header the function chose,
// dropping invalid names and values, hop-by-hop headers and Content-Length
// (the gateway frames the body it writes).
func addHeader(h http.Header, name, value string, replace bool) {
	if !validHeaderName(name) || !validHeaderValue(value) {
		return
	}
	k := http.CanonicalHeaderKey(name)
	if proxy.HopByHop(k) || k == "Content-Length" {
		return
	}
	if replace {
		h[k] = []string{value}
		return
	}
	h[k] = append(h[k], value)
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
