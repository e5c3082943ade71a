package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lambdagate/lambdagate/internal/jsonscan"
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
// body is not decoded) and an error for an unknown one (config turns an
// unknown encoding into json, as KrakenD does, before it gets here).
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
	case EncodingXML:
		if isCollection {
			return decodeXMLCollection, nil
		}
		return decodeXML, nil
	case EncodingRSS:
		return decodeRSS, nil
	case EncodingNoOp:
		return nil, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (use json, safejson, xml, rss, string or no-op)", encoding)
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

// Decoding says how one backend's replies are decoded; it is decided at
// start-up, from the backend's configuration and its kind's rules.
type Decoding struct {
	// Encoding is the backend's encoding: json, safejson, xml, rss, string
	// or no-op.
	Encoding string
	// IsCollection decodes a JSON array under "collection".
	IsCollection bool
	// PassThrough keeps a reply that is one JSON object as bytes
	// (Response.Raw) instead of decoding it: the backend is its endpoint's
	// only one, nothing shapes its data and the endpoint writes JSON.
	PassThrough bool
	// Replies are the rules of the backend's kind.
	Replies ReplyRules
}

// ReplyRules are what a kind of backend says of its replies.
type ReplyRules struct {
	// AnyJSONValue decodes the json and safejson encodings as any JSON
	// value (an object is the data, an array goes under "collection", any
	// other value under "content") and an empty reply as empty data: a
	// Lambda result is any JSON value.
	AnyJSONValue bool
	// FailStatus is the client's status when a reply does not decode
	// (0: 500, as for any error).
	FailStatus int
	// Noun names a reply in errors: "the function's result" (default
	// "the backend's body").
	Noun string
}

// DecodeError is a backend reply that its encoding cannot decode.
type DecodeError struct {
	// Reply names the reply ("the backend's body").
	Reply string
	// Status is the client's status (0: 500).
	Status int
	// Err says why; it wraps ErrNotJSON when the reply is not JSON.
	Err error
}

func (e *DecodeError) Error() string {
	return e.Reply + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ClientStatus implements ClientError.
func (e *DecodeError) ClientStatus() int {
	if e.Status == 0 {
		return 500
	}
	return e.Status
}

// jsonSpace is JSON's insignificant whitespace.
const jsonSpace = " \t\r\n"

// NewDecodeStage returns the Middleware that decodes the replies of next
// as d says, or an error for an unknown encoding. It is the one stage that
// turns bytes into data: a transport returns its reply's bytes (in Raw, or
// as a stream in Body) and metadata. With encoding no-op the stage is
// absent and the bytes reach the output as they are. With PassThrough a
// reply that is one JSON object is validated and kept in Raw, without the
// whitespace around it; anything else is decoded into Data and Raw is
// cleared.
func NewDecodeStage(d Decoding) (Middleware, error) {
	decode, err := DecoderFor(d.Encoding, d.IsCollection)
	if err != nil {
		return nil, err
	}
	if decode == nil {
		return func(next Proxy) Proxy { return next }, nil
	}
	if d.Replies.AnyJSONValue && (d.Encoding == EncodingJSON || d.Encoding == EncodingSafeJSON || d.Encoding == "") {
		decode = decodeAnyValue
	}
	noun := d.Replies.Noun
	if noun == "" {
		noun = "the backend's body"
	}
	passThrough := d.PassThrough
	return func(next Proxy) Proxy {
		return func(ctx context.Context, req *Request) (*Response, error) {
			resp, err := next(ctx, req)
			if resp == nil {
				return resp, err
			}
			body := resp.Raw
			if resp.Body != nil {
				var rerr error
				body, rerr = readReply(resp.Body)
				resp.Body = nil
				if rerr != nil {
					return nil, rerr
				}
			}
			if passThrough && JSONObject(body) {
				// The whitespace around the object goes (a backend's
				// encoder often ends with a newline): KrakenD, which
				// encodes the data again, writes none.
				resp.Raw = bytes.Trim(body, jsonSpace)
				return resp, err
			}
			resp.Raw = nil
			data, derr := decode(body)
			if derr != nil {
				return nil, &DecodeError{Reply: noun, Status: d.Replies.FailStatus, Err: derr}
			}
			resp.Data = data
			return resp, err
		}
	}, nil
}

// readReply reads a reply's stream whole, bounded by MaxBodyBytes, and
// closes it.
func readReply(body io.ReadCloser) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading backend body: %w", err)
	}
	if len(b) > MaxBodyBytes {
		return nil, fmt.Errorf("backend body is larger than %d bytes", MaxBodyBytes)
	}
	return b, nil
}

// decodeAnyValue is DecodeSafeJSON with an empty reply as empty data.
func decodeAnyValue(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	return DecodeSafeJSON(body)
}
