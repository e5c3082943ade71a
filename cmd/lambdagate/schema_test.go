package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRunSchema(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"schema"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var s map[string]any
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("$schema = %v", s["$schema"])
	}
	if code := run([]string{"schema", "extra"}, &out, &errb); code != 2 {
		t.Fatalf("an argument: exit %d, want 2", code)
	}
}

func TestRunHealth(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/__health" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/__health"
	ln.Close()
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"200", []string{"--url", ok.URL + "/__health"}, 0, "200 OK"},
		{"404", []string{"--url", ok.URL + "/other"}, 1, "404"},
		{"503", []string{"--url", down.URL + "/__health"}, 1, "503"},
		{"nothing listening", []string{"--url", closed, "--timeout", "1s"}, 1, "refused"},
		{"bad flag", []string{"--nope"}, 2, "flag provided but not defined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"health"}, c.args...), &out, &errb)
			if code != c.code || !strings.Contains(out.String()+errb.String(), c.want) {
				t.Fatalf("exit %d (want %d), output %q %q (want %q)", code, c.code, out.String(), errb.String(), c.want)
			}
		})
	}
}
