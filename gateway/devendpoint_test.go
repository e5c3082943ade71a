package gateway

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// selfServed serves, on each engine, the gateway that cfg builds from the
// gateway's own base URL (so that its backends can be the gateway's
// /__debug/ and /__echo/, as in KrakenD's test file), and returns each
// engine's base URL.
func selfServed(t *testing.T, cfg func(base string) string) map[string]string {
	t.Helper()
	urls := map[string]string{}
	for _, engine := range []string{EngineNetHTTP, EngineFast} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		src := strings.Replace(cfg(base), `{"version": 3,`, `{"version": 3, "extra_config": {"lambdagate/server": {"engine": "`+engine+`"}},`, 1)
		g, _, err := New(parse(t, src), Options{Logger: quiet})
		if err != nil {
			ln.Close()
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- g.Serve(ctx, ln) }()
		t.Cleanup(func() {
			stop()
			select {
			case <-served:
			case <-time.After(5 * time.Second):
				t.Error("Serve did not return")
			}
		})
		urls[engine] = base
	}
	return urls
}

// TestDevEndpoints checks debug_endpoint and echo_endpoint on both
// engines: called directly, and used as backends, where /__echo/ shows
// exactly what a backend receives.
func TestDevEndpoints(t *testing.T) {
	t.Parallel()
	urls := selfServed(t, func(base string) string {
		return `{"version": 3, "debug_endpoint": true, "echo_endpoint": true, "host": ["` + base + `"], "endpoints": [
		  {"endpoint": "/debugged/{id}", "backend": [{"url_pattern": "/__debug/{id}"}]},
		  {"endpoint": "/echoed/{id}", "input_query_strings": ["a"], "backend": [{"url_pattern": "/__echo/x/{id}?b=2"}]}]}`
	})
	for engine, url := range urls {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			resp, body := call(t, "PATCH", url+"/__debug/any/path", nil)
			if resp.StatusCode != 200 || body != `{"message":"pong"}` || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("/__debug/: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			resp, _ = call(t, "GET", url+"/__echo?q=1", nil)
			if resp.StatusCode != 301 || resp.Header.Get("Location") != "/__echo/?q=1" {
				t.Errorf("/__echo: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body = call(t, "GET", url+"/debugged/7", nil)
			if resp.StatusCode != 200 || body != `{"message":"pong"}` {
				t.Errorf("/debugged/7: %d %q", resp.StatusCode, body)
			}
			resp, body = call(t, "GET", url+"/echoed/42?a=1&c=3", map[string]string{"Authorization": "Bearer x"})
			if resp.StatusCode != 200 {
				t.Fatalf("/echoed/42: %d %q", resp.StatusCode, body)
			}
			var got struct {
				URI     string              `json:"req_uri"`
				Details map[string]string   `json:"req_uri_details"`
				Method  string              `json:"req_method"`
				Query   map[string][]string `json:"req_querystring"`
				Body    string              `json:"req_body"`
				Headers map[string][]string `json:"req_headers"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			host := strings.TrimPrefix(url, "http://")
			if got.URI != "/__echo/x/42?a=1&b=2" && got.URI != "/__echo/x/42?b=2&a=1" || got.Method != "GET" ||
				got.Details["path"] != "/__echo/x/42" || got.Details["host"] != host || strings.Join(got.Query["a"], ",") != "1" || got.Query["c"] != nil {
				t.Errorf("echo: %s", body)
			}
			// What a backend receives by default: KrakenD's headers only.
			var names []string
			for k := range got.Headers {
				names = append(names, k)
			}
			slices.Sort(names)
			if strings.Join(names, ",") != "Accept-Encoding,User-Agent,X-Forwarded-For,X-Forwarded-Host" ||
				got.Headers["User-Agent"][0] != "lambdagate Version dev" {
				t.Errorf("echoed headers: %v", got.Headers)
			}
		})
	}
}

// TestDevEndpointsOff checks that without the flags the paths are the
// router's, as any other unknown path.
func TestDevEndpointsOff(t *testing.T) {
	t.Parallel()
	urls := engines(t, `{"version": 3, "endpoints": []}`)
	for engine, url := range urls {
		for _, p := range []string{"/__debug/", "/__echo/x"} {
			if resp, body := call(t, "GET", url+p, nil); resp.StatusCode != 404 || body != "404 page not found" {
				t.Errorf("%s %s: %d %q", engine, p, resp.StatusCode, body)
			}
		}
	}
}
