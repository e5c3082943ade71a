package gateway

import (
	"strings"
	"testing"
)

// TestRouterOptionsServed checks router options KrakenD files use, on both
// engines: auto_options, remove_extra_slash, disable_path_decoding and
// error_body.
func TestRouterOptionsServed(t *testing.T) {
	t.Parallel()
	var rec headerRecorder
	be := rec.start(t)
	urls := engines(t, `{"version": 3, "host": ["`+be+`"],
	  "extra_config": {"router": {"auto_options": true, "remove_extra_slash": true, "disable_path_decoding": true,
	    "error_body": {"404": {"msg": "Unknown endpoint", "status": 404}, "405": {"msg": "nope"}}}},
	  "endpoints": [
	    {"endpoint": "/users/{id}", "backend": [{"url_pattern": "/u/{id}"}]},
	    {"endpoint": "/users/{id}", "method": "POST", "backend": [{"url_pattern": "/u/{id}"}]}]}`)
	for engine, url := range urls {
		t.Run(engine, func(t *testing.T) {
			resp, body := call(t, "OPTIONS", url+"/users/7", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Allow") != "GET, POST" || body != "" {
				t.Errorf("OPTIONS: %d, Allow %q, body %q", resp.StatusCode, resp.Header.Get("Allow"), body)
			}
			resp, _ = call(t, "GET", url+"/users//7", nil)
			if resp.StatusCode != 200 {
				t.Errorf("GET /users//7: %d", resp.StatusCode)
			}
			resp, _ = call(t, "GET", url+"/users/caf%C3%A9", nil)
			if resp.StatusCode != 200 {
				t.Errorf("GET /users/caf%%C3%%A9: %d", resp.StatusCode)
			}
			resp, body = call(t, "GET", url+"/nowhere", nil)
			if resp.StatusCode != 404 || body != `{"msg":"Unknown endpoint","status":404}` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("404: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			resp, body = call(t, "DELETE", url+"/users/7", nil)
			if resp.StatusCode != 405 || body != `{"msg":"nope"}` || resp.Header.Get("Allow") != "GET, OPTIONS, POST" {
				t.Errorf("405: %d, Allow %q, %q", resp.StatusCode, resp.Header.Get("Allow"), body)
			}
		})
	}
}

// TestRouterOptionsErrors checks the errors of error_body and
// logger_skip_paths, with their paths.
func TestRouterOptionsErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ router, want string }{
		{`{"error_body": {"500": {}}}`, `extra_config.router.error_body.500: is not a status the router answers`},
		{`{"logger_skip_paths": ["health"]}`, `extra_config.router.logger_skip_paths[0]: "health" must be a path starting with /`},
	} {
		c := parse(t, `{"version": 3, "extra_config": {"router": `+tt.router+`}, "endpoints": []}`)
		_, _, err := New(c, Options{Logger: quiet})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error = %v, want %s", err, tt.want)
		}
	}
}
