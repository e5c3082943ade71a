package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// apigwFunctions are handlers written for API Gateway as AWS's tutorials
// write them: they read lower-case header names, the client's User-Agent,
// and binary bodies in base64.
var apigwFunctions = map[string]map[string]string{
	// payload 1.0 (REST API), Node.js.
	"v1node": {"index.js": `exports.handler = async (event) => ({
  statusCode: 200,
  headers: {"content-type": "application/json"},
  body: JSON.stringify({
    day: event.headers.day === undefined ? null : event.headers.day,
    ua: event.headers["user-agent"] === undefined ? null : event.headers["user-agent"],
    identityUA: event.requestContext.identity.userAgent,
    body: event.body,
    b64: event.isBase64Encoded,
  }),
});
`},
	// payload 2.0 (HTTP API), Python.
	"v2py": {"lambda_function.py": `import json

def lambda_handler(event, context):
    h = event.get("headers") or {}
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"day": h.get("day"), "ua": h.get("user-agent"),
                                "httpUA": event["requestContext"]["http"]["userAgent"],
                                "b64": event["isBase64Encoded"]})}
`},
	// answers text on a JSON endpoint: a 502 whose reason the access log gives.
	"textfn": {"index.js": `exports.handler = async () => ({statusCode: 200, headers: {"content-type": "text/plain"}, body: "hello, not JSON"});
`},
	// payload 1.0, Python: answers the binary body it got, in base64.
	"v1pybin": {"lambda_function.py": `import base64

def lambda_handler(event, context):
    assert event["isBase64Encoded"], "a binary body should come in base64"
    data = base64.b64decode(event["body"])
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}
`},
}

func writeFunctions(t *testing.T, fns map[string]map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, files := range fns {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for file, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// rawHTTP1 sends req's bytes as they are over one HTTP/1.1 connection
// (Go's client would canonicalise the names) and returns the response.
func rawHTTP1(t *testing.T, addr, req string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAPIGatewayFunctionsUnchanged runs functions written for API Gateway
// behind the gateway, on both engines: payload 1.0 keeps the client's
// spelling of header names (lower case here), 2.0 lower-cases them, the
// User-Agent is the client's whatever input_headers lists, a request
// without a body has body null, and binary bodies go in base64 both ways.
func TestAPIGatewayFunctionsUnchanged(t *testing.T) {
	t.Parallel()
	dir := writeFunctions(t, apigwFunctions)
	certFile, keyFile, pool := writeTestCert(t, t.TempDir())
	lambda := func(fn, format string) string {
		return `{"host": ["ignored"], "url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "` + fn + `", "payload_format": "` + format + `"}}}`
	}
	endpoints := `"endpoints": [
	  {"endpoint": "/v1", "input_headers": ["Day"], "backend": [` + lambda("v1node", "apigateway_v1") + `]},
	  {"endpoint": "/v2", "input_headers": ["Day"], "backend": [` + lambda("v2py", "apigateway_v2") + `]},
	  {"endpoint": "/bin", "method": "POST", "output_encoding": "no-op", "input_headers": ["Content-Type"],
	   "backend": [` + lambda("v1pybin", "apigateway_v1") + `]},
	  {"endpoint": "/text", "backend": [` + lambda("textfn", "apigateway_v1") + `]}]`
	engines := []struct {
		name, cfg string
		h2        bool
		v1Day     string // the name payload 1.0 shows for the client's "day"
	}{
		{name: "fasthttp", cfg: `{"version": 3, "timeout": "20s", ` + endpoints + `}`, v1Day: "day"},
		{name: "net/http over HTTP/2", h2: true, v1Day: "day",
			cfg: `{"version": 3, "timeout": "20s", "tls": {"public_key": "` + certFile + `", "private_key": "` + keyFile + `"}, ` + endpoints + `}`},
		// net/http's HTTP/1.x server canonicalises names before any
		// handler sees them; its connections record the client's
		// spelling (internal/h1names).
		{name: "net/http over HTTP/1.1", v1Day: "day",
			cfg: `{"version": 3, "timeout": "20s", "extra_config": {"lambdagate/server": {"engine": "net/http"}}, ` + endpoints + `}`},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			g := startGateway(t, e.cfg, "--functions", dir)
			send := func(method, path, contentType, body string) (int, string) {
				if !e.h2 {
					addr := strings.TrimPrefix(g.URL, "http://")
					req := method + " " + path + " HTTP/1.1\r\nhost: " + addr + "\r\nday: Thursday\r\nuser-agent: tutorial-client/1.0\r\n"
					if contentType != "" {
						req += "content-type: " + contentType + "\r\n"
					}
					req += fmt.Sprintf("content-length: %d\r\nconnection: close\r\n\r\n%s", len(body), body)
					return rawHTTP1(t, addr, req)
				}
				c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
					TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
				defer c.CloseIdleConnections()
				req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(body))
				req.Header.Set("Day", "Thursday")
				req.Header.Set("User-Agent", "tutorial-client/1.0")
				if contentType != "" {
					req.Header.Set("Content-Type", contentType)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.ProtoMajor != 2 {
					t.Fatalf("served over %s, want HTTP/2", resp.Proto)
				}
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}

			status, body := send("GET", "/v1", "", "")
			var v1 map[string]any
			if status != 200 || json.Unmarshal([]byte(body), &v1) != nil {
				t.Fatalf("v1: %d %s", status, body)
			}
			wantDay := any("Thursday")
			if e.v1Day != "day" {
				wantDay = nil
			}
			if v1["day"] != wantDay || v1["identityUA"] != "tutorial-client/1.0" || v1["body"] != nil || v1["b64"] != false {
				t.Errorf("v1 function saw %s; want day %v, the client's user agent, body null, isBase64Encoded false", body, wantDay)
			}
			if e.v1Day == "day" && v1["ua"] != "tutorial-client/1.0" {
				t.Errorf("v1 function read user-agent %v, want the client's", v1["ua"])
			}

			status, body = send("GET", "/v2", "", "")
			if status != 200 || !jsonEqual(t, body, `{"day": "Thursday", "ua": "tutorial-client/1.0", "httpUA": "tutorial-client/1.0", "b64": false}`) {
				t.Errorf("v2 function saw %d %s", status, body)
			}

			png := "\x89PNG\r\n\x1a\n\x00\x01"
			status, body = send("POST", "/bin", "image/png", png)
			want := []byte(png)
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
			if status != 200 || body != string(want) {
				t.Errorf("binary round trip: %d %q, want 200 %q", status, body, want)
			}

			if status, _ = send("GET", "/text", "", ""); status != 502 {
				t.Errorf("text on a JSON endpoint: %d, want 502", status)
			}
			if !g.WaitForLog(`endpoints[3].backend[0]: `, 5*time.Second) || !strings.Contains(g.Logs(), "level=WARN msg=request") {
				t.Errorf("the access log does not say why endpoints[3].backend[0] failed, at WARN:\n%s", g.Logs())
			}
		})
	}
}

// TestAPIGatewayV1NamesNetHTTPKeepAlive: on the net/http engine over
// plain HTTP/1.1, a Node.js function written for API Gateway reads
// event.headers.day as each request of one keep-alive connection spelt it
// (one at a time, then pipelined), bodies that look like header blocks
// included; check and run do not call it partial.
func TestAPIGatewayV1NamesNetHTTPKeepAlive(t *testing.T) {
	t.Parallel()
	dir := writeFunctions(t, map[string]map[string]string{"v1node": apigwFunctions["v1node"]})
	g := startGateway(t, `{"version": 3, "timeout": "20s", "extra_config": {"lambdagate/server": {"engine": "net/http"}},
	  "endpoints": [{"endpoint": "/v1", "method": "POST", "input_headers": ["Day"], "output_encoding": "no-op",
	    "backend": [{"host": ["ignored"], "url_pattern": "/", "encoding": "no-op",
	      "extra_config": {"backend/lambda": {"function_name": "v1node", "payload_format": "apigateway_v1"}}}]}]}`, "--functions", dir)
	addr := strings.TrimPrefix(g.URL, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReader(c)
	request := func(day, body string) string {
		return fmt.Sprintf("POST /v1 HTTP/1.1\r\nhost: %s\r\n%s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s", addr, day, len(body), body)
	}
	read := func() map[string]any {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var v map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(b, &v) != nil {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return v
	}
	fake := "one\r\n\r\nday: fake\r\n\r\n"
	if _, err := io.WriteString(c, request("day: Thursday", fake)); err != nil {
		t.Fatal(err)
	}
	if v := read(); v["day"] != "Thursday" || v["body"] != fake {
		t.Errorf("first request: the function saw %v, want day Thursday and body %q", v, fake)
	}
	// Pipelined: a canonical "Day" (event.headers.day undefined, as API
	// Gateway shows it), then "day" again.
	if _, err := io.WriteString(c, request("Day: Friday", "two")+request("day: Saturday", "three")); err != nil {
		t.Fatal(err)
	}
	if v := read(); v["day"] != nil || v["body"] != "two" {
		t.Errorf("second request: the function saw %v, want day null (sent \"Day\") and body two", v)
	}
	if v := read(); v["day"] != "Saturday" || v["body"] != "three" {
		t.Errorf("third request: the function saw %v, want day Saturday and body three", v)
	}
	if strings.Contains(g.Logs(), "partial: apigateway_v1") {
		t.Errorf("the log calls header names partial on plain HTTP/1.1:\n%s", g.Logs())
	}
}
