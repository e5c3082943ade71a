// Package layertest holds what the tests of the service's route layers
// (security/cors, security/httpsecure, and the gateway's tests of both)
// share: a service's extra_config from JSON, the checks of what a layer's
// New returned, and of the headers an answer carries. Real programs never
// use it.
package layertest

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

// Extra parses a service whose extra_config is the JSON object ec.
func Extra(t testing.TB, ec string) *config.ExtraConfig {
	t.Helper()
	s, _, err := config.Parse([]byte(`{"version": 3, "extra_config": ` + ec + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return &s.ExtraConfig
}

// NewCase is one extra_config given to a layer's New, and what New must
// return for it.
type NewCase struct {
	Name  string
	Extra string // the service's extra_config, a JSON object
	// Absent says New returns no layer (the namespace is absent, or wrong).
	Absent bool
	// Errs are the lines of the error; Warns the warnings.
	Errs, Warns []string
}

// RunNew runs each case through build (a layer's New: whether it built a
// layer, its warnings, its error) and checks that every namespace was
// read, whatever the outcome.
func RunNew(t *testing.T, cases []NewCase, build func(*config.ExtraConfig) (bool, []string, error)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			x := Extra(t, tc.Extra)
			built, warns, err := build(x)
			if built == tc.Absent {
				t.Errorf("layer built = %v, want %v", built, !tc.Absent)
			}
			var errs []string
			if err != nil {
				errs = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(errs, tc.Errs) {
				t.Errorf("errors =\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(tc.Errs, "\n"))
			}
			if !reflect.DeepEqual(warns, tc.Warns) {
				t.Errorf("warnings = %q, want %q", warns, tc.Warns)
			}
			if unused := x.Unused(); len(unused) != 0 {
				t.Errorf("namespaces left unused: %q", unused)
			}
		})
	}
}

// Headers checks that each header of want has exactly the value given,
// its values joined with ", " ("" means absent).
func Headers(t testing.TB, got http.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g := strings.Join(got.Values(k), ", "); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
}

// OptionCase is one request through a layer built from one namespace's
// options, and the answer it must get.
type OptionCase struct {
	name, options string
	req           *http.Request
	status        int
	want          map[string]string // headers; "" means absent
	next          bool              // whether the request reaches the handler behind the layer
}

// Case returns an OptionCase: the request req, sent through the layer the
// namespace's options (a JSON object) build, gets status and the headers of
// want, and reaches the handler behind the layer or not (next).
func Case(name, options string, req *http.Request, status int, want map[string]string, next bool) OptionCase {
	return OptionCase{name, options, req, status, want, next}
}

// RunOptions runs every case through the layer build (a layer's New) makes
// of the extra_config {namespace: options}, around a handler that counts
// its calls and answers 200 "ok".
func RunOptions(t *testing.T, namespace string, cases []OptionCase, build func(*config.ExtraConfig) (func(http.Handler) http.Handler, error)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mw, err := build(Extra(t, `{"`+namespace+`": `+tc.options+`}`))
			if err != nil || mw == nil {
				t.Fatalf("New = %v, %v", mw != nil, err)
			}
			calls := 0
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls++
				w.Write([]byte("ok"))
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if (calls == 1) != tc.next {
				t.Errorf("handler called %d times, want called = %v", calls, tc.next)
			}
			Headers(t, w.Header(), tc.want)
		})
	}
}
