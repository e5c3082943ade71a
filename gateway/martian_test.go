package gateway

import (
	"strings"
	"testing"
)

// TestMartianModifiers serves KrakenD's 7.backends-with-basic-auth facts
// (a header.Modifier that adds the backend's Basic credentials) and a
// response-scope modifier on a no-op endpoint, on both engines: the
// backend gets its Authorization header only where the modifier is, and
// the client the response the modifier changed.
func TestMartianModifiers(t *testing.T) {
	t.Parallel()
	var rec headerRecorder
	be := rec.start(t)
	urls := engines(t, `{"version": 3, "host": ["`+be+`"], "endpoints": [
	  {"endpoint": "/test-basic-auth-ko", "backend": [{"url_pattern": "/protected-response.json"}]},
	  {"endpoint": "/test-basic-auth-ok", "backend": [{"url_pattern": "/protected-response.json",
	    "extra_config": {"modifier/martian": {"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}}}}]},
	  {"endpoint": "/raw", "output_encoding": "no-op", "backend": [{"url_pattern": "/raw", "encoding": "no-op",
	    "extra_config": {"modifier/martian": {"fifo.Group": {"scope": ["request", "response"], "modifiers": [
	      {"querystring.Modifier": {"scope": ["request"], "name": "api_key", "value": "k1"}},
	      {"header.Modifier": {"scope": ["response"], "name": "X-Modified", "value": "yes"}}]}}}}]}]}`)
	for engine, url := range urls {
		resp, _ := call(t, "GET", url+"/test-basic-auth-ok", nil)
		if got := rec.get().Get("Authorization"); resp.StatusCode != 200 || got != "Basic a3Jha2VuZDpwYXNzd29yZA==" {
			t.Errorf("%s: ok: status %d, backend got Authorization %q", engine, resp.StatusCode, got)
		}
		call(t, "GET", url+"/test-basic-auth-ko", nil)
		if got := rec.get().Get("Authorization"); got != "" {
			t.Errorf("%s: ko: backend got Authorization %q", engine, got)
		}
		resp, body := call(t, "GET", url+"/raw", nil)
		if resp.Header.Get("X-Modified") != "yes" || body != "{}" {
			t.Errorf("%s: raw: X-Modified %q, body %q", engine, resp.Header.Get("X-Modified"), body)
		}
	}
}

// TestMartianRefused checks the start-up errors: an unsupported modifier
// by name and path, and modifiers on a Lambda backend, which has no HTTP
// request to change.
func TestMartianRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, backend, want string }{
		{"unsupported", `{"host": ["http://127.0.0.1:1"], "url_pattern": "/", "extra_config": {"modifier/martian": {"status.Verifier": {"scope": ["response"], "statusCode": 200}}}}`,
			`endpoints[0].backend[0].extra_config["modifier/martian"]["status.Verifier"]: modifier "status.Verifier" is not supported by lambdagate`},
		{"on a Lambda backend", `{"host": ["x"], "url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "f", "endpoint": "http://127.0.0.1:1"},
		  "modifier/martian": {"header.Modifier": {"scope": ["request"], "name": "A", "value": "b"}}}}`,
			`endpoints[0].backend[0].extra_config["modifier/martian"]: lambdagate reads "modifier/martian" on HTTP backends only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := parse(t, `{"version": 3, "endpoints": [{"endpoint": "/a", "backend": [`+tt.backend+`]}]}`)
			_, _, err := New(c, Options{Logger: quiet})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant %s", err, tt.want)
			}
		})
	}
}
