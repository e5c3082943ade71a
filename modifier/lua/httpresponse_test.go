package lua

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/proxy"
)

// http_response against a real server on 127.0.0.1: the request the
// script makes (method, body, headers, the gateway's User-Agent), the
// reply it reads, and the failures that fail the layer.
func TestHTTPResponse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		if r.URL.Path == "/big" {
			w.Write(make([]byte, MaxHTTPResponseBody+1))
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Add("X-Many", "a")
		w.Header().Add("X-Many", "b")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+string(b)+" "+r.Header.Get("X-Tenant")+","+strings.Join(r.Header.Values("X-List"), "+")+" "+r.Header.Get("User-Agent"))
	}))
	defer srv.Close()
	run := func(t *testing.T, pre string, timeout time.Duration) (*proxy.Request, error) {
		s, err := New(&Options{Pre: pre}, Spec{Path: "p", Client: srv.Client(), UserAgent: "lambdagate Version test"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var got *proxy.Request
		_, err = s.Middleware()(func(_ context.Context, r *proxy.Request) (*proxy.Response, error) {
			got = r
			return &proxy.Response{IsComplete: true}, nil
		})(ctx, baseRequest())
		return got, err
	}
	u := srv.URL
	for _, c := range []struct{ name, pre, want string }{
		{"GET", `local r = http_response.new("` + u + `/a?b=1"); request.load():headers("X-Got", r:statusCode() .. " " .. r:body())`,
			"202 GET /a?b=1  , lambdagate Version test"},
		{"method, body and headers", `local r = http_response.new("` + u + `/p", "post", '{"a":1}', {["X-Tenant"] = "t1", ["X-List"] = {"x", "y"}}); request.load():headers("X-Got", r:body())`,
			`POST /p {"a":1} t1,x+y lambdagate Version test`},
		{"response headers", `local r = http_response.new("` + u + `/"); local l = r:headerList("X-Many"); request.load():headers("X-Got", r:headers("content-type") .. " " .. l:len() .. l:get(0) .. l:get(1))`,
			"text/plain 2ab"},
		{"close", `local r = http_response.new("` + u + `/"); r:close(); request.load():headers("X-Got", pcall(r.body, r) and "open" or "closed")`,
			"closed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := run(t, c.pre, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if h := got.Headers.Get("X-Got"); h != c.want {
				t.Errorf("X-Got = %q, want %q", h, c.want)
			}
		})
	}
	for _, c := range []struct {
		name, pre, want string
		timeout         time.Duration
	}{
		{"stopped at the request's deadline", `http_response.new("` + u + `/slow")`, "stopped at the endpoint's timeout", 200 * time.Millisecond},
		{"a body past the bound", `http_response.new("` + u + `/big")`, "larger than", 5 * time.Second},
		{"two arguments", `http_response.new("` + u + `/", "GET")`, "takes 1 (url), 3", 5 * time.Second},
		{"a relative URL", `http_response.new("/x")`, "not an absolute http:// or https:// URL", 5 * time.Second},
		{"a server that is not there", `http_response.new("http://127.0.0.1:1/")`, "http_response.new: GET http://127.0.0.1:1/", 5 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := run(t, c.pre, c.timeout)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
}
