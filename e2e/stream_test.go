package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// streamFunction is a Node.js function, run by the local runtime, that
// streams with awslambda.streamifyResponse: ?mode=fail throws after its
// first write; any other mode writes an event every 100 ms, 20 in all.
const streamFunction = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {statusCode: 200, headers: {'Content-Type': 'text/event-stream'}});
  stream.write('data: first\n\n');
  if (event.mode === 'fail') {
    await sleep(50);
    throw new Error('boom midway');
  }
  for (let i = 0; i < 20; i++) {
    await sleep(100);
    stream.write('data: more\n\n');
  }
  stream.end();
});
`

// TestLambdaStreamThroughGateway: a real Node.js streaming function on the
// local runtime, through lambdagate run on both engines: a failure after the
// first byte cuts the response (no terminating chunk), and a client that
// leaves ends the stream (the access log says client_gone).
func TestLambdaStreamThroughGateway(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "events", "index.js"), []byte(streamFunction), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"fasthttp", "net/http"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cfg := `{"version": 3, "timeout": "20s", "extra_config": {"lambdagate/server": {"engine": "` + engine + `"},
				"telemetry/opentelemetry": {"exporters": {"prometheus": [{"name": "p", "listen_ip": "127.0.0.1", "port": 0}]}}}, "endpoints": [
				{"endpoint": "/events", "output_encoding": "no-op", "input_query_strings": ["mode"],
				 "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "events", "invoke_mode": "RESPONSE_STREAM"}}}]}]}`
			g := startGateway(t, cfg, "--functions", dir)
			url := gatewayURL(t, g) + "/events"

			resp, err := http.Get(url + "?mode=fail")
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || string(b) != "data: first\n\n" || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("status %d type %q body %q err %v: want the first event, then a cut", resp.StatusCode, resp.Header.Get("Content-Type"), b, err)
			}
			if !g.WaitForLog("stream_error", 5*time.Second) || !g.WaitForLog("boom midway", 5*time.Second) {
				t.Errorf("the log does not show the failed stream:\n%s", g.Logs())
			}
			// The cut stream is counted as the function's error.
			if n := scrapeMetrics(t, metricsURL(t, g)).value("lambdagate_lambda_errors_total", fn("events")); n != 1 {
				t.Errorf("lambdagate_lambda_errors_total{aws_lambda_function=events} = %v after one stream failed midway, want 1", n)
			}

			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(resp.Body).ReadString('\n')
			if !strings.HasPrefix(line, "data: first") {
				t.Fatalf("first line %q", line)
			}
			cancel()
			resp.Body.Close()
			if !g.WaitForLog("client_gone", 5*time.Second) {
				t.Errorf("the access log does not show the client leaving:\n%s", g.Logs())
			}
		})
	}
}
