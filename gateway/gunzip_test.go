package gateway

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecompressGzip checks proxy.decompress_gzip through a whole gateway
// with a real HTTP backend that echoes what it receives: a body whose
// Content-Encoding starts with gzip reaches the backend decompressed (and
// the gzip encoding dropped from what it is told), other encodings and
// the option off leave the body as sent, a body decompressing beyond the
// endpoint's max_payload is refused with 413 before any backend is
// called, and one that is not gzip with 400.
func TestDecompressGzip(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"encoding":"`+r.Header.Get("Content-Encoding")+`","length":`+strings.TrimSpace(strings.Repeat(" ", 0))+strconv.Itoa(len(b))+`,"plain":`+strconv.FormatBool(string(b) == `{"n":1}`)+`}`)
	}))
	t.Cleanup(srv.Close)
	plain := []byte(`{"n":1}`)
	bomb := gzipped(t, make([]byte, 100<<10)) // 100 KiB of zeros, about 130 bytes compressed
	tests := []struct {
		name       string
		decompress bool
		encoding   string
		body       []byte
		status     int
		want       string
	}{
		{"gzip decompressed", true, "gzip", gzipped(t, plain), 200, `{"encoding":"","length":7,"plain":true}`},
		{"gzip first of two: the rest stays", true, "gzip, identity", gzipped(t, plain), 200, `{"encoding":"identity","length":7,"plain":true}`},
		{"gzip not first: as sent", true, "identity, gzip", gzipped(t, plain), 200, `{"encoding":"identity, gzip","length":` + strconv.Itoa(len(gzipped(t, plain))) + `,"plain":false}`},
		{"no encoding: as sent", true, "", plain, 200, `{"encoding":"","length":7,"plain":true}`},
		{"option off: as sent", false, "gzip", gzipped(t, plain), 200, `{"encoding":"gzip","length":` + strconv.Itoa(len(gzipped(t, plain))) + `,"plain":false}`},
		{"decompresses beyond max_payload: 413", true, "gzip", bomb, 413, ""},
		{"not gzip: 400", true, "gzip", plain, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[{"endpoint":"/t","method":"POST","input_headers":["Content-Encoding"],
				"extra_config":{"proxy":{"max_payload":4096,"decompress_gzip":` + strconv.FormatBool(tt.decompress) + `}},
				"backend":[{"host":["` + srv.URL + `"],"url_pattern":"/"}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			before := calls.Load()
			req := httptest.NewRequest("POST", "/t", bytes.NewReader(tt.body))
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			w := httptest.NewRecorder()
			gw.Handler().ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tt.status)
			}
			if tt.status != 200 {
				if calls.Load() != before {
					t.Error("a refused body reached the backend")
				}
				return
			}
			if w.Body.String() != tt.want {
				t.Errorf("backend saw %s, want %s", w.Body, tt.want)
			}
		})
	}
}
