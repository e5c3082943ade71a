package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ceBackend is the backend of KrakenD CE's integration suite, rebuilt
// from its behaviour: /param_forwarding/ answers the path, query and
// headers it got (X-Forwarded-For checked to be a loopback address, then
// left out) and "foo": 42; /redirect/ redirects to /param_forwarding/ with
// the status its "status" query names; /delayed/ answers after 200ms.
func ceBackend(t *testing.T) *httptest.Server {
	t.Helper()
	forwarded := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ip := net.ParseIP(r.Header.Get("X-Forwarded-For")); ip == nil || !ip.IsLoopback() {
				http.Error(w, "invalid X-Forwarded-For", http.StatusBadRequest)
				return
			}
			next(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/param_forwarding/", forwarded(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Set-Cookie", "test1=test1")
		w.Header().Add("Set-Cookie", "test2=test2")
		r.Header.Del("X-Forwarded-For")
		out := map[string]any{"path": r.URL.Path, "query": r.URL.Query(), "headers": r.Header, "foo": 42}
		if r.URL.Query().Get("dump_body") == "1" {
			b, _ := io.ReadAll(r.Body)
			out["body"] = string(b)
		}
		json.NewEncoder(w).Encode(out)
	}))
	mux.HandleFunc("/delayed/", forwarded(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"late":true}`)
	}))
	mux.HandleFunc("/redirect/", forwarded(func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.URL.Query().Get("status"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		u := *r.URL
		u.Path = "/param_forwarding/"
		http.Redirect(w, r, u.String(), code)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// ceSpec is one of KrakenD CE's integration specs (tests/fixtures/specs),
// as facts: the request, and the status, headers ("" for absent) and
// exact body KrakenD answers, with lambdagate's User-Agent for KrakenD's.
type ceSpec struct {
	name, method, path string
	header             map[string]string
	status             int
	want               map[string]string
	body               string
	// in is the request's body; asJSON compares the body as JSON (the
	// specs that write theirs as an object).
	in     string
	asJSON bool
}

// TestKrakenDCEIntegrationSpecs runs the specs of KrakenD CE's own
// integration suite whose features this gateway serves, against a file
// holding the same endpoints as the suite's krakend.json (those endpoints
// only), with the suite's backend rebuilt.
func TestKrakenDCEIntegrationSpecs(t *testing.T) {
	t.Parallel()
	be := ceBackend(t)
	self, unused := freePort(t), freePort(t)
	cfg := loadConfig(t, "krakendce.json", map[string]string{"BACKEND": be.URL, "SELF_PORT": self, "UNUSED_PORT": unused})
	g := startGateway(t, cfg, "--port", self)
	_, out, _ := runCLI(t, "version")
	ua := "lambdagate Version " + strings.Fields(out)[1]

	const json200 = "application/json; charset=utf-8"
	ok := map[string]string{"Content-Type": json200, "Cache-Control": "public, max-age=3600", "X-Krakend-Completed": "true"}
	backendHost := strings.TrimPrefix(be.URL, "http://")
	specs := []ceSpec{
		{"router_404", "GET", "/unknown", nil, 404, map[string]string{"Content-Type": "text/plain", "Cache-Control": ""}, "404 page not found", "", false},
		{"router_405", "POST", "/crash", nil, 405, map[string]string{"Content-Type": "text/plain", "Cache-Control": "", "X-Krakend-Completed": "false"}, "405 method not allowed", "", false},
		{"param_forwarding_1", "GET", "/param_forwarding/some/foo/bar?a=1&b=2",
			map[string]string{"Authorization": "bearer 123456", "X-Y-Z": "true", "A-B-C": "ignore"}, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`, "", false},
		{"param_forwarding_2", "GET", "/param_forwarding/all/foo/bar?a=1&b=2",
			map[string]string{"Authorization": "bearer 123456", "X-Y-Z": "true", "A-B-C": "ignore", "User-Agent": "Go-http-client/1.1"}, 200, ok,
			`{"foo":42,"headers":{"A-B-C":["ignore"],"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["Go-http-client/1.1"],"X-Forwarded-Host":["localhost:8080"],"X-Forwarded-Via":["` + ua + `"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`, "", false},
		{"param_forwarding_3", "GET", "/param_forwarding/some/foo/bar?a=1&b=2",
			map[string]string{"autHoriZatiOn": "bearer 123456", "x-y-Z": "true", "a-b-c": "ignore"}, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`, "", false},
		{"query_forwarding_1", "GET", "/query_forwarding/all/foo?a=1&b=2", map[string]string{"X-Y-Z": "true"}, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/foo","query":{"a":["1"],"b":["2"]}}`, "", false},
		{"query_forwarding_2", "GET", "/query_forwarding/all/foo?a=1&b=2&b=3", nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/foo","query":{"a":["1"],"b":["2","3"]}}`, "", false},
		{"query_forwarding_3", "GET", "/query_forwarding/some/foo?a=1&b=2&b=3", nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/foo","query":{"a":["1"]}}`, "", false},
	}
	for _, code := range []string{"301", "302", "303", "307"} {
		specs = append(specs, ceSpec{"backend_" + code, "GET", "/redirect/" + code, nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Referer":["http://` + backendHost + `/redirect/?status=` + code + `"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/","query":{"status":["` + code + `"]}}`, "", false})
	}
	partial := map[string]string{"Content-Type": json200, "Cache-Control": "", "X-Krakend-Completed": "false"}
	specs = append(specs,
		ceSpec{name: "param_forwarding_4", method: "POST", path: "/param_forwarding/some/foo/bar?a=1&b=2",
			header: map[string]string{"autHoriZatiOn": "bearer 123456", "x-y-Z": "true", "a-b-c": "ignore"}, status: 200, want: ok,
			in: `{"foo":"bar"}`, asJSON: true,
			body: `{"body":"{\"foo\":\"bar\"}","foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"dump_body":["1"],"foo":["foo"]}}`},
		ceSpec{name: "sequential_1", method: "GET", path: "/sequential/ok/foobar", status: 200, want: ok,
			body: `{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/42","query":{}}`},
		ceSpec{name: "timeout", method: "GET", path: "/timeout", status: 200, want: partial,
			body: `{"first":{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/123","query":{}}}`},
		// The stored spec's body is KrakenD 0.7's (the shadow's path, an
		// old User-Agent, no X-Forwarded-Host): Lura drops a shadow's
		// answer, so the client gets the regular backend's.
		ceSpec{name: "shadow", method: "GET", path: "/shadow", status: 200, want: ok,
			body: `{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/","query":{}}`},
		ceSpec{name: "detail_error", method: "GET", path: "/detail_error", status: 200, want: partial, asJSON: true,
			body: `{"error_backend_b":{"http_status_code":404,"http_body_encoding":"text/plain; charset=utf-8","http_body":"404 page not found\n"},"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/","query":{}}`},
	)
	// Beyond the suite's specs, the same file's other features lambdagate
	// serves: its "/" endpoint, whose backend is the gateway's own
	// /__debug/, an /__echo/ backend, and a martian modifier.
	specs = append(specs,
		ceSpec{"debug endpoint as a backend", "GET", "/", nil, 200, ok, `{"message":"pong"}`, "", false},
		ceSpec{"martian basic auth", "GET", "/martian/basic-auth", nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["Basic a3Jha2VuZDpwYXNzd29yZA=="],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/auth","query":{}}`, "", false},
	)
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			header := map[string]string{"Host": "localhost:8080"}
			for k, v := range s.header {
				header[k] = v
			}
			r := do(t, s.method, g.URL+s.path, s.in, header)
			if r.Status != s.status {
				t.Errorf("status %d, want %d", r.Status, s.status)
			}
			for k, v := range s.want {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if s.asJSON {
				if !jsonEqual(t, r.Body, s.body) {
					t.Errorf("body\n%s\nwant (as JSON)\n%s", r.Body, s.body)
				}
				return
			}
			if r.Body != s.body {
				t.Errorf("body\n%s\nwant\n%s", r.Body, s.body)
			}
		})
	}
	// The echo backend shows what a backend receives: KrakenD's headers.
	r := do(t, "GET", g.URL+"/echo/9", "", map[string]string{"Host": "localhost:8080", "X-Secret": "s"})
	var echoed struct {
		Headers map[string][]string `json:"req_headers"`
		Path    string              `json:"req_uri"`
	}
	if err := json.Unmarshal([]byte(r.Body), &echoed); err != nil || echoed.Path != "/__echo/9" ||
		len(echoed.Headers) != 4 || echoed.Headers["X-Secret"] != nil || echoed.Headers["User-Agent"][0] != ua {
		t.Errorf("echo: %d %s (%v)", r.Status, r.Body, err)
	}
}

// TestEchoExample runs examples/echo as its $comment says: the
// gateway's own /__echo/ as the backend, martian modifiers adding
// credentials, a query string and a header, router options answering.
func TestEchoExample(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	cfg := loadConfig(t, filepath.Join("..", "..", "examples", "echo", "krakend.json"), map[string]string{"127.0.0.1:8080": "127.0.0.1:" + port})
	g := startGateway(t, cfg, "--port", port)
	var echoed struct {
		URI     string              `json:"req_uri"`
		Headers map[string][]string `json:"req_headers"`
	}
	r := do(t, "GET", g.URL+"/basic-auth", "", nil)
	if err := json.Unmarshal([]byte(r.Body), &echoed); err != nil || r.Status != 200 ||
		strings.Join(echoed.Headers["Authorization"], ",") != "Basic a3Jha2VuZDpwYXNzd29yZA==" {
		t.Errorf("/basic-auth: %d %s (%v)", r.Status, r.Body, err)
	}
	r = do(t, "GET", g.URL+"//keyed/7?page=2&other=x", "", nil)
	echoed.Headers = nil
	if err := json.Unmarshal([]byte(r.Body), &echoed); err != nil || r.Status != 200 ||
		echoed.URI != "/__echo/items/7?api_key=k1&page=2" || strings.Join(echoed.Headers["X-Tenant"], ",") != "demo" {
		t.Errorf("//keyed/7: %d %s (%v)", r.Status, r.Body, err)
	}
	if r := do(t, "OPTIONS", g.URL+"/keyed/7", "", nil); r.Status != 200 || r.Header.Get("Allow") != "GET" {
		t.Errorf("OPTIONS: %d, Allow %q", r.Status, r.Header.Get("Allow"))
	}
	if r := do(t, "GET", g.URL+"/nowhere", "", nil); r.Status != 404 || r.Body != `{"msg":"Unknown endpoint","status":404}` {
		t.Errorf("404: %d %s", r.Status, r.Body)
	}
	do(t, "GET", g.URL+"/quiet", "", nil)
	if g.WaitForLog("path=/quiet", 300*time.Millisecond) {
		t.Errorf("/quiet was logged:\n%s", g.Logs())
	}
	if !strings.Contains(g.Logs(), "path=/basic-auth") {
		t.Errorf("no access log for /basic-auth:\n%s", g.Logs())
	}
}
