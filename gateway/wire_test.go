package gateway

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// headerRecorder is an HTTP backend that records the headers of the last
// request it got.
type headerRecorder struct {
	mu   sync.Mutex
	last http.Header
}

func (h *headerRecorder) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.last = r.Header.Clone()
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (h *headerRecorder) get() http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// rawGet sends a request line and headers as written, and returns the
// response's raw bytes (head and body) for byte-for-byte checks.
func rawGet(t *testing.T, base, method, path string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, method+" "+path+" HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var sb strings.Builder
	sb.WriteString(resp.Status + "\n")
	for _, k := range []string{"Content-Type", "Content-Length", "X-Krakend-Completed", "Allow", "X-Content-Type-Options"} {
		sb.WriteString(k + ": " + resp.Header.Get(k) + "\n")
	}
	sb.WriteString("\n" + string(b))
	return sb.String()
}

// TestRouterAnswersAreKrakenDs checks the 404 and 405 answers byte for
// byte against KrakenD's engine, on both engines: text/plain without a
// charset, no trailing newline, no nosniff, X-Krakend-Completed false.
func TestRouterAnswersAreKrakenDs(t *testing.T) {
	t.Parallel()
	urls := engines(t, `{"version": 3, "endpoints": [
	  {"endpoint": "/crash", "backend": [{"host": ["http://127.0.0.1:1"], "url_pattern": "/"}]}]}`)
	for engine, url := range urls {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			got := rawGet(t, url, "GET", "/unknown")
			want := "404 Not Found\nContent-Type: text/plain\nContent-Length: 18\nX-Krakend-Completed: false\nAllow: \nX-Content-Type-Options: \n\n404 page not found"
			if got != want {
				t.Errorf("404:\n%s\nwant\n%s", got, want)
			}
			got = rawGet(t, url, "POST", "/crash")
			want = "405 Method Not Allowed\nContent-Type: text/plain\nContent-Length: 22\nX-Krakend-Completed: false\nAllow: GET\nX-Content-Type-Options: \n\n405 method not allowed"
			if got != want {
				t.Errorf("405:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestBackendHeadersAreKrakenDs checks what an HTTP backend receives, on
// both engines: by default exactly KrakenD's headers (no X-Request-Id, the
// User-Agent in KrakenD's format with lambdagate's name), and the
// request's id with lambdagate/server backend_request_id.
func TestBackendHeadersAreKrakenDs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		server string
		wantID bool
	}{
		{"default", ``, false},
		{"backend_request_id", `"extra_config": {"lambdagate/server": {"backend_request_id": true}},`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec headerRecorder
			be := rec.start(t)
			urls := engines(t, `{"version": 3, `+tt.server+` "endpoints": [
			  {"endpoint": "/h", "backend": [{"host": ["`+be+`"], "url_pattern": "/"}]}]}`)
			for engine, url := range urls {
				resp, _ := call(t, "GET", url+"/h", map[string]string{"X-Request-Id": "client-id-1"})
				if resp.StatusCode != 200 {
					t.Fatalf("%s: status %d", engine, resp.StatusCode)
				}
				got := rec.get()
				if ua := got.Get("User-Agent"); ua != "lambdagate Version dev" {
					t.Errorf("%s: User-Agent %q, want %q", engine, ua, "lambdagate Version dev")
				}
				id := got.Get("X-Request-Id")
				if tt.wantID && id != "client-id-1" || !tt.wantID && id != "" {
					t.Errorf("%s: backend got X-Request-Id %q (want it: %v)", engine, id, tt.wantID)
				}
				// The client still gets the id, for its logs.
				if resp.Header.Get("X-Request-Id") != "client-id-1" {
					t.Errorf("%s: client got X-Request-Id %q", engine, resp.Header.Get("X-Request-Id"))
				}
				delete(got, "Accept-Encoding")
				want := []string{"User-Agent", "X-Forwarded-For", "X-Forwarded-Host"}
				if tt.wantID {
					want = append(want, "X-Request-Id")
				}
				if keys := slices.Sorted(maps.Keys(got)); strings.Join(keys, ",") != strings.Join(want, ",") {
					t.Errorf("%s: backend got headers %v, want %v", engine, keys, want)
				}
			}
		})
	}
}
