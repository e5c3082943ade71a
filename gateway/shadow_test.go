package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/config"
)

// shadowHit is what a shadow backend received.
type shadowHit struct {
	path, header, body string
	cancelled          bool // its call was cut before it answered
}

// TestShadowBackend checks proxy.shadow through a whole gateway with two
// real HTTP backends: the shadow gets a copy of the request (path,
// headers, body), its answer never reaches the client, its failure and its
// slowness change nothing the client gets, and shadow_timeout cuts it.
func TestShadowBackend(t *testing.T) {
	t.Parallel()
	regular := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"regular":true}`)
	}))
	t.Cleanup(regular.Close)
	hits := make(chan shadowHit, 8)
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hit := shadowHit{path: r.URL.Path, header: r.Header.Get("X-Test"), body: string(body)}
		if r.URL.Path == "/slow" {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				hit.cancelled = true
				hits <- hit
				return
			}
		}
		hits <- hit
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"shadow_secret":"never to the client","regular":false}`)
	}))
	t.Cleanup(shadow.Close)
	tests := []struct {
		name, shadowPath, shadowOpts string
		method, body                 string
		wantCancelled                bool
	}{
		{name: "answers dropped", shadowPath: "/mirror", method: "GET"},
		{name: "a copy of the body", shadowPath: "/mirror", method: "POST", body: `{"order":7}`},
		{name: "a failing shadow changes nothing", shadowPath: "/fail", method: "GET"},
		{name: "a slow shadow does not delay the answer; shadow_timeout cuts it", shadowPath: "/slow", shadowOpts: `,"shadow_timeout":"100ms"`, method: "GET", wantCancelled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(`{"version":3,"timeout":"3s","endpoints":[{"endpoint":"/t","method":"` + tt.method + `","input_headers":["X-Test"],"backend":[
				{"host":["` + regular.URL + `"],"url_pattern":"/r"},
				{"host":["` + shadow.URL + `"],"url_pattern":"` + tt.shadowPath + `","extra_config":{"proxy":{"shadow":true` + tt.shadowOpts + `}}}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			gw, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, "/t", strings.NewReader(tt.body))
			req.Header.Set("X-Test", "yes")
			w := httptest.NewRecorder()
			start := time.Now()
			gw.Handler().ServeHTTP(w, req)
			took := time.Since(start)
			if w.Code != 200 || w.Body.String() != `{"regular":true}` || w.Header().Get("X-Krakend-Completed") != "true" {
				t.Errorf("got %d %s (completed %q), want 200 {\"regular\":true} (completed true)", w.Code, w.Body, w.Header().Get("X-Krakend-Completed"))
			}
			if took > time.Second {
				t.Errorf("the answer took %v: it waited for the shadow", took)
			}
			select {
			case hit := <-hits:
				if hit.path != tt.shadowPath || hit.header != "yes" || hit.body != tt.body || hit.cancelled != tt.wantCancelled {
					t.Errorf("shadow got %+v, want path %s, X-Test yes, body %q, cancelled %v", hit, tt.shadowPath, tt.body, tt.wantCancelled)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("the shadow was not called")
			}
		})
	}
}

func TestShadowErrors(t *testing.T) {
	t.Parallel()
	const shadowB = `{"host":["http://127.0.0.1:1"],"url_pattern":"/s","extra_config":{"proxy":{"shadow":true}}}`
	const regularB = `{"host":["http://127.0.0.1:1"],"url_pattern":"/r"}`
	for _, tt := range []struct{ name, endpoint, want string }{
		{"only shadows", `{"endpoint":"/t","backend":[` + shadowB + `]}`, "endpoints[0]: every backend is a shadow"},
		{"sequential", `{"endpoint":"/t","extra_config":{"proxy":{"sequential":true}},"backend":[` + regularB + `,` + shadowB + `]}`,
			"endpoints[0].extra_config.proxy.sequential: shadow backends on a sequential endpoint are not supported"},
		{"bad shadow_timeout", `{"endpoint":"/t","backend":[` + regularB + `,{"host":["http://127.0.0.1:1"],"url_pattern":"/s","extra_config":{"proxy":{"shadow":true,"shadow_timeout":"soon"}}}]}`,
			`endpoints[0].backend[1].extra_config.proxy.shadow_timeout: must be a duration above zero, such as "500ms", got "soon"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, err := config.Parse([]byte(`{"version":3,"endpoints":[` + tt.endpoint + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
