package martian

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const path = `endpoints[0].backend[0].extra_config["modifier/martian"]`

func mustParse(t *testing.T, src string) *Modifiers {
	t.Helper()
	m, err := FromJSON(path, json.RawMessage(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRequestModifiers applies each supported request modifier, as real
// KrakenD files write them, to a backend request and checks the result.
func TestRequestModifiers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, r *http.Request)
	}{
		{"header.Modifier: basic auth (KrakenD's 7.backends-with-basic-auth)",
			`{"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "Basic a3Jha2VuZDpwYXNzd29yZA==" {
					t.Errorf("Authorization = %q", got)
				}
			}},
		{"header.Modifier replaces", `{"header.Modifier": {"scope": ["request"], "name": "X-Kept", "value": "new"}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Values("X-Kept"); len(got) != 1 || got[0] != "new" {
					t.Errorf("X-Kept = %q", got)
				}
			}},
		{"header.Append adds a value", `{"header.Append": {"scope": ["request"], "name": "X-Kept", "value": "more"}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Values("X-Kept"); strings.Join(got, ",") != "old,more" {
					t.Errorf("X-Kept = %q", got)
				}
			}},
		{"header.Blacklist removes", `{"header.Blacklist": {"scope": ["request"], "names": ["X-Kept", "Cookie"]}}`,
			func(t *testing.T, r *http.Request) {
				if r.Header.Get("X-Kept") != "" || r.Header.Get("Cookie") != "" {
					t.Errorf("headers = %v", r.Header)
				}
			}},
		{"header.Copy", `{"header.Copy": {"scope": ["request"], "from": "X-Kept", "to": "X-Copy"}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("X-Copy"); got != "old" {
					t.Errorf("X-Copy = %q", got)
				}
			}},
		{"querystring.Modifier", `{"querystring.Modifier": {"scope": ["request"], "name": "api_key", "value": "k1"}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.URL.Query(); got.Get("api_key") != "k1" || got.Get("a") != "1" {
					t.Errorf("query = %v", got)
				}
			}},
		{"body.Modifier", `{"body.Modifier": {"scope": ["request"], "contentType": "application/json", "body": "eyJtc2ciOiJoaSJ9"}}`,
			func(t *testing.T, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if string(b) != `{"msg":"hi"}` || r.Header.Get("Content-Type") != "application/json" || r.ContentLength != 12 {
					t.Errorf("body %q, type %q, length %d", b, r.Header.Get("Content-Type"), r.ContentLength)
				}
			}},
		{"url.Modifier", `{"url.Modifier": {"scope": ["request"], "scheme": "https", "host": "other.example", "path": "/v2/x", "query": "q=1"}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.URL.String(); got != "https://other.example/v2/x?q=1" {
					t.Errorf("URL = %s", got)
				}
			}},
		{"cookie.Modifier", `{"cookie.Modifier": {"scope": ["request"], "name": "session", "value": "s1"}}`,
			func(t *testing.T, r *http.Request) {
				if c, err := r.Cookie("session"); err != nil || c.Value != "s1" {
					t.Errorf("cookie = %v, %v", c, err)
				}
			}},
		{"fifo.Group in order", `{"fifo.Group": {"scope": ["request"], "modifiers": [
			{"header.Modifier": {"scope": ["request"], "name": "X-A", "value": "1"}},
			{"header.Copy": {"scope": ["request"], "from": "X-A", "to": "X-B"}}]}}`,
			func(t *testing.T, r *http.Request) {
				if r.Header.Get("X-A") != "1" || r.Header.Get("X-B") != "1" {
					t.Errorf("headers = %v", r.Header)
				}
			}},
		{"priority.Group, highest first", `{"priority.Group": {"scope": ["request"], "modifiers": [
			{"priority": 1, "modifier": {"header.Modifier": {"scope": ["request"], "name": "X-P", "value": "low"}}},
			{"priority": 10, "modifier": {"header.Modifier": {"scope": ["request"], "name": "X-P", "value": "high"}}}]}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("X-P"); got != "low" {
					t.Errorf("X-P = %q, want the lower priority's, run last", got)
				}
			}},
		{"header.Filter runs its modifier on a match", `{"header.Filter": {"scope": ["request"], "name": "X-Kept", "value": "old",
			"modifier": {"header.Modifier": {"scope": ["request"], "name": "X-Matched", "value": "yes"}},
			"else": {"header.Modifier": {"scope": ["request"], "name": "X-Matched", "value": "no"}}}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("X-Matched"); got != "yes" {
					t.Errorf("X-Matched = %q", got)
				}
			}},
		{"querystring.Filter runs else", `{"querystring.Filter": {"scope": ["request"], "name": "a", "value": "2",
			"modifier": {"header.Modifier": {"scope": ["request"], "name": "X-Matched", "value": "yes"}},
			"else": {"header.Modifier": {"scope": ["request"], "name": "X-Matched", "value": "no"}}}}`,
			func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("X-Matched"); got != "no" {
					t.Errorf("X-Matched = %q", got)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, tt.src)
			if !m.HasRequest() {
				t.Fatal("no request modifier")
			}
			r := httptest.NewRequest("GET", "http://backend.example/x?a=1", nil)
			r.Header.Set("X-Kept", "old")
			r.Header.Set("Cookie", "c=1")
			if err := m.Request(r); err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

// TestResponseModifiers applies response-scope modifiers to a backend's
// response, and checks that request-only ones leave it alone.
func TestResponseModifiers(t *testing.T) {
	t.Parallel()
	resp := func() *http.Response {
		return &http.Response{StatusCode: 200, Header: http.Header{"X-Backend": {"b"}, "Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"a":1}`)), Request: httptest.NewRequest("GET", "http://backend.example/x", nil)}
	}
	m := mustParse(t, `{"fifo.Group": {"scope": ["request", "response"], "modifiers": [
		{"header.Modifier": {"scope": ["response"], "name": "X-Added", "value": "1"}},
		{"header.Blacklist": {"scope": ["response"], "names": ["X-Backend"]}},
		{"body.Modifier": {"scope": ["response"], "contentType": "application/json", "body": "eyJiIjoyfQ=="}}]}}`)
	r := resp()
	if err := m.Response(r); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	if r.Header.Get("X-Added") != "1" || r.Header.Get("X-Backend") != "" || string(b) != `{"b":2}` {
		t.Errorf("headers %v, body %s", r.Header, b)
	}

	req := mustParse(t, `{"header.Modifier": {"scope": ["request"], "name": "X-Added", "value": "1"}}`)
	if req.HasResponse() {
		t.Error("a request-scope modifier changes responses")
	}
	r = resp()
	if err := req.Response(r); err != nil || r.Header.Get("X-Added") != "" {
		t.Errorf("response changed: %v, %v", r.Header, err)
	}
}

// TestRefused checks the errors of modifiers lambdagate does not accept:
// the name and JSON path of the part at fault.
func TestRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"a verifier", `{"header.Verifier": {"scope": ["request"], "name": "X", "value": "y"}}`,
			path + `["header.Verifier"]: modifier "header.Verifier" is not supported by lambdagate; use one of body.Modifier,`},
		{"nested in a fifo.Group", `{"fifo.Group": {"scope": ["request"], "modifiers": [
			{"header.Modifier": {"scope": ["request"], "name": "X", "value": "y"}},
			{"status.Modifier": {"scope": ["response"], "statusCode": 201}}]}}`,
			path + `["fifo.Group"].modifiers[1]["status.Modifier"]: modifier "status.Modifier" is not supported`},
		{"nested in a priority.Group", `{"priority.Group": {"scope": ["request"], "modifiers": [
			{"priority": 1, "modifier": {"skip.RoundTrip": {"scope": ["request"]}}}]}}`,
			path + `["priority.Group"].modifiers[0].modifier["skip.RoundTrip"]: modifier "skip.RoundTrip" is not supported`},
		{"in a filter's else", `{"header.Filter": {"scope": ["request"], "name": "X",
			"modifier": {"header.Modifier": {"scope": ["request"], "name": "X", "value": "y"}},
			"else": {"header.Id": {"scope": ["request"]}}}}`,
			path + `["header.Filter"].else["header.Id"]: modifier "header.Id" is not supported`},
		{"two at the top", `{"header.Modifier": {}, "url.Modifier": {}}`,
			path + `: names 2 modifiers (header.Modifier, url.Modifier): name exactly one`},
		{"not an object", `[]`, path + `: must be an object naming one modifier`},
		{"martian's own error: a bad scope", `{"header.Modifier": {"scope": ["sideways"], "name": "X", "value": "y"}}`,
			path + `: invalid scope`},
		{"no scope that applies", `{"fifo.Group": {"scope": ["request"], "modifiers": []}, "x": 1}`,
			path + `: names 2 modifiers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := FromJSON(path, json.RawMessage(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant the prefix %s", err, tt.want)
			}
		})
	}
}

// FuzzFromJSON feeds random modifier trees to the parser: it must never
// panic, and what it accepts must apply to a request without panicking.
func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{
		`{"header.Modifier": {"scope": ["request"], "name": "A", "value": "b"}}`,
		`{"fifo.Group": {"scope": ["request", "response"], "modifiers": [{"header.Blacklist": {"scope": ["response"], "names": ["X"]}}]}}`,
		`{"priority.Group": {"scope": ["request"], "modifiers": [{"priority": 1, "modifier": {"url.Modifier": {"scope": ["request"], "host": "h"}}}]}}`,
		`{"header.Filter": {"scope": ["request"], "name": "X", "modifier": {"cookie.Modifier": {"scope": ["request"], "name": "c", "value": "v"}}}}`,
		`{"body.Modifier": {"scope": ["request"], "contentType": "text/plain", "body": "aGk="}}`,
		`{}`, `null`, `{"a": 1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		m, err := FromJSON(path, json.RawMessage(src))
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "http://backend.example/x?a=1", nil)
		_ = m.Request(r)
		_ = m.Response(&http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r})
	})
}

// BenchmarkModifiers measures the modifiers alone on one backend request:
// a header (KrakenD's basic-auth example), and a group adding a header and
// a query string.
func BenchmarkModifiers(b *testing.B) {
	for _, bc := range []struct{ name, src string }{
		{"header", `{"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}}`},
		{"group", `{"fifo.Group": {"scope": ["request"], "modifiers": [
			{"header.Modifier": {"scope": ["request"], "name": "Authorization", "value": "Basic a3Jha2VuZDpwYXNzd29yZA=="}},
			{"querystring.Modifier": {"scope": ["request"], "name": "api_key", "value": "k1"}}]}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := FromJSON(path, json.RawMessage(bc.src))
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("GET", "http://backend.example/x?a=1", nil)
			b.ReportAllocs()
			for b.Loop() {
				r.URL.RawQuery = "a=1"
				if err := m.Request(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
