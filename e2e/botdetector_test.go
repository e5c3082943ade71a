package e2e

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// KrakenD CE's bot-detector specs (tests/fixtures/specs/botdetector_*.json
// in krakend/krakend-ce), through the binary on both server engines: a
// denied User-Agent and one a pattern matches (but not the allow list's
// exact entry) get 403 with an empty body, no Content-Type and no
// X-Krakend-Completed, and reach no backend; an allowed one is served.
func TestBotDetectorSpecs(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(be.Close)
	for _, engine := range []string{"fasthttp", "net/http"} {
		t.Run(engine, func(t *testing.T) {
			hits.Store(0)
			gw := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"],
			  "extra_config": {"lambdagate/server": {"engine": "`+engine+`"},
			    "security/bot-detector": {"allow": ["MyAndroidClient/1.0", "Pingdom.com_bot_version_1.1"], "deny": ["a", "b"],
			      "patterns": ["(Pingdom.com_bot_version_).*", "(facebookexternalhit)/.*"], "cache_size": 10000}},
			  "endpoints": [{"endpoint": "/param_forwarding/{a}/{b}/{c}", "backend": [{"url_pattern": "/"}]}]}`)
			for ua, want := range map[string]int{
				"a": 403, "Pingdom.com_bot_version_1.14": 403, "facebookexternalhit/1.1": 403,
				"Pingdom.com_bot_version_1.1": 200, "MyAndroidClient/1.0": 200, "curl/8": 200,
			} {
				r := do(t, "GET", gw.URL+"/param_forwarding/some/foo/bar", "", map[string]string{"User-Agent": ua})
				if r.Status != want {
					t.Errorf("%q: %d, want %d", ua, r.Status, want)
				}
				if want == 403 && (r.Body != "" || r.Header.Get("Content-Type") != "" || r.Header.Get("X-Krakend-Completed") != "") {
					t.Errorf("%q: body %q, Content-Type %q, X-Krakend-Completed %q; want all empty", ua, r.Body, r.Header.Get("Content-Type"), r.Header.Get("X-Krakend-Completed"))
				}
			}
			if n := hits.Load(); n != 3 {
				t.Errorf("backend hits = %d, want 3 (the bots reach none)", n)
			}
		})
	}
}
