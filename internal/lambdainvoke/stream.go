package lambdainvoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// StreamInvoker invokes functions with InvokeWithResponseStream: the
// function's response arrives in chunks, as it writes them. *Client is one.
type StreamInvoker interface {
	InvokeStream(ctx context.Context, in *Invocation) (*Stream, error)
}

// Stream is an InvokeWithResponseStream answer being read. Its body is
// bound to the context InvokeStream was given: cancelling it ends the
// stream (and the invocation's connection) at once.
type Stream struct {
	// StatusCode is the answer's HTTP status (200).
	StatusCode int
	// ContentType is the content type the function gave its stream
	// (lambdaapi.ContentTypeHTTPIntegration for an HTTP integration
	// prelude), or "" when it gave none.
	ContentType string
	// ExecutedVersion is X-Amz-Executed-Version.
	ExecutedVersion string
	// RequestID is Lambda's request id.
	RequestID string

	body    io.ReadCloser
	dec     *eventstream.Decoder
	buf     []byte
	done    bool
	closeMu sync.Once
}

// StreamError reports a streamed invocation that failed after its answer
// began: an InvokeComplete event with an ErrorCode, or an exception or
// error message in the stream.
type StreamError struct {
	// Code is Lambda's error code (the function's error type, such as
	// Runtime.Unknown or the exception's type).
	Code string
	// Details is Lambda's message.
	Details string
}

// Error names the code and the details.
func (e *StreamError) Error() string {
	if e.Details == "" {
		return "the function's response stream failed: " + e.Code
	}
	return "the function's response stream failed: " + e.Code + ": " + e.Details
}

// maxStreamMessage bounds one event-stream message's payload: a chunk the
// function writes is split by Lambda into messages far below this.
const maxStreamMessage = 1 << 20

// Next returns the next chunk of the function's bytes. The chunk is valid
// until the next call. It returns io.EOF once the stream completed without
// error, a *StreamError when the invocation failed mid-stream, and another
// error when the stream broke (io.ErrUnexpectedEOF when it ended without
// InvokeComplete, or the context's error).
func (s *Stream) Next() ([]byte, error) {
	for {
		if s.done {
			return nil, io.EOF
		}
		m, err := s.dec.Decode(s.body, s.buf[:0])
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if cap(m.Payload) > cap(s.buf) && cap(m.Payload) <= maxStreamMessage {
			s.buf = m.Payload[:0]
		}
		switch headerString(m.Headers, eventstreamapi.MessageTypeHeader) {
		case eventstreamapi.EventMessageType:
		case eventstreamapi.ExceptionMessageType:
			s.done = true
			return nil, &StreamError{Code: headerString(m.Headers, eventstreamapi.ExceptionTypeHeader), Details: exceptionMessage(m.Payload)}
		case eventstreamapi.ErrorMessageType:
			s.done = true
			return nil, &StreamError{Code: headerString(m.Headers, eventstreamapi.ErrorCodeHeader), Details: headerString(m.Headers, eventstreamapi.ErrorMessageHeader)}
		default:
			continue
		}
		switch headerString(m.Headers, eventstreamapi.EventTypeHeader) {
		case lambdaapi.EventPayloadChunk:
			if len(m.Payload) == 0 {
				continue
			}
			return m.Payload, nil
		case lambdaapi.EventInvokeComplete:
			s.done = true
			var c lambdaapi.InvokeComplete
			if len(m.Payload) > 0 {
				if err := json.Unmarshal(m.Payload, &c); err != nil {
					return nil, fmt.Errorf("the stream's InvokeComplete event is not JSON: %v", err)
				}
			}
			if c.ErrorCode != "" {
				return nil, &StreamError{Code: c.ErrorCode, Details: c.ErrorDetails}
			}
			return nil, io.EOF
		}
		// An event type this client does not know: skipped, as the SDK
		// skips them.
	}
}

// Close ends the stream; the connection is closed when the stream was not
// read to its end.
func (s *Stream) Close() error {
	var err error
	s.closeMu.Do(func() { err = s.body.Close() })
	return err
}

func headerString(hs eventstream.Headers, name string) string {
	if v := hs.Get(name); v != nil {
		return v.String()
	}
	return ""
}

// exceptionMessage reads the message of an exception's JSON payload.
func exceptionMessage(b []byte) string {
	var e struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	if e.Message != "" {
		return e.Message
	}
	return e.Message2
}

// streamHTTP returns the net/http client streamed invocations go through,
// built once: fasthttp's client reads a reply whole, so streams take
// net/http's, whose body is read as it arrives and closes with the context.
func (s *Client) streamHTTP() (*http.Client, error) {
	s.streamOnce.Do(func() {
		if ns, ok := s.sender.(*netSender); ok {
			s.streamClient = ns.client
			s.streamReady.Store(ns.client)
			return
		}
		s.streamClient, s.streamErr = newHTTPClient()
		if s.streamErr == nil {
			s.streamReady.Store(s.streamClient)
		}
	})
	return s.streamClient, s.streamErr
}

// InvokeStream sends one InvokeWithResponseStream request, signed as
// Invoke is, and returns the answer's stream once its headers arrived. It
// never retries. An error answer is an *APIError, as for Invoke.
func (s *Client) InvokeStream(ctx context.Context, in *Invocation) (*Stream, error) {
	hc, err := s.streamHTTP()
	if err != nil {
		return nil, err
	}
	raw := s.base + lambdaapi.EscapedInvokeStreamPath(in.FunctionName)
	if in.Qualifier != "" {
		raw += "?" + lambdaapi.QualifierParam + "=" + url.QueryEscape(in.Qualifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(in.Payload))
	if err != nil {
		return nil, fmt.Errorf("building the InvokeWithResponseStream request: %w", err)
	}
	if s.parsed != nil {
		// The path goes out exactly as it is signed.
		req.URL.RawPath = s.parsed.EscapedPath() + lambdaapi.EscapedInvokeStreamPath(in.FunctionName)
		req.URL.Path = s.parsed.Path + lambdaapi.InvokeStreamPath(in.FunctionName)
	}
	setInvokeHeaders(req.Header, in)
	if err := s.sign(ctx, req, in); err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &sendError{err: err, beforeReply: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		body, _ := readLimited(resp.Body, maxErrorBody)
		return nil, apiErrorOf(&reply{
			status:     resp.StatusCode,
			requestID:  resp.Header.Get(lambdaapi.HeaderRequestID),
			retryAfter: resp.Header.Get("Retry-After"),
			errorType:  resp.Header.Get(lambdaapi.HeaderErrorType),
			body:       body,
		})
	}
	ct := resp.Header.Get(lambdaapi.HeaderResponseStreamContentType)
	if strings.HasPrefix(ct, lambdaapi.ContentTypeEventStream) {
		// The framing's own type: the function gave none.
		ct = ""
	}
	return &Stream{
		StatusCode:      resp.StatusCode,
		ContentType:     ct,
		ExecutedVersion: resp.Header.Get(lambdaapi.HeaderExecutedVersion),
		RequestID:       resp.Header.Get(lambdaapi.HeaderRequestID),
		body:            resp.Body,
		dec:             eventstream.NewDecoder(),
		buf:             make([]byte, 0, 4<<10),
	}, nil
}

var _ StreamInvoker = (*Client)(nil)
