package endpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, client string
		kept         bool
	}{
		{"passed through", "abc-123", true},
		{"generated when absent", "", false},
		{"generated for a space", "a b", false},
		{"generated for a control character", "a\x01", false},
		{"generated past 128 bytes", strings.Repeat("x", 129), false},
		{"128 bytes kept", strings.Repeat("x", 128), true},
	}
	for _, tt := range tests {
		for _, send := range []bool{false, true} {
			t.Run(tt.name+"/send="+strconv.FormatBool(send), func(t *testing.T) {
				t.Parallel()
				testRequestID(t, tt.client, tt.kept, send)
			})
		}
	}
	if a, b := newRequestID(), newRequestID(); a == b {
		t.Errorf("two generated ids are both %q", a)
	}
}

// testRequestID sends a request with the client's id (none for "") and
// checks the id the client, the pipeline and the backends get.
func testRequestID(t *testing.T, client string, kept, send bool) {
	t.Helper()
	rec := &recorder{resp: okData(`{}`)}
	do := build(t, setup{sendID: send}, rec)
	r := httptest.NewRequest("GET", "/test", nil)
	if client != "" {
		r.Header.Set("X-Request-Id", client)
	}
	w := do(r)
	id := w.Header().Get("X-Request-Id")
	if kept && id != client {
		t.Errorf("client got id %q, want %q", id, client)
	}
	if !kept && (len(id) != 32 || id == client || !validRequestID(id)) {
		t.Errorf("generated id %q", id)
	}
	if rec.got.ID != id {
		t.Errorf("the request's ID is %q, the client's %q", rec.got.ID, id)
	}
	// Backends get the id only when asked for: by default, what KrakenD
	// sends (the client's X-Request-Id is not among the default
	// input_headers).
	want := ""
	if send {
		want = id
	}
	if got := rec.got.Headers.Get("X-Request-Id"); got != want || rec.got.SendID != send {
		t.Errorf("backend got id %q (SendID %v), want %q", got, rec.got.SendID, want)
	}
}

func TestAccessLogFailedBackends(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	failure := &proxy.MergeError{Errs: []error{&proxy.BackendFailure{Backend: "endpoints[0].backend[1]", Err: errors.New("down")}}}
	partial := func() *proxy.Response {
		r := okData(`{"a":1}`)()
		r.IsComplete = false
		return r
	}
	h, _ := New(Options{
		Endpoint: &config.Endpoint{Method: "GET", Path: "/m", Timeout: time.Second, OutputEncoding: "json"},
		Pipeline: (&recorder{resp: partial, err: failure}).pipeline, Backends: 2, Logger: logger,
	})
	r := httptest.NewRequest("GET", "/m", nil)
	r.Header.Set("X-Request-Id", "req-7")
	h(httptest.NewRecorder(), r, nil)
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no access-log line in %s", buf.String())
	}
	if line["request_id"] != "req-7" || line["complete"] != false || line["outcome"] != "partial" {
		t.Errorf("access log = %v", line)
	}
	if fb, _ := json.Marshal(line["failed_backends"]); string(fb) != `["endpoints[0].backend[1]"]` {
		t.Errorf("failed_backends = %s", fb)
	}
}

// TestAccessLogSkipPaths checks router.logger_skip_paths: no access-log
// line for a listed path, one for any other.
func TestAccessLogSkipPaths(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h, _ := New(Options{
		Endpoint: &config.Endpoint{Method: "GET", Path: "/s/{id}", Timeout: time.Second, OutputEncoding: "json"},
		Pipeline: (&recorder{resp: okData(`{}`)}).pipeline, Backends: 1,
		Logger:       slog.New(slog.NewJSONHandler(&buf, nil)),
		SkipLogPaths: map[string]bool{"/s/quiet": true},
	})
	h(httptest.NewRecorder(), httptest.NewRequest("GET", "/s/quiet", nil), []string{"quiet"})
	if buf.Len() != 0 {
		t.Errorf("a skipped path was logged: %s", buf.String())
	}
	h(httptest.NewRecorder(), httptest.NewRequest("GET", "/s/loud", nil), []string{"loud"})
	if !strings.Contains(buf.String(), `"path":"/s/loud"`) {
		t.Errorf("no line for another path: %s", buf.String())
	}
}

// TestAccessLogReasons: a failed or partial request's access-log line is
// a WARN that says why, per failed backend (its JSON path and its error's
// text), with secrets scrubbed; a complete one stays INFO.
func TestAccessLogReasons(t *testing.T) {
	t.Parallel()
	partial := func() *proxy.Response {
		r := okData(`{"a":1}`)()
		r.IsComplete = false
		return r
	}
	cases := []struct {
		name       string
		resp       func() *proxy.Response
		err        error
		wantLevel  string
		wantErrors string // JSON of the errors attribute
		wantError  string // the error attribute
	}{
		{name: "complete", resp: okData(`{}`), wantLevel: "INFO", wantErrors: "null"},
		{name: "partial, a secret in the reason", resp: partial,
			err:       &proxy.MergeError{Errs: []error{&proxy.BackendFailure{Backend: "endpoints[0].backend[1]", Err: errors.New(`Get "http://u:pw@h/x?token=abc": EOF`)}}},
			wantLevel: "WARN", wantErrors: `["endpoints[0].backend[1]: Get \"http://u:***@h/x?token=***\": EOF"]`},
		{name: "failed, two backends",
			err: &proxy.MergeError{Errs: []error{
				&proxy.BackendFailure{Backend: "endpoints[8].backend[0]", Err: errors.New(`lambda function "f" failed (Unhandled): TypeError: boom`)},
				&proxy.BackendFailure{Backend: "endpoints[8].backend[1]", Err: &proxy.BackendError{Backend: "http://h/x", StatusCode: 503}},
			}},
			wantLevel: "WARN", wantErrors: `["endpoints[8].backend[0]: lambda function \"f\" failed (Unhandled): TypeError: boom","endpoints[8].backend[1]: backend http://h/x answered status 503"]`},
		{name: "failed, no backend named", err: errors.New("endpoint timeout"), wantLevel: "WARN", wantErrors: "null", wantError: "endpoint timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, nil))
			h, _ := New(Options{
				Endpoint: &config.Endpoint{Method: "GET", Path: "/m", Timeout: time.Second, OutputEncoding: "json"},
				Pipeline: (&recorder{resp: c.resp, err: c.err}).pipeline, Backends: 2, Logger: logger,
			})
			h(httptest.NewRecorder(), httptest.NewRequest("GET", "/m", nil), nil)
			var line map[string]any
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
					line = m
				}
				if strings.Contains(l, "partial response") {
					t.Errorf("a second line for the partial response: %s", l)
				}
			}
			if line == nil {
				t.Fatalf("no access-log line in %s", buf.String())
			}
			errs, _ := json.Marshal(line["errors"])
			if line["level"] != c.wantLevel || string(errs) != c.wantErrors || c.wantError != "" && line["error"] != c.wantError {
				t.Errorf("access log %v;\nwant level %s, errors %s, error %q", line, c.wantLevel, c.wantErrors, c.wantError)
			}
			if line["request_id"] == "" || line["request_id"] == nil {
				t.Error("no request_id")
			}
		})
	}
}
