package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lambdagate/lambdagate/jsonscan"
)

// Encodings a backend may declare in its "encoding" field.
const (
	EncodingJSON     = "json"
	EncodingSafeJSON = "safejson"
	EncodingString   = "string"
	EncodingNoOp     = "no-op"
)

// DecodeFunc turns a backend's raw body into response data.
type DecodeFunc func(body []byte) (map[string]any, error)

// DecoderFor returns the DecodeFunc of an encoding, or nil for no-op (the
// body is not decoded) and an error for an unknown one.
func DecoderFor(encoding string, isCollection bool) (DecodeFunc, error) {
	switch encoding {
	case EncodingJSON, "":
		if isCollection {
			return decodeJSONCollection, nil
		}
		return decodeJSONObject, nil
	case EncodingSafeJSON:
		return DecodeSafeJSON, nil
	case EncodingString:
		return decodeString, nil
	case EncodingNoOp:
		return nil, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (use json, safejson, string or no-op)", encoding)
}

// ErrNotJSON reports a body that is not the JSON its encoding expects.
var ErrNotJSON = errors.New("body is not valid JSON")

// parseJSON decodes one JSON value, keeping numbers as written.
func parseJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the first value", ErrNotJSON)
	}
	return v, nil
}

func decodeJSONObject(body []byte) (map[string]any, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w object: got %s (set is_collection for an array, or use encoding safejson)", ErrNotJSON, kindOf(v))
	}
	return m, nil
}

func decodeJSONCollection(body []byte) (map[string]any, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	if a, ok := v.([]any); ok {
		return map[string]any{"collection": a}, nil
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w array: got %s", ErrNotJSON, kindOf(v))
}

// DecodeSafeJSON decodes any JSON value: an object becomes the data, an
// array goes under "collection" and anything else under "content".
func DecodeSafeJSON(body []byte) (map[string]any, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case map[string]any:
		return t, nil
	case []any:
		return map[string]any{"collection": t}, nil
	default:
		return map[string]any{"content": t}, nil
	}
}

func decodeString(body []byte) (map[string]any, error) {
	return map[string]any{"content": string(body)}, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// MaxBodyBytes bounds how much of a backend body the decoding stage reads.
const MaxBodyBytes = 64 << 20

// JSONObject reports whether body is one valid JSON object (surrounding
// white space allowed): what the pass-through path may send as it is.
func JSONObject(body []byte) bool {
	return jsonscan.Object(body)
}

// NewDecodeStage returns a Middleware that reads the Body of the response
// of next and decodes it into Data with decode. A nil decode leaves the
// Body as it is (no-op encoding). With passThrough, a body that is a JSON
// object is validated and kept in Raw instead of being decoded (see
// Response.Raw); anything else is decoded as usual.
func NewDecodeStage(decode DecodeFunc, passThrough bool) Middleware {
	return func(next Proxy) Proxy {
		if decode == nil {
			return next
		}
		return func(ctx context.Context, req *Request) (*Response, error) {
			resp, err := next(ctx, req)
			if resp == nil || resp.Body == nil {
				return resp, err
			}
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
			resp.Body.Close()
			resp.Body = nil
			if rerr != nil {
				return nil, fmt.Errorf("reading backend body: %w", rerr)
			}
			if len(body) > MaxBodyBytes {
				return nil, fmt.Errorf("backend body is larger than %d bytes", MaxBodyBytes)
			}
			if passThrough && JSONObject(body) {
				resp.Raw = body
				return resp, err
			}
			data, derr := decode(body)
			if derr != nil {
				return nil, derr
			}
			resp.Data = data
			return resp, err
		}
	}
}
