package lambdainvoke

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// streamReply answers an InvokeWithResponseStream call with chunks, then
// an InvokeComplete carrying code (none when empty); drop cuts the body
// before InvokeComplete.
func streamReply(contentType string, chunks []string, code string, drop bool) func(http.ResponseWriter, call, int) {
	return func(w http.ResponseWriter, c call, _ int) {
		if !c.Stream {
			http.Error(w, "not a stream call", http.StatusBadRequest)
			return
		}
		if contentType == "" {
			// The framing's own type: the function gave none.
			contentType = lambdaapi.ContentTypeEventStream
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set(lambdaapi.HeaderExecutedVersion, "7")
		sw := lambdaapi.NewStreamWriter(w)
		for _, ch := range chunks {
			sw.Chunk([]byte(ch))
		}
		if drop {
			return
		}
		sw.Complete(lambdaapi.InvokeComplete{ErrorCode: code, ErrorDetails: "details"})
	}
}

func readStream(s *Stream) (string, error) {
	var out []byte
	for {
		b, err := s.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return string(out), err
		}
		out = append(out, b...)
	}
}

func TestInvokeStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ct    string
		chunks      []string
		code        string
		drop        bool
		want, wantT string
		wantErr     string
	}{
		{name: "chunks", ct: "text/event-stream", chunks: []string{"data: 1\n\n", "data: 2\n\n"}, want: "data: 1\n\ndata: 2\n\n", wantT: "text/event-stream"},
		{name: "no content type", chunks: []string{"x"}, want: "x"},
		{name: "mid-stream error", chunks: []string{"a"}, code: "Runtime.Unknown", want: "a", wantErr: "Runtime.Unknown"},
		{name: "cut", chunks: []string{"a"}, drop: true, want: "a", wantErr: io.ErrUnexpectedEOF.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f := startClient(t, Key{Region: "eu-west-1"}, streamReply(tc.ct, tc.chunks, tc.code, tc.drop))
			in := invocation("fn")
			in.Qualifier = "live"
			s, err := c.InvokeStream(ctxT(t), in)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := readStream(s)
			if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %q, %v; want %q, %q", got, err, tc.want, tc.wantErr)
			}
			if tc.code != "" {
				var se *StreamError
				if !errors.As(err, &se) || se.Code != tc.code || se.Details != "details" {
					t.Fatalf("err %#v", err)
				}
			}
			if s.ContentType != tc.wantT || s.ExecutedVersion != "7" {
				t.Errorf("content type %q, version %q", s.ContentType, s.ExecutedVersion)
			}
			call := f.Last(t)
			if call.Path != "/2021-11-15/functions/fn/response-streaming-invocations" || call.Query != "Qualifier=live" {
				t.Errorf("sent %s?%s", call.Path, call.Query)
			}
			invoketest.CheckSignature(t, call, hostOf(f), "eu-west-1", invoketest.AccessKey, invoketest.SecretKey)
		})
	}
}

func TestInvokeStreamAPIError(t *testing.T) {
	t.Parallel()
	c, _ := startClient(t, Key{Region: "eu-west-1"}, func(w http.ResponseWriter, _ call, _ int) {
		w.Header().Set(lambdaapi.HeaderErrorType, lambdaapi.CodeResourceNotFound)
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Function not found"}`))
	})
	_, err := c.InvokeStream(ctxT(t), invocation("fn"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != lambdaapi.CodeResourceNotFound {
		t.Fatalf("err = %v", err)
	}
}

// TestInvokeStreamCancel: cancelling the context ends a stream that waits
// for its next chunk at once.
func TestInvokeStreamCancel(t *testing.T) {
	t.Parallel()
	gone := make(chan struct{})
	c, _ := startClient(t, Key{Region: "eu-west-1"}, func(w http.ResponseWriter, c call, _ int) {
		sw := lambdaapi.NewStreamWriter(w)
		sw.Chunk([]byte("first"))
		// A write fails once the client has left; bounded at 5 s.
		for range 500 {
			time.Sleep(10 * time.Millisecond)
			if sw.Chunk([]byte{0}) != nil {
				close(gone)
				return
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.InvokeStream(ctx, invocation("fn"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, err := s.Next(); err != nil || string(b) != "first" {
		t.Fatalf("first chunk %q, %v", b, err)
	}
	start := time.Now()
	time.AfterFunc(50*time.Millisecond, cancel)
	for {
		b, err := s.Next()
		if err != nil {
			break
		}
		if len(b) != 1 {
			t.Fatalf("chunk %q", b)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the client leave")
	}
}
