package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// TestPassThrough checks that a single unshaped backend's JSON object
// reaches the client byte for byte (key order, spacing and escapes kept),
// for Lambda and HTTP backends, and that shaping, a second backend or
// another output encoding turn the decoding back on.
func TestPassThrough(t *testing.T) {
	fakeAWSCredentials(t)
	const body = `{"b": 1.50,  "a": "<&>"}`
	const decoded = `{"a":"\u003c\u0026\u003e","b":1.50}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	lambda := `{"backend/lambda":{"function_name":"fn","region":"us-east-1","endpoint":"` + srv.URL + `"}}`
	tests := []struct {
		name, endpoint, want string
	}{
		{"lambda, single, unshaped", `{"endpoint":"/t","backend":[{"host":["x"],"url_pattern":"/","extra_config":` + lambda + `}]}`, body},
		{"http, single, unshaped", `{"endpoint":"/t","backend":[{"host":["` + srv.URL + `"],"url_pattern":"/"}]}`, body},
		{"lambda with allow is decoded", `{"endpoint":"/t","backend":[{"host":["x"],"url_pattern":"/","allow":["a","b"],"extra_config":` + lambda + `}]}`, decoded},
		{"http with group is decoded", `{"endpoint":"/t","backend":[{"host":["` + srv.URL + `"],"url_pattern":"/","group":"g"}]}`, `{"g":` + decoded + `}`},
		{"two backends are merged", `{"endpoint":"/t","backend":[{"host":["` + srv.URL + `"],"url_pattern":"/"},{"host":["x"],"url_pattern":"/","extra_config":` + lambda + `}]}`, decoded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[` + tt.endpoint + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			gw.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/t", nil))
			if w.Code != 200 || w.Body.String() != tt.want {
				t.Errorf("got %d %s, want 200 %s", w.Code, w.Body, tt.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}
