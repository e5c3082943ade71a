package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// ceBackend is the backend of KrakenD CE's integration suite, rebuilt
// from its behaviour: /param_forwarding/ answers the path, query and
// headers it got (X-Forwarded-For checked to be a loopback address, then
// left out) and "foo": 42; /redirect/ redirects to /param_forwarding/ with
// the status its "status" query names; /delayed/ answers after 200ms; /xml
// answers an XML user; /collection/ a JSON array of ten {"path", "i"}.
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
	// The suite's collection: ten items, each naming the path asked for.
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
	mux.HandleFunc("/xml", forwarded(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		io.WriteString(w, ceXML)
	}))
	mux.HandleFunc("/collection/", forwarded(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		items := make([]map[string]any, 10)
		for i := range items {
			items[i] = map[string]any{"path": r.URL.Path, "i": i}
		}
		json.NewEncoder(w).Encode(items)
	}))
	mux.HandleFunc("/jwk/symmetric", ceSymmetricJWK)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// ceXML is the document the suite's backend answers on /xml.
const ceXML = `<?xml version="1.0" encoding="UTF-8"?>
<user type="admin">
  <name>Elliot</name>
  <social>
    <facebook>https://facebook.com</facebook>
    <twitter>https://twitter.com</twitter>
    <youtube>https://youtube.com</youtube>
  </social>
</user>`

// ceFeeds stands in for the public feed host the suite's /show/{id}
// endpoint reads (showrss.info): two RSS channels whose titles are the
// ones the rss spec expects, so the spec runs without the network.
func ceFeeds(t *testing.T) *httptest.Server {
	t.Helper()
	feed := func(title string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>`+title+`</title><link>http://127.0.0.1/</link><description>feed</description>
<item><title>an episode</title><link>http://127.0.0.1/1</link></item></channel></rss>`)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/user/schedule/1482.rss", feed("showRSS schedule feed"))
	mux.HandleFunc("/user/1482.rss", feed("showRSS personal feed"))
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
	// follow follows redirects, as the suite's client does by default;
	// anyBody leaves the body unchecked (a spec without "body" or
	// "schema"); schema checks the body against a JSON schema instead
	// of comparing it (a spec's "schema", which its runner uses over
	// "body").
	follow  bool
	anyBody bool
	schema  string
	// asYAML compares the body as YAML: the same document, whatever its
	// indentation (negotitate_plain's bytes are KrakenD 1's YAML library's).
	asYAML bool
}

// TestKrakenDCEIntegrationSpecs runs the specs of KrakenD CE's own
// integration suite whose features this gateway serves, against a file
// holding the same endpoints as the suite's krakend.json (those endpoints
// only), with the suite's backend rebuilt.
func TestKrakenDCEIntegrationSpecs(t *testing.T) {
	t.Parallel()
	be, feeds := ceBackend(t), ceFeeds(t)
	self, unused := freePort(t), freePort(t)
	cfg := loadConfig(t, "krakendce.json", map[string]string{"BACKEND": be.URL, "FEEDS": feeds.URL, "SELF_PORT": self, "UNUSED_PORT": unused})
	g := startGateway(t, cfg, "--port", self)
	_, out, _ := runCLI(t, "version")
	ua := "lambdagate Version " + strings.Fields(out)[1]

	const json200 = "application/json; charset=utf-8"
	ok := map[string]string{"Content-Type": json200, "Cache-Control": "public, max-age=3600", "X-Krakend-Completed": "true"}
	backendHost := strings.TrimPrefix(be.URL, "http://")
	specs := []ceSpec{
		{"router_404", "GET", "/unknown", nil, 404, map[string]string{"Content-Type": "text/plain", "Cache-Control": ""}, "404 page not found", "", false, false, false, "", false},
		{"router_405", "POST", "/crash", nil, 405, map[string]string{"Content-Type": "text/plain", "Cache-Control": "", "X-Krakend-Completed": "false"}, "405 method not allowed", "", false, false, false, "", false},
		{"param_forwarding_1", "GET", "/param_forwarding/some/foo/bar?a=1&b=2",
			map[string]string{"Authorization": "bearer 123456", "X-Y-Z": "true", "A-B-C": "ignore"}, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`, "", false, false, false, "", false},
		{"param_forwarding_2", "GET", "/param_forwarding/all/foo/bar?a=1&b=2",
			map[string]string{"Authorization": "bearer 123456", "X-Y-Z": "true", "A-B-C": "ignore", "User-Agent": "Go-http-client/1.1"}, 200, ok,
			`{"foo":42,"headers":{"A-B-C":["ignore"],"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["Go-http-client/1.1"],"X-Forwarded-Host":["localhost:8080"],"X-Forwarded-Via":["` + ua + `"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`, "", false, false, false, "", false},
		{"param_forwarding_3", "GET", "/param_forwarding/some/foo/bar?a=1&b=2",
			map[string]string{"autHoriZatiOn": "bearer 123456", "x-y-Z": "true", "a-b-c": "ignore"}, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"],"X-Y-Z":["true"]},"path":"/param_forwarding/bar","query":{"foo":["foo"]}}`, "", false, false, false, "", false},
		{"query_forwarding_1", "GET", "/query_forwarding/all/foo?a=1&b=2", map[string]string{"X-Y-Z": "true"}, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/foo","query":{"a":["1"],"b":["2"]}}`, "", false, false, false, "", false},
		{"query_forwarding_2", "GET", "/query_forwarding/all/foo?a=1&b=2&b=3", nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/foo","query":{"a":["1"],"b":["2","3"]}}`, "", false, false, false, "", false},
		{"query_forwarding_3", "GET", "/query_forwarding/some/foo?a=1&b=2&b=3", nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/foo","query":{"a":["1"]}}`, "", false, false, false, "", false},
	}
	for _, code := range []string{"301", "302", "303", "307"} {
		specs = append(specs, ceSpec{"backend_" + code, "GET", "/redirect/" + code, nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Referer":["http://` + backendHost + `/redirect/?status=` + code + `"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/","query":{"status":["` + code + `"]}}`, "", false, false, false, "", false})
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
		// lua_1: the backend's pre script appends the token's id claim to
		// request:url(), the endpoint's post script reshapes the collection.
		ceSpec{name: "lua_1", method: "GET", path: "/lua/collection", status: 200, want: ok,
			header: map[string]string{"Authorization": "bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWQiOjEsImlhdCI6MTUxNjIzOTAyMn0.X_M6O0tdAGnnqqYoV_Q4xQZeG58gth-PG7KSW96tsic"},
			body:   `{"collection":{},"paths":{"1":"/collection/1","10":"/collection/1","2":"/collection/1","3":"/collection/1","4":"/collection/1","5":"/collection/1","6":"/collection/1","7":"/collection/1","8":"/collection/1","9":"/collection/1"},"total":10}`},
		ceSpec{name: "lua_2", method: "GET", path: "/lua/custom_error", status: 418, asJSON: true,
			body: `{"msg":"I refuse to make any coffee, I am a teapot!"}`},
	)
	// Beyond the suite's specs, the same file's other features lambdagate
	// serves: its "/" endpoint, whose backend is the gateway's own
	// /__debug/, an /__echo/ backend, and a martian modifier.
	specs = append(specs,
		ceSpec{"debug endpoint as a backend", "GET", "/", nil, 200, ok, `{"message":"pong"}`, "", false, false, false, "", false},
		ceSpec{"martian basic auth", "GET", "/martian/basic-auth", nil, 200, ok,
			`{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Authorization":["Basic a3Jha2VuZDpwYXNzd29yZA=="],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/auth","query":{}}`, "", false, false, false, "", false},
	)
	// The suite's JWT, auth/signer and CORS specs.
	specs = append(specs, ceAuthSpecs(ua)...)
	checkCEVary(t, g.URL)
	// The specs for the features of issue 14: encodings, proxy.static,
	// flatmap_filter, no-op, json-schema, the router's redirects.
	noop := map[string]string{"Content-Type": "application/json", "Cache-Control": "", "Set-Cookie": "test1=test1, test2=test2", "X-Krakend-Completed": "false"}
	static := `{"bar":"foobar","foo":42}`
	flat, posts := make([]string, 10), make([]string, 10)
	for i := range flat {
		flat[i] = `{"url":"/collection/2"}`
		posts[i] = `{"i":` + strconv.Itoa(i) + `,"path":"/collection/2"}`
	}
	xmlOK := map[string]string{"Content-Type": "application/xml", "Cache-Control": "public, max-age=3600", "X-Krakend-Completed": "true"}
	specs = append(specs,
		ceSpec{name: "sequential_2", method: "GET", path: "/sequential/incomplete/foobar", status: 200, want: partial, body: `{"foo":42}`},
		ceSpec{name: "no-op_1", method: "POST", path: "/no-op/ok", status: 200, want: noop,
			body: `{"foo":42,"headers":{"Accept-Encoding":["gzip"],"Content-Length":["0"],"User-Agent":["` + ua + `"],"X-Forwarded-Host":["localhost:8080"]},"path":"/param_forwarding/","query":{}}` + "\n"},
		ceSpec{name: "no-op_2", method: "POST", path: "/no-op/ko", status: 404,
			want: map[string]string{"Content-Type": "text/plain", "Cache-Control": ""}, body: "404 page not found"},
		ceSpec{name: "integration_no_body", method: "GET", path: "/static", status: 200, want: ok, anyBody: true},
		ceSpec{name: "static", method: "GET", path: "/static", status: 200, want: ok, body: static},
		ceSpec{name: "router_redirect", method: "GET", path: "/StAtic", status: 200, want: ok, body: static, follow: true},
		// The hop the suite's client follows: gin's RedirectFixedPath, a 301
		// to the route's spelling.
		ceSpec{name: "router_redirect, the redirect itself", method: "GET", path: "/StAtic?a=1", status: 301,
			want: map[string]string{"Location": "/static?a=1"}, anyBody: true},
		ceSpec{name: "integration_schema", method: "GET", path: "/static", status: 200, want: ok,
			schema: `{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"foo":{"type":"integer"},"bar":{"type":"string"}},"required":["foo","bar"]}`},
		ceSpec{name: "integration_jsonschema", method: "GET", path: "/__health", status: 200,
			schema: `{"$schema":"http://json-schema.org/draft-07/schema#","required":["agents","now","status"],"properties":{"agents":{"type":"object"},"now":{"type":"string"},"status":{"type":"string","enum":["ok"]}}}`},
		ceSpec{name: "jsonschema_1", method: "POST", path: "/jsonschema", in: `{"foo":42}`, status: 400, anyBody: true},
		ceSpec{name: "flatmap_1", method: "GET", path: "/flatmap/2", status: 200, want: ok, body: `{"paths":[` + strings.Join(flat, ",") + `]}`},
		ceSpec{name: "collection", method: "GET", path: "/combination/2", status: 200, want: ok, body: `{"foo":42,"posts":[` + strings.Join(posts, ",") + `]}`},
		ceSpec{name: "xml_1", method: "GET", path: "/xml/xml", status: 200, want: xmlOK,
			body: `<user type="admin"><name>Elliot</name><social><facebook>https://facebook.com</facebook><twitter>https://twitter.com</twitter><youtube>https://youtube.com</youtube></social></user>`},
		ceSpec{name: "xml_2", method: "GET", path: "/xml/json", status: 200, want: xmlOK,
			body: `<doc><foo>42</foo><headers><Accept-Encoding>gzip</Accept-Encoding><Referer>http://` + backendHost + `/param_forwarding</Referer><User-Agent>` + ua + `</User-Agent><X-Forwarded-Host>localhost:8080</X-Forwarded-Host></headers><path>/param_forwarding/</path><query/></doc>`},
		ceSpec{name: "negotitate_json", method: "GET", path: "/negotiate", header: map[string]string{"Accept": "application/json; charset=utf-8"}, status: 200, want: ok,
			body: `{"user":{"-type":"admin","name":"Elliot","social":{"facebook":"https://facebook.com","twitter":"https://twitter.com","youtube":"https://youtube.com"}}}`},
		ceSpec{name: "negotitate_plain", method: "GET", path: "/negotiate", header: map[string]string{"Accept": "text/plain"}, status: 200,
			want:   map[string]string{"Content-Type": "application/x-yaml; charset=utf-8", "Cache-Control": "public, max-age=3600", "X-Krakend-Completed": "true"},
			asYAML: true, body: "user:\n  -type: admin\n  name: Elliot\n  social:\n    facebook: https://facebook.com\n    twitter: https://twitter.com\n    youtube: https://youtube.com\n"},
		ceSpec{name: "rss", method: "GET", path: "/show/1482", status: 200, want: ok,
			body: `{"available":{"title":"showRSS personal feed"},"schedule":{"title":"showRSS schedule feed"}}`},
	)
	runCESpecs(t, g.URL, specs)

	// backend_404 (and cel-1, cel-2) go with the suite's files that do not set the
	// router's return_error_msg (the current one does, and KrakenD then
	// writes the error as the body): the same file without it.
	t.Run("backend_404", func(t *testing.T) {
		port := freePort(t)
		cfg := strings.Replace(loadConfig(t, "krakendce.json", map[string]string{"BACKEND": be.URL, "FEEDS": feeds.URL, "SELF_PORT": port, "UNUSED_PORT": unused}),
			`"return_error_msg": true`, `"return_error_msg": false`, 1)
		g := startGateway(t, cfg, "--port", port)
		failed := map[string]string{"Content-Type": "", "Cache-Control": "", "X-Krakend-Completed": "false"}
		runCESpecs(t, g.URL, []ceSpec{
			{name: "backend_404", method: "GET", path: "/crash", status: 500, want: failed},
			// cel-1 and cel-2 (a request refused by the endpoint's CEL
			// check: 500, no body) are of the same suite version.
			{name: "cel-1", method: "GET", path: "/cel/req-resp/1", header: map[string]string{"X-Header": "something"}, status: 500, want: failed},
			{name: "cel-2", method: "GET", path: "/cel/req-resp/30", status: 500, want: failed},
		})
	})
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

// followClient follows redirects, as the suite's client does unless told
// not to.
var followClient = &http.Client{Timeout: 20 * time.Second}

// runCESpecs runs specs against the gateway at base, each as a subtest.
func runCESpecs(t *testing.T, base string, specs []ceSpec) {
	t.Helper()
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			var body io.Reader
			if s.in != "" {
				body = strings.NewReader(s.in)
			}
			req, err := http.NewRequest(s.method, base+s.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "localhost:8080"
			for k, v := range s.header {
				req.Header.Set(k, v)
			}
			c := client
			if s.follow {
				c = followClient
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if resp.StatusCode != s.status {
				t.Errorf("status %d, want %d", resp.StatusCode, s.status)
			}
			for k, v := range s.want {
				if h := strings.Join(resp.Header.Values(k), ", "); h != v {
					t.Errorf("%s: %q, want %q", k, h, v)
				}
			}
			switch {
			case s.anyBody:
			case s.schema != "":
				if err := validateSchema(s.schema, got); err != nil {
					t.Errorf("body %s: %v", got, err)
				}
			case s.asYAML:
				var g, w any
				if err := yaml.Unmarshal(b, &g); err != nil || yaml.Unmarshal([]byte(s.body), &w) != nil || !reflect.DeepEqual(g, w) {
					t.Errorf("body\n%s\nwant (as YAML)\n%s", got, s.body)
				}
			case s.asJSON:
				if !jsonEqual(t, got, s.body) {
					t.Errorf("body\n%s\nwant (as JSON)\n%s", got, s.body)
				}
			case got != s.body:
				t.Errorf("body\n%q\nwant\n%q", got, s.body)
			}
		})
	}
}

// validateSchema checks the JSON text doc against the JSON schema text
// schema, as the suite's runner does for a spec's "schema".
func validateSchema(schema, doc string) error {
	sd, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("spec.json", sd); err != nil {
		return err
	}
	sch, err := c.Compile("spec.json")
	if err != nil {
		return err
	}
	d, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(d)
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
