package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
	"github.com/lambdagate/lambdagate/internal/syncbuf"
)

// streamFake is a fake Invoke API whose functions stream (fault injection:
// what Lambda sends when a function fails midway, is slow or stalls).
type streamFake struct {
	*fakelambda.Server
	readFirst chan struct{} // the client read the first event of "sse"
	gone      chan struct{} // "slow" saw its client leave
	goneAt    atomic.Int64  // when, in UnixNano
}

func startStreamFake(t *testing.T) *streamFake {
	f := &streamFake{readFirst: make(chan struct{}, 1), gone: make(chan struct{}, 4)}
	f.Server = fakelambda.StartFunc(func(w http.ResponseWriter, c fakelambda.Call, _ int) {
		if !c.Stream {
			http.Error(w, "not a stream call", http.StatusBadRequest)
			return
		}
		sw := lambdaapi.NewStreamWriter(w)
		switch c.Name {
		case "sse":
			w.Header().Set("Content-Type", "text/event-stream")
			sw.Chunk([]byte("data: 1\n\n"))
			select {
			case <-f.readFirst:
				sw.Chunk([]byte("data: 2\n\n"))
			case <-time.After(5 * time.Second):
				sw.Chunk([]byte("data: late\n\n"))
			}
		case "http":
			w.Header().Set("Content-Type", lambdaapi.ContentTypeHTTPIntegration)
			sw.Chunk([]byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain","X-Fn":"yes"},`))
			sw.Chunk([]byte(`"cookies":["a=1","b=2"]}` + lambdaapi.PreludeDelimiter + "hel"))
			sw.Chunk([]byte("lo"))
		case "midfail":
			w.Header().Set("Content-Type", "text/plain")
			sw.Chunk([]byte("part"))
			sw.Complete(lambdaapi.InvokeComplete{ErrorCode: "Runtime.Unknown", ErrorDetails: "boom"})
			return
		case "earlyfail":
			sw.Complete(lambdaapi.InvokeComplete{ErrorCode: "Runtime.Unknown", ErrorDetails: "boom"})
			return
		case "idle":
			sw.Chunk([]byte("first"))
			time.Sleep(1500 * time.Millisecond)
			sw.Chunk([]byte("late"))
		case "slow":
			sw.Chunk([]byte("first"))
			for range 500 {
				time.Sleep(10 * time.Millisecond)
				if sw.Chunk([]byte(".")) != nil {
					f.goneAt.Store(time.Now().UnixNano())
					f.gone <- struct{}{}
					return
				}
			}
		}
		sw.Complete(lambdaapi.InvokeComplete{})
	})
	t.Cleanup(f.Close)
	return f
}

// streamConfig has one streaming endpoint per fake function.
const streamConfig = `{"version": 3, "timeout": "3s", "endpoints": [
	{"endpoint": "/sse", "output_encoding": "no-op", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "sse", "invoke_mode": "RESPONSE_STREAM"}}}]},
	{"endpoint": "/http", "output_encoding": "no-op", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "http", "invoke_mode": "RESPONSE_STREAM"}}}]},
	{"endpoint": "/midfail", "output_encoding": "no-op", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "midfail", "invoke_mode": "RESPONSE_STREAM"}}}]},
	{"endpoint": "/earlyfail", "output_encoding": "no-op", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "earlyfail", "invoke_mode": "RESPONSE_STREAM"}}}]},
	{"endpoint": "/idle", "output_encoding": "no-op", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "idle", "invoke_mode": "RESPONSE_STREAM", "stream_idle_timeout": "300ms"}}}]},
	{"endpoint": "/slow", "output_encoding": "no-op", "backend": [{"url_pattern": "/", "extra_config": {"backend/lambda": {"function_name": "slow", "invoke_mode": "RESPONSE_STREAM"}}}]}
]}`

// streamServer is one way of serving the gateway: its base URL and the
// client that speaks to it.
type streamServer struct {
	url    string
	client *http.Client
	proto  int // the HTTP major version the client must see
}

// streamServers serves the gateway of cfg on fasthttp, net/http (HTTP/1.1)
// and net/http over TLS with HTTP/2, as lambdagate serves it with a tls
// section.
func streamServers(t *testing.T, cfg, localURL string, log io.Writer) map[string]streamServer {
	t.Helper()
	logger := quiet
	if log != nil {
		logger = slog.New(slog.NewJSONHandler(log, nil))
	}
	build := func() *Gateway {
		c := parse(t, cfg)
		c.ListenIP, c.Port = "127.0.0.1", 0
		g, _, err := New(c, Options{Logger: logger, LocalLambdaURL: localURL})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	out := map[string]streamServer{}
	g := build()
	ln, err := g.Listen()
	if err != nil {
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
	out["fasthttp"] = streamServer{url: "http://" + ln.Addr().String(), client: &http.Client{Transport: &http.Transport{}}, proto: 1}

	std := httptest.NewServer(build().Handler())
	t.Cleanup(std.Close)
	out["net/http"] = streamServer{url: std.URL, client: &http.Client{Transport: &http.Transport{}}, proto: 1}

	h2 := httptest.NewUnstartedServer(build().Handler())
	h2.EnableHTTP2 = true
	h2.StartTLS()
	t.Cleanup(h2.Close)
	out["http2"] = streamServer{url: h2.URL, client: h2.Client(), proto: 2}
	return out
}

func TestLambdaResponseStream(t *testing.T) {
	f := startStreamFake(t)
	var log syncbuf.Buffer
	for name, s := range streamServers(t, streamConfig, f.URL, &log) {
		t.Run(name, func(t *testing.T) {
			t.Run("sse", func(t *testing.T) {
				resp, err := s.client.Get(s.url + "/sse")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.ProtoMajor != s.proto || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
					t.Fatalf("proto %d status %d type %q", resp.ProtoMajor, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				br := bufio.NewReader(resp.Body)
				// The first event arrives while the function waits for
				// this read to send the second.
				if line, _ := br.ReadString('\n'); line != "data: 1\n" {
					t.Fatalf("first line %q", line)
				}
				f.readFirst <- struct{}{}
				rest, err := io.ReadAll(br)
				if err != nil || string(rest) != "\ndata: 2\n\n" {
					t.Fatalf("rest %q, %v", rest, err)
				}
			})
			t.Run("http integration prelude", func(t *testing.T) {
				resp, err := s.client.Get(s.url + "/http")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil || string(b) != "hello" || resp.StatusCode != 201 || resp.Header.Get("X-Fn") != "yes" ||
					resp.Header.Get("Content-Type") != "text/plain" || strings.Join(resp.Header.Values("Set-Cookie"), ",") != "a=1,b=2" {
					t.Fatalf("status %d headers %v body %q err %v", resp.StatusCode, resp.Header, b, err)
				}
			})
			t.Run("error before the first byte", func(t *testing.T) {
				resp, err := s.client.Get(s.url + "/earlyfail")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadGateway {
					t.Fatalf("status %d, want 502", resp.StatusCode)
				}
			})
			for _, path := range []string{"/midfail", "/idle"} {
				t.Run("cut midway "+path, func(t *testing.T) {
					resp, err := s.client.Get(s.url + path)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					// The client can tell: the body ends in an error, not
					// a clean end (HTTP/1.1: no last chunk; HTTP/2:
					// RST_STREAM).
					if err == nil || (s.proto == 1 && !errors.Is(err, io.ErrUnexpectedEOF)) {
						t.Fatalf("body %q, err %v: want an error", b, err)
					}
					if want := map[string]string{"/midfail": "part", "/idle": "first"}[path]; string(b) != want {
						t.Fatalf("body %q, want %q", b, want)
					}
				})
			}
			t.Run("client gone", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/slow", nil)
				resp, err := s.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 5)
				if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
					t.Fatalf("first %q, %v", buf, err)
				}
				left := time.Now()
				cancel()
				resp.Body.Close()
				select {
				case <-f.gone:
					// The invocation's stream ended soon after: the next
					// chunk the function writes (every 10 ms) fails.
					if d := time.Unix(0, f.goneAt.Load()).Sub(left); d > time.Second {
						t.Errorf("the invocation ended %v after the client left", d)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the invocation went on after the client left")
				}
			})
		})
	}
	for _, want := range []string{`"outcome":"stream_error"`, `"outcome":"client_gone"`, `"lambda response stream failed"`, `"error_type":"Runtime.Unknown"`, `"error_type":"StreamIdleTimeout"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, log.String())
		}
	}
}

// TestLambdaStreamRefused: streaming is the whole endpoint's; check
// refuses the combinations that need the body whole, with the reason.
func TestLambdaStreamRefused(t *testing.T) {
	backend := func(extra string) string {
		return `{"url_pattern": "/", "encoding": "no-op", "extra_config": {"backend/lambda": {"function_name": "fn", "invoke_mode": "RESPONSE_STREAM"` + extra + `}}}`
	}
	for _, tc := range []struct {
		name, endpoint, want string
	}{
		{"json output", `"output_encoding": "json", "backend": [` + backend("") + `]`, `needs the endpoint's output_encoding "no-op"`},
		{"two backends", `"output_encoding": "string", "backend": [` + backend("") + `, ` + backend("") + `]`, `needs the endpoint's only backend: this endpoint has 2`},
		{"cache", `"output_encoding": "no-op", "backend": [` + backend(`, "cache_ttl": "1s"`) + `]`, `cache_ttl: is not implemented with invoke_mode RESPONSE_STREAM`},
		{"event", `"output_encoding": "no-op", "backend": [` + backend(`, "invocation_type": "Event"`) + `]`, `invocation_type: is Event`},
		{"bad mode", `"output_encoding": "no-op", "backend": [{"url_pattern": "/", "encoding": "no-op", "extra_config": {"backend/lambda": {"function_name": "fn", "invoke_mode": "STREAM"}}}]`, `"STREAM" is not an invoke mode`},
		{"idle without stream", `"output_encoding": "no-op", "backend": [{"url_pattern": "/", "encoding": "no-op", "extra_config": {"backend/lambda": {"function_name": "fn", "stream_idle_timeout": "1s"}}}]`, `stream_idle_timeout: only applies with invoke_mode RESPONSE_STREAM`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := parse(t, `{"version": 3, "endpoints": [{"endpoint": "/s", `+tc.endpoint+`}]}`)
			_, _, err := New(c, Options{Logger: quiet, LocalLambdaURL: "http://127.0.0.1:1"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestHTTPBackendStream: a no-op HTTP backend's body reaches the client as
// the backend sends it, on every server.
func TestHTTPBackendStream(t *testing.T) {
	readFirst := make(chan struct{}, 1)
	url := backendServer(t, map[string]http.HandlerFunc{"/events": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-readFirst:
			io.WriteString(w, "data: 2\n\n")
		case <-time.After(5 * time.Second):
			io.WriteString(w, "data: late\n\n")
		}
	}})
	cfg := `{"version": 3, "timeout": "3s", "endpoints": [{"endpoint": "/events", "output_encoding": "no-op", "backend": [{"host": ["` + url + `"], "url_pattern": "/events"}]}]}`
	for name, s := range streamServers(t, cfg, "", nil) {
		t.Run(name, func(t *testing.T) {
			resp, err := s.client.Get(s.url + "/events")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			if line, _ := br.ReadString('\n'); line != "data: 1\n" || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("first line %q, type %q", line, resp.Header.Get("Content-Type"))
			}
			readFirst <- struct{}{}
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "\ndata: 2\n\n" {
				t.Fatalf("rest %q, %v", rest, err)
			}
		})
	}
}
