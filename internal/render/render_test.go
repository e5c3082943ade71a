package render

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/proxy"
)

func data(t *testing.T, s string) map[string]any {
	t.Helper()
	d, err := proxy.DecodeSafeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type closer struct {
	io.Reader
	closed bool
}

func (c *closer) Close() error { c.closed = true; return nil }

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		encoding   string
		status     int
		resp       *proxy.Response
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{"json", "json", 200, &proxy.Response{Data: data(t, `{"b": 1.50, "a": [1, "x"]}`)}, 200, jsonType, `{"a":[1,"x"],"b":1.50}`},
		{"json default name", "", 201, &proxy.Response{Data: data(t, `{"a": 1}`)}, 201, jsonType, `{"a":1}`},
		{"json nil data", "json", 200, &proxy.Response{}, 200, jsonType, `{}`},
		{"json nil response", "json", 200, nil, 200, jsonType, `{}`},
		{"json-collection", "json-collection", 200, &proxy.Response{Data: data(t, `[{"a": 1}, 2]`)}, 200, jsonType, `[{"a":1},2]`},
		{"json-collection without collection", "json-collection", 200, &proxy.Response{Data: data(t, `{"a": 1}`)}, 200, jsonType, `[]`},
		{"json-collection nil", "json-collection", 200, nil, 200, jsonType, `[]`},
		{"string content", "string", 200, &proxy.Response{Data: map[string]any{"content": "hello <b>"}}, 200, "text/plain; charset=utf-8", `hello <b>`},
		{"string of data", "string", 200, &proxy.Response{Data: data(t, `{"a": 1}`)}, 200, "text/plain; charset=utf-8", `{"a":1}`},
		{"string nil", "string", 200, nil, 200, "text/plain; charset=utf-8", ``},
		{"no-op", "no-op", 200, &proxy.Response{
			Metadata: proxy.Metadata{StatusCode: 202, Headers: http.Header{
				"Content-Type": {"application/xml"}, "X-Custom": {"a", "b"}, "Connection": {"close"}, "Transfer-Encoding": {"chunked"},
			}},
			Body: io.NopCloser(strings.NewReader("<raw/>")),
		}, 202, "application/xml", `<raw/>`},
		{"no-op without status", "no-op", 200, &proxy.Response{Body: io.NopCloser(strings.NewReader("x"))}, 200, "", `x`},
		{"no-op nil", "no-op", 500, nil, 500, "", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := New(tt.encoding)
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			f(w, tt.status, tt.resp)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := w.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
		})
	}
}

func TestRenderNoOpHeaders(t *testing.T) {
	t.Parallel()
	f, _ := New(NoOp)
	body := &closer{Reader: strings.NewReader("payload")}
	w := httptest.NewRecorder()
	w.Header().Set("X-Krakend-Completed", "true")
	f(w, 200, &proxy.Response{
		Metadata: proxy.Metadata{StatusCode: 404, Headers: http.Header{
			"X-Custom": {"a", "b"}, "Connection": {"close"}, "Keep-Alive": {"x"}, "Upgrade": {"y"}, "Set-Cookie": {"c=1"},
		}},
		Body: body,
	})
	h := w.Header()
	if got := h.Values("X-Custom"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("X-Custom = %q", got)
	}
	if h.Get("Set-Cookie") != "c=1" || h.Get("X-Krakend-Completed") != "true" {
		t.Errorf("headers = %v", h)
	}
	for _, k := range []string{"Connection", "Keep-Alive", "Upgrade"} {
		if h.Get(k) != "" {
			t.Errorf("hop-by-hop header %s passed: %q", k, h.Get(k))
		}
	}
	if w.Code != 404 || w.Body.String() != "payload" || !body.closed {
		t.Errorf("status %d body %q closed %v", w.Code, w.Body.String(), body.closed)
	}
}

func TestRenderJSONError(t *testing.T) {
	t.Parallel()
	f, _ := New(JSON)
	w := httptest.NewRecorder()
	f(w, 200, &proxy.Response{Data: map[string]any{"bad": make(chan int)}})
	if w.Code != 500 {
		t.Errorf("unmarshalable data: status %d, want 500", w.Code)
	}
	var v any
	if json.Unmarshal(w.Body.Bytes(), &v) == nil {
		t.Errorf("body %q is JSON", w.Body.String())
	}
}

func TestRenderUnknown(t *testing.T) {
	t.Parallel()
	_, err := New("fast-json")
	if err == nil || err.Error() != `unknown output_encoding "fast-json" (use json, json-collection, xml, yaml, negotiate, string or no-op)` {
		t.Errorf("New(fast-json) error = %v", err)
	}
}
