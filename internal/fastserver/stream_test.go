package fastserver

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// servers starts h on both servers, for the tests that compare them.
func servers(t *testing.T, h http.Handler) map[string]string {
	_, fast, _ := startFast(t, h, Config{Logger: quietSlog})
	return map[string]string{"fasthttp": fast, "net/http": startStd(t, h, nil)}
}

// engines are the servers' names for startOn.
var engines = []string{"fasthttp", "net/http"}

// startOn starts h on the server named engine.
func startOn(t *testing.T, engine string, h http.Handler) string {
	if engine == "fasthttp" {
		_, addr, _ := startFast(t, h, Config{Logger: quietSlog})
		return addr
	}
	return startStd(t, h, nil)
}

// TestFlushStreams: after a Flush, what the handler wrote reaches the
// client before the handler goes on, chunked, and the response ends whole.
func TestFlushStreams(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			read := make(chan struct{})
			addr := startOn(t, engine, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: 1\n\n")
				w.(http.Flusher).Flush()
				// The client says when it read the first event.
				select {
				case <-time.After(waitTimeout):
					io.WriteString(w, "data: late\n\n")
				case <-read:
				}
				io.WriteString(w, "data: 2\n\n")
			}))
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("transfer %v type %q", resp.TransferEncoding, resp.Header.Get("Content-Type"))
			}
			br := bufio.NewReader(resp.Body)
			first, _ := br.ReadString('\n')
			br.ReadString('\n')
			if first != "data: 1\n" {
				t.Fatalf("first line %q", first)
			}
			close(read)
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "data: 2\n\n" {
				t.Fatalf("rest %q, %v", rest, err)
			}
		})
	}
}

// TestFlushAbort: a streamed response cut by http.ErrAbortHandler ends
// without its last chunk on both servers: the client reads an error, not
// a short body.
func TestFlushAbort(t *testing.T) {
	t.Parallel()
	for name, addr := range servers(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})) {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if string(b) != "part" || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("body %q, err %v; want part and an unexpected EOF", b, err)
			}
		})
	}
}

// TestFlushClientGone: once the client left, a streaming handler's writes
// fail within a bounded time on both servers.
func TestFlushClientGone(t *testing.T) {
	t.Parallel()
	failed := make(chan string, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for range 2000 {
			if _, err := io.WriteString(w, strings.Repeat("x", 1024)); err != nil {
				failed <- r.Header.Get("X-Name")
				return
			}
			if err := rc.Flush(); err != nil {
				failed <- r.Header.Get("X-Name")
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		failed <- "never"
	})
	for name, addr := range servers(t, h) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		req.Header.Set("X-Name", name)
		tr := &http.Transport{}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		io.ReadFull(resp.Body, buf)
		resp.Body.Close()
		tr.CloseIdleConnections()
		select {
		case got := <-failed:
			if got != name {
				t.Errorf("%s: handler saw %q", name, got)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("%s: the handler never saw the client leave", name)
		}
	}
}
