package e2e

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testBackend is the HTTP service the core tests put behind the gateway.
func testBackend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	mux.HandleFunc("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		writeJSON(w, 200, fmt.Sprintf(`{"id":%q,"name":"user%s","score":1.50,"big":12345678901234567890,"address":{"city":"Lisbon","zip":"Z%s"},"tags":["a","b"]}`, id, id, id))
	})
	mux.HandleFunc("/orders/{zip}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fmt.Sprintf(`{"zip":%q,"kind":%q}`, r.PathValue("zip"), r.URL.Query().Get("kind")))
	})
	mux.HandleFunc("/slow-a", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		writeJSON(w, 200, `{"who":"a","only_a":true}`)
	})
	mux.HandleFunc("/fast-b", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"who":"b","only_b":true}`)
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
		writeJSON(w, 200, `{"late":true}`)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(404)
		io.WriteString(w, "no such thing")
	})
	echo := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out := map[string]any{
			"method":  r.Method,
			"path":    r.URL.Path,
			"query":   r.URL.Query(),
			"headers": r.Header,
			"body":    string(body),
			"host":    r.Host,
		}
		b, _ := json.Marshal(out)
		writeJSON(w, 200, string(b))
	}
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/echo/{id}", echo)
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"id":1},{"id":2}]`)
	})
	mux.HandleFunc("/number", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `42.0`)
	})
	mux.HandleFunc("/numbers", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"f":1.10,"e":1e400,"i":9007199254740993}`)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "plain words")
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-tea")
		w.Header().Set("X-Brew", "oolong")
		w.WriteHeader(418)
		io.WriteString(w, "short and stout")
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, `{"zipped":"yes"}`)
		zw.Close()
	})
	mux.HandleFunc("/created", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, `{"created":true}`)
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fmt.Sprintf(`{"server":%q}`, name))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestCoreBehaviour drives one gateway on testdata/core.json through every
// core behaviour: shaping, merging, partial responses, timeouts, sequential
// calls, forwarded headers and query strings, encodings and error options.
func TestCoreBehaviour(t *testing.T) {
	a := testBackend(t, "first")
	b := testBackend(t, "second")
	gw := startGateway(t, loadConfig(t, "core.json", map[string]string{"BACKEND": a.URL, "SECOND": b.URL}))

	type check func(t *testing.T, r reply)
	body := func(want string) check {
		return func(t *testing.T, r reply) {
			t.Helper()
			if !jsonEqual(t, r.Body, want) {
				t.Errorf("body = %s\nwant %s", r.Body, want)
			}
		}
	}
	exact := func(want string) check {
		return func(t *testing.T, r reply) {
			t.Helper()
			if r.Body != want {
				t.Errorf("body = %q, want %q", r.Body, want)
			}
		}
	}
	header := func(name, want string) check {
		return func(t *testing.T, r reply) {
			t.Helper()
			if got := r.Header.Get(name); got != want {
				t.Errorf("header %s = %q, want %q", name, got, want)
			}
		}
	}
	echoed := func(f func(t *testing.T, e echo)) check {
		return func(t *testing.T, r reply) {
			t.Helper()
			var e echo
			if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
				t.Fatalf("echo body: %v: %s", err, r.Body)
			}
			f(t, e)
		}
	}
	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		headers map[string]string
		status  int
		checks  []check
	}{
		{name: "allow nested, mapping", path: "/users/3", status: 200, checks: []check{
			body(`{"id":"3","full_name":"user3","address":{"city":"Lisbon"}}`),
			header("X-Krakend-Completed", "true"), header("Content-Type", "application/json; charset=utf-8"),
		}},
		{name: "target, group and deny merged", path: "/grouped/4", status: 200, checks: []check{
			body(`{"where":{"city":"Lisbon","zip":"Z4"},"id":"4","name":"user4","score":1.50,"big":12345678901234567890}`),
		}},
		{name: "later backend wins a clash whatever answers first", path: "/clash", status: 200, checks: []check{
			body(`{"who":"b","only_a":true,"only_b":true}`), header("X-Krakend-Completed", "true"),
		}},
		{name: "a failed backend leaves a partial response", path: "/partial", status: 200, checks: []check{
			header("X-Krakend-Completed", "false"),
			func(t *testing.T, r reply) {
				if !strings.Contains(r.Body, `"id":"7"`) {
					t.Errorf("partial body lacks the working backend: %s", r.Body)
				}
			},
		}},
		{name: "timeout leaves a partial response", path: "/timeout-partial", status: 200, checks: []check{
			header("X-Krakend-Completed", "false"),
			func(t *testing.T, r reply) {
				if !strings.Contains(r.Body, `"fast"`) || strings.Contains(r.Body, `"slow"`) {
					t.Errorf("body = %s, want only the fast group", r.Body)
				}
			},
		}},
		{name: "timeout of the only backend is 500, empty body", path: "/timeout-all", status: 500, checks: []check{
			exact(""), header("X-Krakend-Completed", "false"),
		}},
		{name: "failed only backend is 500 with an empty body", path: "/fail", status: 500, checks: []check{exact("")}},
		{name: "sequential uses the first response", path: "/seq/5", status: 200, checks: []check{
			func(t *testing.T, r reply) {
				if !strings.Contains(r.Body, `"orders":{"kind":"user5","zip":"Z5"}`) {
					t.Errorf("sequential body = %s", r.Body)
				}
			},
			header("X-Krakend-Completed", "true"),
		}},
		{name: "only Content-Type by default; forwarding headers set", path: "/headers/default",
			headers: map[string]string{"X-Custom": "1", "Content-Type": "text/x-test", "User-Agent": "curl/1", "Host": "gw.example"},
			status:  200, checks: []check{echoed(func(t *testing.T, e echo) {
				if e.Headers.Get("X-Custom") != "" {
					t.Errorf("X-Custom forwarded without input_headers")
				}
				if got := e.Headers.Get("Content-Type"); got != "text/x-test" {
					t.Errorf("Content-Type = %q, want it forwarded by default", got)
				}
				if got := e.Headers.Get("User-Agent"); !strings.HasPrefix(got, "lambdagate Version ") {
					t.Errorf("User-Agent = %q, want the gateway's", got)
				}
				if got := e.Headers.Get("X-Forwarded-For"); got != "127.0.0.1" {
					t.Errorf("X-Forwarded-For = %q", got)
				}
				if got := e.Headers.Get("X-Forwarded-Host"); got != "gw.example" {
					t.Errorf("X-Forwarded-Host = %q", got)
				}
			})}},
		{name: "input_headers list replaces the default", path: "/headers/listed",
			headers: map[string]string{"X-Custom": "yes", "Content-Type": "text/x-test", "User-Agent": "curl/1", "X-Other": "no"},
			status:  200, checks: []check{echoed(func(t *testing.T, e echo) {
				if got := e.Headers.Get("X-Custom"); got != "yes" {
					t.Errorf("X-Custom = %q", got)
				}
				if e.Headers.Get("Content-Type") != "" || e.Headers.Get("X-Other") != "" {
					t.Errorf("unlisted headers forwarded: %v", e.Headers)
				}
				if got := e.Headers.Get("User-Agent"); got != "curl/1" {
					t.Errorf("User-Agent = %q, want the client's", got)
				}
				if got := e.Headers.Get("X-Forwarded-Via"); !strings.HasPrefix(got, "lambdagate Version ") {
					t.Errorf("X-Forwarded-Via = %q", got)
				}
			})}},
		{name: "input_headers * forwards all", path: "/headers/all",
			headers: map[string]string{"X-Other": "1", "Authorization": "Bearer t"},
			status:  200, checks: []check{echoed(func(t *testing.T, e echo) {
				if e.Headers.Get("X-Other") != "1" || e.Headers.Get("Authorization") != "Bearer t" {
					t.Errorf("headers = %v", e.Headers)
				}
			})}},
		{name: "input_query_strings exact names, repeated values, url_pattern query", path: "/query/9?a=1&b=2&multi=x&multi=y", status: 200,
			checks: []check{echoed(func(t *testing.T, e echo) {
				want := map[string][]string{"a": {"1"}, "multi": {"x", "y"}, "fixed": {"1"}}
				if fmt.Sprint(e.Query) != fmt.Sprint(want) {
					t.Errorf("query = %v, want %v", e.Query, want)
				}
				if e.Path != "/echo/9" {
					t.Errorf("path = %q", e.Path)
				}
			})}},
		{name: "no query strings unless listed", path: "/headers/default?a=1", status: 200,
			checks: []check{echoed(func(t *testing.T, e echo) {
				if len(e.Query) != 0 {
					t.Errorf("query forwarded: %v", e.Query)
				}
			})}},
		{name: "input_query_strings *", path: "/query-all?z=26&y=25", status: 200,
			checks: []check{echoed(func(t *testing.T, e echo) {
				if fmt.Sprint(e.Query) != "map[y:[25] z:[26]]" {
					t.Errorf("query = %v", e.Query)
				}
			})}},
		{name: "body forwarded with the backend's method", method: "POST", path: "/post", body: `{"x":1}`, status: 200,
			headers: map[string]string{"Content-Type": "application/json"},
			checks: []check{echoed(func(t *testing.T, e echo) {
				if e.Method != "PUT" || e.Body != `{"x":1}` {
					t.Errorf("method %q body %q", e.Method, e.Body)
				}
			})}},
		{name: "is_collection", path: "/collection", status: 200, checks: []check{body(`{"collection":[{"id":1},{"id":2}]}`)}},
		{name: "json-collection output", path: "/collection-out", status: 200, checks: []check{body(`[{"id":1},{"id":2}]`)}},
		{name: "safejson array", path: "/safejson-array", status: 200, checks: []check{body(`{"collection":[{"id":1},{"id":2}]}`)}},
		{name: "safejson scalar keeps the number as written", path: "/safejson-scalar", status: 200, checks: []check{exact(`{"content":42.0}`)}},
		{name: "string encoding", path: "/string", status: 200, checks: []check{body(`{"content":"plain words"}`)}},
		{name: "string output", path: "/string-out", status: 200, checks: []check{exact("plain words"), header("Content-Type", "text/plain; charset=utf-8")}},
		{name: "no-op passes status, headers and body", path: "/noop", status: 418, checks: []check{
			exact("short and stout"), header("X-Brew", "oolong"), header("Content-Type", "text/x-tea"),
		}},
		{name: "gzip decoded", path: "/gzip", status: 200, checks: []check{body(`{"zipped":"yes"}`)}},
		{name: "numbers kept exactly; a single unshaped backend passes through as written", path: "/numbers", status: 200, checks: []check{exact(`{"f":1.10,"e":1e400,"i":9007199254740993}`)}},
		{name: "cache_ttl on a complete response", path: "/cached", status: 200, checks: []check{header("Cache-Control", "public, max-age=300")}},
		{name: "no Cache-Control on a partial response", path: "/cached-partial", status: 200, checks: []check{
			header("Cache-Control", ""), header("X-Krakend-Completed", "false"),
		}},
		{name: "201 from the only backend", method: "POST", path: "/created", status: 201, checks: []check{body(`{"created":true}`)}},
		{name: "return_error_code relays status and body", path: "/relay", status: 404, checks: []check{
			exact("no such thing"), header("Content-Type", "text/plain"),
		}},
		{name: "return_error_details", path: "/details", status: 200, checks: []check{
			header("X-Krakend-Completed", "false"),
			func(t *testing.T, r reply) {
				var m map[string]any
				json.Unmarshal([]byte(r.Body), &m)
				d, _ := m["error_broken"].(map[string]any)
				if d["http_status_code"] != 404.0 || d["http_body"] != "no such thing" || d["http_body_encoding"] != "text/plain" || m["id"] != "2" {
					t.Errorf("body = %s", r.Body)
				}
			},
		}},
		{name: "unknown path", path: "/nowhere", status: 404, checks: []check{exact("404 page not found"), header("Content-Type", "text/plain"), header("X-Krakend-Completed", "false")}},
		{name: "wrong method", method: "DELETE", path: "/users/1", status: 405, checks: []check{header("Allow", "GET"), exact("405 method not allowed"), header("Content-Type", "text/plain"), header("X-Krakend-Completed", "false")}},
		{name: "letter case redirect", path: "/USERS/1?x=1", status: 301, checks: []check{header("Location", "/users/1?x=1")}},
		{name: "trailing slash redirect", path: "/clash/", status: 301, checks: []check{header("Location", "/clash")}},
		{name: "non-GET redirect keeps the method", method: "POST", path: "/post/", status: 307, checks: []check{header("Location", "/post")}},
		{name: "encoded path param", path: "/users/a%2Fb", status: 400},
		{name: "encoded ? in path param", path: "/users/a%3Fb", status: 400},
		{name: "health", path: "/__health", status: 200, checks: []check{func(t *testing.T, r reply) {
			var h struct {
				Status string         `json:"status"`
				Agents map[string]any `json:"agents"`
				Now    string         `json:"now"`
			}
			if err := json.Unmarshal([]byte(r.Body), &h); err != nil || h.Status != "ok" || h.Agents == nil {
				t.Errorf("health = %s", r.Body)
			}
			if _, err := time.Parse(time.RFC3339, h.Now); err != nil {
				t.Errorf("now = %q: %v", h.Now, err)
			}
		}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			method := c.method
			if method == "" {
				method = "GET"
			}
			r := do(t, method, gw.URL+c.path, c.body, c.headers)
			if r.Status != c.status {
				t.Fatalf("status = %d, want %d; body %q", r.Status, c.status, r.Body)
			}
			for _, ch := range c.checks {
				ch(t, r)
			}
		})
	}
	t.Run("round robin over hosts", func(t *testing.T) {
		t.Parallel()
		seen := map[string]int{}
		for i := 0; i < 4; i++ {
			r := do(t, "GET", gw.URL+"/roundrobin", "", nil)
			seen[r.Body]++
		}
		if seen[`{"server":"first"}`] != 2 || seen[`{"server":"second"}`] != 2 {
			t.Errorf("round robin answers = %v, want 2 each", seen)
		}
	})
}

// echo is what the test backend's /echo answers.
type echo struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   map[string][]string `json:"query"`
	Headers http.Header         `json:"headers"`
	Body    string              `json:"body"`
	Host    string              `json:"host"`
}
