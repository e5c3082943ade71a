package lambdalocal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// streamed is what a client read of an InvokeWithResponseStream answer.
type streamed struct {
	contentType string
	chunks      []string
	arrived     []time.Time
	errorCode   string
	details     string
}

func (s streamed) body() string { return strings.Join(s.chunks, "") }

// invokeStream calls fn with the Go SDK v2's InvokeWithResponseStream and
// reads its events.
func invokeStream(t *testing.T, fn, payload string) streamed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := newClient(shared, noRetries).InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String(fn),
		Payload:      []byte(payload),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	s := streamed{contentType: aws.ToString(out.ResponseStreamContentType)}
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			s.chunks = append(s.chunks, string(v.Value.Payload))
			s.arrived = append(s.arrived, time.Now())
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			s.errorCode, s.details = aws.ToString(v.Value.ErrorCode), aws.ToString(v.Value.ErrorDetails)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInvokeWithResponseStream: the Go SDK's InvokeWithResponseStream
// against the local runtime, a Node.js function wrapped in
// awslambda.streamifyResponse streaming through the Runtime API's
// streaming mode.
func TestInvokeWithResponseStream(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		s := invokeStream(t, "nodestream", `{}`)
		if s.body() != "hello world" || s.contentType != "text/plain" || s.errorCode != "" {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("sse with an HTTP integration prelude", func(t *testing.T) {
		s := invokeStream(t, "nodestream", `{"mode":"sse","count":3,"gapMs":150}`)
		if s.contentType != "application/vnd.awslambda.http-integration-response" || s.errorCode != "" {
			t.Fatalf("%+v", s)
		}
		body := s.body()
		prelude, events, ok := strings.Cut(body, "\x00\x00\x00\x00\x00\x00\x00\x00")
		if !ok || !strings.Contains(prelude, `"text/event-stream"`) || !strings.Contains(prelude, `"seen=1"`) || strings.Count(events, "data: ") != 3 {
			t.Fatalf("body %q", body)
		}
		// The events arrive as they are written, not at the end.
		first := -1
		for i, c := range s.chunks {
			if strings.Contains(c, "data: 1 ") {
				first = i
			}
		}
		if first < 0 || s.arrived[len(s.arrived)-1].Sub(s.arrived[first]) < 200*time.Millisecond {
			t.Fatalf("the first event did not arrive before the last was written: %q", s.chunks)
		}
	})
	t.Run("error midway", func(t *testing.T) {
		s := invokeStream(t, "nodestream", `{"mode":"fail"}`)
		if s.body() != "part" || s.errorCode != "Error" || !strings.Contains(s.details, "boom") {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("error before any byte", func(t *testing.T) {
		s := invokeStream(t, "nodestream", `{"mode":"early"}`)
		if s.body() != "" || s.errorCode != "Error" || !strings.Contains(s.details, "before any byte") {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("buffered function", func(t *testing.T) {
		s := invokeStream(t, "nodeecho", `{"a":1}`)
		if s.errorCode != "" || !strings.Contains(s.body(), `"a":1`) {
			t.Fatalf("%+v", s)
		}
	})
}
