package render

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/proxy"
)

// chunks reads one chunk per Read, then err (io.EOF when nil).
type chunks struct {
	parts []string
	err   error
	// seen is what the writer held when each Read began.
	w    *flushCounter
	seen []string
}

func (c *chunks) Read(p []byte) (int, error) {
	c.seen = append(c.seen, c.w.flushed)
	if len(c.parts) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts = c.parts[1:]
	return n, nil
}

func (c *chunks) Close() error { return nil }

// flushCounter records what was flushed; failWrites makes writes fail.
type flushCounter struct {
	*httptest.ResponseRecorder
	flushed    string
	failWrites bool
}

func (f *flushCounter) Write(b []byte) (int, error) {
	if f.failWrites {
		return 0, errors.New("broken pipe")
	}
	return f.ResponseRecorder.Write(b)
}

func (f *flushCounter) Flush() { f.flushed = f.Body.String() }

func TestNoOpStream(t *testing.T) {
	for _, tc := range []struct {
		name       string
		parts      []string
		err        error
		failWrites bool
		wantErr    bool
		wantClient bool
	}{
		{name: "whole", parts: []string{"a", "b", "c"}},
		{name: "backend fails", parts: []string{"a"}, err: errors.New("cut"), wantErr: true},
		{name: "client gone", parts: []string{"a"}, failWrites: true, wantErr: true, wantClient: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &flushCounter{ResponseRecorder: httptest.NewRecorder(), failWrites: tc.failWrites}
			body := &chunks{parts: tc.parts, err: tc.err, w: w}
			err := writeNoOp(w, http.StatusOK, &proxy.Response{Body: body, Metadata: proxy.Metadata{StatusCode: 201, Headers: http.Header{"Content-Type": {"text/event-stream"}}}})
			var se *StreamError
			if tc.wantErr != (err != nil) || (err != nil && (!errors.As(err, &se) || se.Client != tc.wantClient)) {
				t.Fatalf("err = %v", err)
			}
			if w.Code != 201 || w.Header().Get("Content-Type") != "text/event-stream" {
				t.Errorf("status %d type %q", w.Code, w.Header().Get("Content-Type"))
			}
			if tc.failWrites {
				return
			}
			// Every read begins with what came before flushed.
			var sofar strings.Builder
			for i, s := range body.seen {
				if s != sofar.String() {
					t.Fatalf("read %d began with %q flushed, want %q", i, s, sofar.String())
				}
				if i < len(tc.parts) {
					sofar.WriteString(tc.parts[i])
				}
			}
		})
	}
}

// TestNoOpSmallLength: a reply with a small Content-Length is not
// streamed: no flush.
func TestNoOpSmallLength(t *testing.T) {
	w := &flushCounter{ResponseRecorder: httptest.NewRecorder(), flushed: "never"}
	body := &chunks{parts: []string{"ab", "c"}, w: w}
	if err := writeNoOp(w, 200, &proxy.Response{Body: body, Metadata: proxy.Metadata{Headers: http.Header{"Content-Length": {"3"}}}}); err != nil {
		t.Fatal(err)
	}
	if w.Body.String() != "abc" || w.flushed != "never" {
		t.Fatalf("body %q, flushed %q", w.Body.String(), w.flushed)
	}
}
