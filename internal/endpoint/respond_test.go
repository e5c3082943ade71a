package endpoint

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// TestRespond: with Options.Respond, the pipeline's result is written by
// it alone (no gateway headers, its status), and the access log tells its
// outcome.
func TestRespond(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		pipeErr error
		respErr error
		status  int
		outcome string
	}{
		{"written", nil, nil, 201, "outcome=complete"},
		{"pipeline failed", errors.New("backend down"), nil, 400, "outcome=error"},
		{"respond failed", nil, errors.New("cannot sign"), 500, "outcome=error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			var gotErr error
			var gotResp *proxy.Response
			h, err := New(Options{
				Endpoint: &config.Endpoint{Method: "GET", Path: "/token", Timeout: time.Second, OutputEncoding: "json", CacheTTL: time.Hour},
				Pipeline: (&recorder{resp: okData(`{"a":1}`), err: c.pipeErr}).pipeline, Backends: 1,
				Logger: slog.New(slog.NewTextHandler(&buf, nil)),
				Respond: func(_ context.Context, w http.ResponseWriter, resp *proxy.Response, err error) (int, error) {
					gotResp, gotErr = resp, err
					status := c.status
					if err == nil && c.respErr != nil {
						err = c.respErr
					}
					w.WriteHeader(status)
					return status, err
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			h(w, httptest.NewRequest("GET", "/token", nil), nil)
			if w.Code != c.status || w.Header().Get("X-Krakend-Completed") != "" || w.Header().Get("Cache-Control") != "" {
				t.Errorf("status %d, headers %v", w.Code, w.Header())
			}
			if gotResp == nil || gotResp.Data["a"] == nil || !errors.Is(gotErr, c.pipeErr) {
				t.Errorf("Respond got %v, %v", gotResp, gotErr)
			}
			if line := buf.String(); !strings.Contains(line, c.outcome) || !strings.Contains(line, "status="+strconv.Itoa(c.status)) {
				t.Errorf("access log %q, want %s", line, c.outcome)
			}
		})
	}
}
