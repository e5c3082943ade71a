package lambdaapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
)

// streamingInvocations ends an InvokeWithResponseStream path.
const streamingInvocations = "/response-streaming-invocations"

// StreamFunctionsPath is the path under which InvokeWithResponseStream
// lives: POST StreamFunctionsPath/{name}/response-streaming-invocations.
const StreamFunctionsPath = "/2021-11-15/functions"

// InvokeStreamPattern is the InvokeWithResponseStream operation as a
// net/http.ServeMux pattern; the function name is its "name" wildcard.
const InvokeStreamPattern = "POST " + StreamFunctionsPath + "/{name}" + streamingInvocations

// InvokeStreamPath returns the InvokeWithResponseStream path of the
// function name, unescaped (url.URL.Path).
func InvokeStreamPath(name string) string {
	return StreamFunctionsPath + "/" + name + streamingInvocations
}

// EscapedInvokeStreamPath returns the InvokeWithResponseStream path of the
// function name escaped with EscapeLabel: the path a request sends and
// signs.
func EscapedInvokeStreamPath(name string) string {
	return StreamFunctionsPath + "/" + EscapeLabel(name) + streamingInvocations
}

// Event-stream framing of an InvokeWithResponseStream answer: every
// message is an event (MessageTypeHeader EventMessageType) whose
// EventTypeHeader is EventPayloadChunk (the payload is the function's
// bytes, as written) or, last, EventInvokeComplete (the payload is a JSON
// InvokeComplete).
const (
	EventPayloadChunk   = "PayloadChunk"
	EventInvokeComplete = "InvokeComplete"
)

// ContentTypeEventStream is the Content-Type of an event-stream body when
// the answer is an error (the HTTP Content-Type of a successful answer is
// the function's stream's own, see HeaderResponseStreamContentType).
const ContentTypeEventStream = "application/vnd.amazon.eventstream"

// HeaderResponseStreamContentType is the InvokeWithResponseStream answer's
// header holding the function's content type (the SDK's
// ResponseStreamContentType).
const HeaderResponseStreamContentType = "Content-Type"

// ContentTypeHTTPIntegration is the content type of a stream that begins
// with an HTTP integration prelude (Node.js awslambda.HttpResponseStream.from):
// a JSON HTTPPrelude, PreludeDelimiter, then the body.
const ContentTypeHTTPIntegration = "application/vnd.awslambda.http-integration-response"

// DefaultStreamContentType is a streamed response's content type when the
// function sets none.
const DefaultStreamContentType = "application/octet-stream"

// PreludeDelimiter ends an HTTP integration prelude: eight NUL bytes.
const PreludeDelimiter = "\x00\x00\x00\x00\x00\x00\x00\x00"

// MaxPrelude bounds an HTTP integration prelude (Lambda's own is 8 KiB of
// headers; the margin is for cookies).
const MaxPrelude = 64 << 10

// InvokeComplete is the last event of a streamed invocation. ErrorCode is
// set when the function failed after the stream began.
type InvokeComplete struct {
	ErrorCode    string `json:",omitempty"`
	ErrorDetails string `json:",omitempty"`
	LogResult    string `json:",omitempty"`
}

// HTTPPrelude is the JSON head of an HTTP integration stream: the status,
// headers and cookies of the HTTP response the function answers.
type HTTPPrelude struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
}

// ErrPreludeIncomplete says more bytes are needed to find the end of an
// HTTP integration prelude.
var ErrPreludeIncomplete = errors.New("the HTTP integration prelude is not complete")

// SplitPrelude parses the HTTP integration prelude at the start of b: the
// prelude and the bytes after its delimiter. It returns
// ErrPreludeIncomplete when b holds no delimiter yet and is below
// MaxPrelude, and another error when the prelude is not one.
func SplitPrelude(b []byte) (HTTPPrelude, []byte, error) {
	var p HTTPPrelude
	i := bytes.Index(b, []byte(PreludeDelimiter))
	if i < 0 {
		if len(b) >= MaxPrelude {
			return p, nil, fmt.Errorf("no HTTP integration prelude delimiter in the first %d bytes", MaxPrelude)
		}
		return p, nil, ErrPreludeIncomplete
	}
	if i > MaxPrelude {
		return p, nil, fmt.Errorf("the HTTP integration prelude is above %d bytes", MaxPrelude)
	}
	if err := json.Unmarshal(b[:i], &p); err != nil {
		return p, nil, fmt.Errorf("the HTTP integration prelude is not a JSON object with statusCode, headers and cookies: %v", err)
	}
	if p.StatusCode == 0 {
		p.StatusCode = http.StatusOK
	}
	if p.StatusCode < 100 || p.StatusCode > 999 {
		return p, nil, fmt.Errorf("the HTTP integration prelude's statusCode %d is not an HTTP status", p.StatusCode)
	}
	return p, b[i+len(PreludeDelimiter):], nil
}

// StreamWriter writes an InvokeWithResponseStream answer's body: the
// function's bytes as PayloadChunk events, then one InvokeComplete, framed
// with the SDK's event-stream encoder, each flushed as it is written. It
// is the local runtime's and the tests' fake's; not safe for concurrent
// use.
type StreamWriter struct {
	w   io.Writer
	enc *eventstream.Encoder
}

// NewStreamWriter returns a StreamWriter writing to w (flushed after every
// event when w is an http.Flusher).
func NewStreamWriter(w io.Writer) *StreamWriter {
	return &StreamWriter{w: w, enc: eventstream.NewEncoder()}
}

// Chunk writes b as one PayloadChunk event (nothing for an empty b).
func (s *StreamWriter) Chunk(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return s.event(EventPayloadChunk, "application/octet-stream", b)
}

// Complete writes the InvokeComplete event that ends the stream; c's
// ErrorCode says the function failed mid-stream.
func (s *StreamWriter) Complete(c InvokeComplete) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.event(EventInvokeComplete, "application/json", b)
}

func (s *StreamWriter) event(typ, contentType string, payload []byte) error {
	m := eventstream.Message{Payload: payload}
	m.Headers.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(eventstreamapi.EventMessageType))
	m.Headers.Set(eventstreamapi.EventTypeHeader, eventstream.StringValue(typ))
	m.Headers.Set(eventstreamapi.ContentTypeHeader, eventstream.StringValue(contentType))
	if err := s.enc.Encode(s.w, m); err != nil {
		return err
	}
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}
