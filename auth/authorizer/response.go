package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lambdagate/lambdagate/proxy"
)

// answer is an authorizer's answer, decoded and checked once, and cached
// as it is.
type answer struct {
	// result is what reaches later stages when the answer allows a
	// request.
	result *proxy.AuthorizerResult
	// policy is an IAM policy answer's, nil for a simple response.
	policy *policy
	// authorized is a simple response's isAuthorized.
	authorized bool
	// headers holds the propagate_context headers' values, one per
	// propagation (nil when the answer has no such value): built once,
	// each a slice at full capacity, so that an append copies it.
	headers [][]string
}

// parseAnswer decodes the function's result: a simple response
// ({"isAuthorized": bool, "context": {...}}) when simple, else an IAM
// policy answer ({"principalId": "...", "policyDocument": {...},
// "context": {...}}). With payload 1.0, context values must be strings,
// numbers or booleans, as API Gateway requires. An error says why the
// answer is malformed.
func parseAnswer(payload []byte, version string, simple bool) (*answer, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil || top == nil {
		return nil, fmt.Errorf("the answer is not a JSON object: %.64q", payload)
	}
	a := &answer{result: &proxy.AuthorizerResult{Version: version}}
	if raw, ok := top["context"]; ok {
		ctx, err := parseContext(raw, version)
		if err != nil {
			return nil, err
		}
		a.result.Context = ctx
	}
	if simple {
		raw, ok := top["isAuthorized"]
		if !ok {
			return nil, errors.New("the simple response has no isAuthorized")
		}
		if err := json.Unmarshal(raw, &a.authorized); err != nil {
			return nil, errors.New("the simple response's isAuthorized is not a boolean")
		}
		return a, nil
	}
	raw, ok := top["principalId"]
	if !ok {
		return nil, errors.New("the answer has no principalId")
	}
	if err := json.Unmarshal(raw, &a.result.PrincipalID); err != nil {
		return nil, errors.New("the answer's principalId is not a string")
	}
	if raw, ok := top["usageIdentifierKey"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("the answer's usageIdentifierKey is not a string")
		}
	}
	raw, ok = top["policyDocument"]
	if !ok {
		return nil, errors.New("the answer has no policyDocument (with payload 2.0, enable_simple_responses takes {\"isAuthorized\": ...} answers)")
	}
	p, err := parsePolicy(raw)
	if err != nil {
		return nil, err
	}
	a.policy = p
	return a, nil
}

// parseContext decodes an answer's context, numbers kept as written.
func parseContext(raw json.RawMessage, version string) (map[string]any, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var ctx map[string]any
	if err := dec.Decode(&ctx); err != nil {
		return nil, errors.New("the answer's context is not a JSON object")
	}
	if version == Version1 {
		for k, v := range ctx {
			switch v.(type) {
			case string, json.Number, bool:
			default:
				return nil, fmt.Errorf("the answer's context value %q is not a string, number or boolean, which payload 1.0 requires", k)
			}
		}
	}
	return ctx, nil
}

// isUnauthorized reports whether a function error's payload is the one
// API Gateway answers 401 to: the error message "Unauthorized".
func isUnauthorized(payload []byte) bool {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	return json.Unmarshal(payload, &e) == nil && e.ErrorMessage == "Unauthorized"
}

// functionError describes a function error's payload for the log: its
// errorType and errorMessage when it has them.
func functionError(kind string, payload []byte) error {
	var e struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(payload, &e) == nil && (e.ErrorType != "" || e.ErrorMessage != "") {
		return fmt.Errorf("the authorizer function failed (%s): %s: %s", kind, e.ErrorType, e.ErrorMessage)
	}
	return fmt.Errorf("the authorizer function failed (%s)", kind)
}

// headerValues returns the propagate_context headers' values of an
// answer, one per propagation: nil where the answer lacks the value or it
// cannot be a header value.
func headerValues(props []propagation, res *proxy.AuthorizerResult) [][]string {
	if len(props) == 0 {
		return nil
	}
	out := make([][]string, len(props))
	for i, p := range props {
		var text string
		if p.key == principalIDKey {
			text = res.PrincipalID
		} else if v, ok := res.Context[p.key]; ok {
			text = proxy.ContextText(v)
		}
		if text != "" && validHeaderValue(text) {
			out[i] = []string{text}
		}
	}
	return out
}

// validHeaderValue reports whether s can be sent as a header value: no
// control characters but tabs.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
