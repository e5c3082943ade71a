package devendpoint

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLayer(t *testing.T) {
	t.Parallel()
	if Layer(Options{}) != nil {
		t.Fatal("a layer without any endpoint")
	}
	var logs bytes.Buffer
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	tests := []struct {
		name, method, target string
		opts                 Options
		status               int
		body                 string
	}{
		{"debug", "POST", "/__debug/a/b", Options{Debug: true}, 200, `{"message":"pong"}`},
		{"debug root", "GET", "/__debug/", Options{Debug: true}, 200, `{"message":"pong"}`},
		{"debug off", "GET", "/__debug/", Options{Echo: true}, 418, ""},
		{"echo off", "GET", "/__echo/", Options{Debug: true}, 418, ""},
		{"redirect GET", "GET", "/__debug", Options{Debug: true}, 301, ""},
		{"redirect POST", "POST", "/__echo", Options{Echo: true}, 307, ""},
		{"other paths", "GET", "/__debugx", Options{Debug: true, Echo: true}, 418, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h := Layer(tt.opts)(next)
			w := httptest.NewRecorder()
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader("hello"))
			r.Header.Set("Authorization", "Bearer secret-token")
			h.ServeHTTP(w, r)
			if w.Code != tt.status || tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("%d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
	if strings.Contains(logs.String(), "secret-token") || !strings.Contains(logs.String(), "[hidden]") {
		t.Errorf("the debug log shows credentials:\n%s", logs.String())
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	h := Layer(Options{Echo: true})(http.NotFoundHandler())
	w := httptest.NewRecorder()
	r := httptest.NewRequest("PUT", "http://gw.example/__echo/p?b=2&a=1", strings.NewReader(`{"x":1}`))
	r.Header.Set("X-Y", "z")
	h.ServeHTTP(w, r)
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"req_uri": "http://gw.example/__echo/p?b=2&a=1",
		"req_uri_details": map[string]any{"scheme": "http", "user": "", "host": "gw.example", "path": "/__echo/p",
			"query": "a=1&b=2", "fragment": ""},
		"req_method":      "PUT",
		"req_querystring": map[string]any{"a": []any{"1"}, "b": []any{"2"}},
		"req_body":        `{"x":1}`,
		"req_headers":     map[string]any{"X-Y": []any{"z"}},
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("echo =\n%s\nwant\n%s", gb, wb)
	}
}
