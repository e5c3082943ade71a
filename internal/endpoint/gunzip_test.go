package endpoint

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestGunzip(t *testing.T) {
	t.Parallel()
	two := append(gz([]byte("ab")), gz([]byte("cd"))...)
	for _, tt := range []struct {
		name   string
		body   []byte
		limit  int64
		want   string
		status int
	}{
		{"at the limit", gz([]byte("abcd")), 4, "abcd", 0},
		{"one byte past the limit", gz([]byte("abcde")), 4, "", http.StatusRequestEntityTooLarge},
		{"every member", two, 10, "abcd", 0},
		{"not gzip", []byte("plain"), 10, "", http.StatusBadRequest},
		{"cut short", gz([]byte("abcdef"))[:12], 10, "", http.StatusBadRequest},
	} {
		got, status := gunzip(tt.body, tt.limit)
		if status != tt.status || string(got) != tt.want {
			t.Errorf("%s: got %q %d, want %q %d", tt.name, got, status, tt.want, tt.status)
		}
	}
	for _, tt := range []struct{ in, wantFirst, after string }{
		{"gzip", "gzip", ""}, {"GZIP, br", "gzip", "br"}, {" gzip ,identity", "gzip", "identity"}, {"br, gzip", "", "br, gzip"}, {"", "", ""},
	} {
		h := http.Header{}
		if tt.in != "" {
			h.Set("Content-Encoding", tt.in)
		}
		if got := gzipFirst(h); got != (tt.wantFirst != "") {
			t.Errorf("gzipFirst(%q) = %v", tt.in, got)
		}
		if tt.wantFirst != "" {
			dropFirstEncoding(h)
			if got := h.Get("Content-Encoding"); got != tt.after {
				t.Errorf("after dropping gzip from %q: %q, want %q", tt.in, got, tt.after)
			}
		}
	}
}

// FuzzGunzip checks that no body makes gunzip panic or return more than
// its limit.
func FuzzGunzip(f *testing.F) {
	f.Add(gz([]byte(`{"n":1}`)), int64(16))
	f.Add(gz(make([]byte, 1<<16)), int64(1024))
	f.Add([]byte("\x1f\x8b\x08\x00"), int64(8))
	f.Fuzz(func(t *testing.T, body []byte, limit int64) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		out, status := gunzip(body, limit)
		if int64(len(out)) > limit {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
		if status != 0 && out != nil {
			t.Fatalf("status %d with a body", status)
		}
	})
}
