package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecoders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		encoding     string
		isCollection bool
		body         string
		want         string // the decoded data, marshalled
		wantErr      string
	}{
		{"json object", "json", false, `{"a": 1, "b": "x"}`, `{"a":1,"b":"x"}`, ""},
		{"json default", "", false, `{"a": true}`, `{"a":true}`, ""},
		{"json exact numbers", "json", false, `{"big": 12345678901234567890, "f": 1.10, "e": 1e400, "neg": -0.0}`,
			`{"big":12345678901234567890,"e":1e400,"f":1.10,"neg":-0.0}`, ""},
		{"json array refused", "json", false, `[1, 2]`, "",
			"body is not valid JSON object: got an array (set is_collection for an array, or use encoding safejson)"},
		{"json scalar refused", "json", false, `"s"`, "",
			"body is not valid JSON object: got a string (set is_collection for an array, or use encoding safejson)"},
		{"json invalid", "json", false, `{"a":`, "", "body is not valid JSON: unexpected EOF"},
		{"json trailing data", "json", false, `{"a": 1} {"b": 2}`, "", "body is not valid JSON: data after the first value"},
		{"json empty", "json", false, ``, "", "body is not valid JSON: EOF"},
		{"json collection array", "json", true, `[1, {"a": 2.50}]`, `{"collection":[1,{"a":2.50}]}`, ""},
		{"json collection object", "json", true, `{"a": 1}`, `{"a":1}`, ""},
		{"json collection scalar", "json", true, `3`, "", "body is not valid JSON array: got a number"},
		{"safejson object", "safejson", false, `{"a": 1.0}`, `{"a":1.0}`, ""},
		{"safejson array", "safejson", false, `[1, 2]`, `{"collection":[1,2]}`, ""},
		{"safejson number", "safejson", false, `007.5e1`, "", "body is not valid JSON: data after the first value"},
		{"safejson number exact", "safejson", false, `75.500`, `{"content":75.500}`, ""},
		{"safejson string", "safejson", false, `"hi"`, `{"content":"hi"}`, ""},
		{"safejson bool", "safejson", false, `true`, `{"content":true}`, ""},
		{"safejson null", "safejson", false, `null`, `{"content":null}`, ""},
		{"safejson invalid", "safejson", false, `nope`, "", "body is not valid JSON: invalid character 'o' in literal null (expecting 'u')"},
		{"string", "string", false, `not json {`, `{"content":"not json {"}`, ""},
		{"string empty", "string", false, ``, `{"content":""}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec, err := DecoderFor(tt.encoding, tt.isCollection)
			if err != nil || dec == nil {
				t.Fatalf("DecoderFor(%q) = %v, %v", tt.encoding, dec, err)
			}
			got, err := dec([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrNotJSON) {
					t.Errorf("error %v does not wrap ErrNotJSON", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if s := marshal(t, got); s != tt.want {
				t.Errorf("data = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestDecoderForNoOpAndUnknown(t *testing.T) {
	t.Parallel()
	dec, err := DecoderFor("no-op", false)
	if dec != nil || err != nil {
		t.Errorf("DecoderFor(no-op) = %v, %v; want nil, nil", dec != nil, err)
	}
	_, err = DecoderFor("form", false)
	if err == nil || err.Error() != `unknown encoding "form" (use json, safejson, xml, rss, string or no-op)` {
		t.Errorf("DecoderFor(form) error = %v", err)
	}
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestDecodeStage(t *testing.T) {
	t.Parallel()
	dec := decodeStage(t, Decoding{Encoding: EncodingJSON})
	body := &closeCounter{Reader: strings.NewReader(`{"n": 10.0}`)}
	p := dec(func(context.Context, *Request) (*Response, error) {
		return &Response{Body: body, IsComplete: true, Metadata: Metadata{StatusCode: 201}}, nil
	})
	resp, err := p(context.Background(), &Request{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != nil || body.closed != 1 || marshal(t, resp.Data) != `{"n":10.0}` || resp.Metadata.StatusCode != 201 || !resp.IsComplete {
		t.Errorf("resp = %+v, closed %d", resp, body.closed)
	}

	bad := &closeCounter{Reader: strings.NewReader(`[`)}
	p = dec(func(context.Context, *Request) (*Response, error) {
		return &Response{Body: bad, IsComplete: true}, nil
	})
	resp, err = p(context.Background(), &Request{})
	if resp != nil || err == nil || !errors.Is(err, ErrNotJSON) || bad.closed != 1 {
		t.Errorf("bad body: resp %v, err %v, closed %d", resp, err, bad.closed)
	}

	// no-op: the stage is the transport itself and the body is untouched.
	raw := &closeCounter{Reader: strings.NewReader(`raw`)}
	p = decodeStage(t, Decoding{Encoding: EncodingNoOp})(func(context.Context, *Request) (*Response, error) {
		return &Response{Body: raw}, nil
	})
	resp, _ = p(context.Background(), &Request{})
	if resp.Body != raw || raw.closed != 0 || resp.Data != nil {
		t.Errorf("no-op stage changed the response: %+v", resp)
	}
}

func TestDecodeStagePassesErrors(t *testing.T) {
	t.Parallel()
	want := errors.New("boom")
	p := decodeStage(t, Decoding{Encoding: EncodingJSON})(func(context.Context, *Request) (*Response, error) { return nil, want })
	resp, err := p(context.Background(), &Request{})
	if resp != nil || err != want {
		t.Errorf("got %v, %v; want nil, boom", resp, err)
	}
}

func TestDecodeStagePassThrough(t *testing.T) {
	t.Parallel()
	dec := decodeStage(t, Decoding{Encoding: EncodingSafeJSON, PassThrough: true})
	tests := []struct {
		name, body string
		wantRaw    bool
		wantData   map[string]any
	}{
		{"object kept as written", `{"b": 1.50, "a": [1]}`, true, nil},
		{"whitespace around the object dropped, as KrakenD writes none", " \n{\"a\": 1}\r\n", true, nil},
		{"array decoded into a collection", `[1]`, false, map[string]any{"collection": []any{json.Number("1")}}},
		{"scalar decoded into content", `"x"`, false, map[string]any{"content": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := dec(func(context.Context, *Request) (*Response, error) {
				return &Response{IsComplete: true, Body: io.NopCloser(strings.NewReader(tt.body))}, nil
			})
			resp, err := p(context.Background(), &Request{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantRaw {
				if string(resp.Raw) != strings.Trim(tt.body, " \t\r\n") || resp.Data != nil {
					t.Fatalf("Raw = %q, Data = %v; want the body untouched", resp.Raw, resp.Data)
				}
				return
			}
			if resp.Raw != nil || !reflect.DeepEqual(resp.Data, tt.wantData) {
				t.Errorf("Raw %q Data %v, want Data %v", resp.Raw, resp.Data, tt.wantData)
			}
		})
	}
	// Invalid JSON is an error, not passed through.
	p := dec(func(context.Context, *Request) (*Response, error) {
		return &Response{IsComplete: true, Body: io.NopCloser(strings.NewReader(`{"a":`))}, nil
	})
	if resp, err := p(context.Background(), &Request{}); err == nil {
		t.Errorf("invalid JSON passed: %q", resp.Raw)
	}
}

func decodeStage(t *testing.T, d Decoding) Middleware {
	t.Helper()
	m, err := NewDecodeStage(d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDecodeStageReplyRules checks a kind's rules: bytes in Raw (not only a
// stream) decode, any JSON value and an empty reply decode under
// AnyJSONValue, and a reply that does not decode gets the kind's status.
func TestDecodeStageReplyRules(t *testing.T) {
	t.Parallel()
	lambdaRules := ReplyRules{AnyJSONValue: true, FailStatus: 502, Noun: "the function's result"}
	tests := []struct {
		name       string
		d          Decoding
		raw        string
		wantData   string
		wantStatus int
		wantErr    string
	}{
		{"raw bytes decode", Decoding{Encoding: EncodingJSON}, `{"a":1}`, `{"a":1}`, 0, ""},
		{"any value: array", Decoding{Encoding: EncodingJSON, Replies: lambdaRules}, `[1]`, `{"collection":[1]}`, 0, ""},
		{"any value: scalar", Decoding{Encoding: EncodingJSON, Replies: lambdaRules}, `3`, `{"content":3}`, 0, ""},
		{"any value: empty", Decoding{Encoding: EncodingJSON, Replies: lambdaRules}, ``, `{}`, 0, ""},
		{"any value: string encoding", Decoding{Encoding: EncodingString, Replies: lambdaRules}, `<x/>`, `{"content":"\u003cx/\u003e"}`, 0, ""},
		{"kind's status", Decoding{Encoding: EncodingJSON, Replies: lambdaRules}, `<x/>`, ``, 502, "the function's result: body is not valid JSON"},
		{"default status", Decoding{Encoding: EncodingJSON}, `<x/>`, ``, 500, "the backend's body: body is not valid JSON"},
		{"json without the rules: no empty", Decoding{Encoding: EncodingJSON}, ``, ``, 500, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := decodeStage(t, tt.d)(func(context.Context, *Request) (*Response, error) {
				return &Response{IsComplete: true, Raw: []byte(tt.raw)}, nil
			})
			resp, err := p(context.Background(), &Request{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || StatusFor(err) != tt.wantStatus {
					t.Fatalf("err = %v (status %d), want %q, status %d", err, StatusFor(err), tt.wantErr, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Raw != nil || marshal(t, resp.Data) != tt.wantData {
				t.Errorf("raw %q data %s, want data %s", resp.Raw, marshal(t, resp.Data), tt.wantData)
			}
		})
	}
}
