package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackendFilterAppliesToLambda checks that a Lambda backend's own
// input_headers and input_query_strings narrow what its function's event
// carries, as they narrow an HTTP backend's request.
func TestBackendFilterAppliesToLambda(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "event"), 0o755); err != nil {
		t.Fatal(err)
	}
	fn := `exports.handler = async (event) => ({statusCode: 200, body: JSON.stringify({headers: event.headers, query: event.queryStringParameters})});`
	if err := os.WriteFile(filepath.Join(dir, "event", "index.js"), []byte(fn), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `{"version": 3, "timeout": "10s", "endpoints": [
	  {"endpoint": "/narrowed", "input_headers": ["X-Keep", "X-Drop"], "input_query_strings": ["a", "b"],
	   "backend": [{"host": ["ignored"], "url_pattern": "/", "input_headers": ["X-Keep"], "input_query_strings": ["a"],
	     "extra_config": {"backend/lambda": {"function_name": "event", "payload_format": "apigateway_v1"}}}]},
	  {"endpoint": "/all", "input_headers": ["X-Keep", "X-Drop"], "input_query_strings": ["a", "b"],
	   "backend": [{"host": ["ignored"], "url_pattern": "/",
	     "extra_config": {"backend/lambda": {"function_name": "event", "payload_format": "apigateway_v1"}}}]}]}`
	g := startGateway(t, cfg, "--functions", dir)
	hdr := map[string]string{"X-Keep": "k", "X-Drop": "d"}
	for _, tc := range []struct {
		path            string
		wantDrop, wantB bool
	}{{"/narrowed", false, false}, {"/all", true, true}} {
		r := do(t, "GET", g.URL+tc.path+"?a=1&b=2", "", hdr)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", tc.path, r.Status, r.Body)
		}
		var ev struct {
			Headers map[string]string `json:"headers"`
			Query   map[string]string `json:"query"`
		}
		if err := json.Unmarshal([]byte(r.Body), &ev); err != nil {
			t.Fatalf("%s: %v: %s", tc.path, err, r.Body)
		}
		got := map[string]string{}
		for k, v := range ev.Headers {
			got[strings.ToLower(k)] = v
		}
		if got["x-keep"] != "k" || (got["x-drop"] == "d") != tc.wantDrop {
			t.Errorf("%s: the function saw headers %v", tc.path, ev.Headers)
		}
		if ev.Query["a"] != "1" || (ev.Query["b"] == "2") != tc.wantB {
			t.Errorf("%s: the function saw query %v", tc.path, ev.Query)
		}
	}
}
