package e2e

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// compatBackends serves the backends of examples/compat on 127.0.0.1: an
// XML catalog, an RSS feed, stock (item 2 is down), orders, a CSV report,
// and an audit service (a shadow backend) whose calls audited receives.
func compatBackends(t *testing.T, audited chan<- string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/orders/1/archived", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"archived": [{"sku": "z", "cost": 1}]}`)
	})
	mux.HandleFunc("/audit/", func(w http.ResponseWriter, r *http.Request) {
		audited <- r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"audit_secret": "never to the client"}`)
	})
	mux.HandleFunc("/catalog.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0"?><catalog><book id="b1"><title>Go</title></book><book id="b2"><title>XML &amp; you</title></book></catalog>`)
	})
	mux.HandleFunc("/feed.rss", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><description>d</description>
<item><title>First</title><link>http://example.com/1</link></item></channel></rss>`)
	})
	mux.HandleFunc("/stock/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"stock": 12, "source": "warehouse"}`)
	})
	mux.HandleFunc("/orders/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": 1, "lines": [{"sku": "a", "cost": 3}, {"sku": "b", "cost": 4}]}`)
	})
	mux.HandleFunc("/stock/2", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id": "o-1"}`)
	})
	mux.HandleFunc("/report.csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "a,b\n1,2\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestCompatExample runs examples/compat against backends on 127.0.0.1
// and makes the calls its features promise.
func TestCompatExample(t *testing.T) {
	t.Parallel()
	audited := make(chan string, 4)
	srv := compatBackends(t, audited)
	b, err := os.ReadFile(filepath.Join("..", "examples", "compat", "krakend.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(b), "http://127.0.0.1:8000", srv.URL)
	gw := startGateway(t, cfg)
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		ctype                    string
		want                     string // JSON compared as values when ctype is JSON, else exact
		noCacheControl           bool
	}{
		{name: "xml backend, negotiate without Accept: json", method: "GET", path: "/catalog", status: 200, ctype: "application/json; charset=utf-8",
			want: `{"book":[{"-id":"b1","title":"Go"},{"-id":"b2","title":"XML & you"}]}`},
		{name: "negotiate: text/plain is yaml", method: "GET", path: "/catalog", header: map[string]string{"Accept": "text/plain"}, status: 200, ctype: "application/x-yaml; charset=utf-8",
			want: "book:\n    - -id: b1\n      title: Go\n    - -id: b2\n      title: XML & you\n"},
		{name: "negotiate: application/xml", method: "GET", path: "/catalog", header: map[string]string{"Accept": "application/xml"}, status: 200, ctype: "application/xml",
			want: `<book id="b1"><title>Go</title></book><book id="b2"><title>XML &amp; you</title></book>`},
		{name: "xml round trip", method: "GET", path: "/catalog.xml", status: 200, ctype: "application/xml",
			want: `<catalog><book id="b1"><title>Go</title></book><book id="b2"><title>XML &amp; you</title></book></catalog>`},
		{name: "rss backend", method: "GET", path: "/news", status: 200, ctype: "application/json; charset=utf-8",
			want: `{"title":"News","items":[{"title":"First","link":"http://example.com/1","links":["http://example.com/1"]}]}`},
		{name: "yaml output", method: "GET", path: "/news.yaml", status: 200, ctype: "application/x-yaml; charset=utf-8", want: "title: News\n"},
		{name: "flatmap on a backend and on the endpoint", method: "GET", path: "/orders/1", status: 200, ctype: "application/json; charset=utf-8",
			want: `{"order":{"id":1},"lines":[{"code":"a"},{"code":"b"}],"stock":{"stock":12,"source":"warehouse"}}`},
		{name: "flatmap append after merging, a shadow's answer dropped", method: "GET", path: "/orders/1/history", status: 200, ctype: "application/json; charset=utf-8",
			want: `{"id":1,"lines":[{"sku":"a"},{"sku":"b"},{"sku":"z"}]}`},
		{name: "static errored: backend up", method: "GET", path: "/stock/1", status: 200, ctype: "application/json; charset=utf-8", want: `{"stock":12,"source":"warehouse"}`},
		{name: "static errored: backend down", method: "GET", path: "/stock/2", status: 200, ctype: "application/json; charset=utf-8", want: `{"stock":null,"source":"fallback"}`},
		{name: "json-schema: valid", method: "POST", path: "/orders", body: `{"item": "pen", "quantity": 2}`, status: 201, ctype: "application/json; charset=utf-8", want: `{"id":"o-1"}`},
		{name: "json-schema: invalid", method: "POST", path: "/orders", body: `{"item": "pen", "quantity": 0}`, status: 400, ctype: "text/plain; charset=utf-8",
			want: "- at /quantity: minimum: got 0, want 1"},
		{name: "no-op with cache_ttl: no Cache-Control", method: "GET", path: "/files/report", status: 200, ctype: "text/csv", want: "a,b\n1,2\n", noCacheControl: true},
	}
	for _, tt := range tests {
		r := do(t, tt.method, gw.URL+tt.path, tt.body, tt.header)
		if r.Status != tt.status || r.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: got %d %q %q, want %d %q", tt.name, r.Status, r.Header.Get("Content-Type"), r.Body, tt.status, tt.ctype)
			continue
		}
		if strings.HasPrefix(tt.ctype, "application/json") {
			if !jsonEqual(t, r.Body, tt.want) {
				t.Errorf("%s: body %s, want %s", tt.name, r.Body, tt.want)
			}
		} else if r.Body != tt.want {
			t.Errorf("%s: body %q, want %q", tt.name, r.Body, tt.want)
		}
		if tt.noCacheControl && r.Header.Get("Cache-Control") != "" {
			t.Errorf("%s: Cache-Control %q, want none", tt.name, r.Header.Get("Cache-Control"))
		}
	}
	select {
	case path := <-audited:
		if path != "/audit/1" {
			t.Errorf("the shadow got %s, want /audit/1", path)
		}
	case <-time.After(5 * time.Second):
		t.Error("the shadow backend /audit/1 was not called")
	}
}
