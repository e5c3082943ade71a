package botdetect

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

func detector(t testing.TB, opts string) *Detector {
	t.Helper()
	x := config.NewExtraConfig("extra_config", map[string]json.RawMessage{Namespace: json.RawMessage(opts)})
	d, err := New(&x)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIsBot(t *testing.T) {
	t.Parallel()
	const rules = `"allow": ["MyAndroidClient/1.0", "Pingdom.com_bot_version_1.1"], "deny": ["a", "b"],
		"patterns": ["(Pingdom.com_bot_version_).*", "(facebookexternalhit)/.*", "Googlebot"]`
	for _, c := range []struct {
		name, opts, ua string
		bot            bool
	}{
		{"allowed exactly", rules, "MyAndroidClient/1.0", false},
		{"allow beats a pattern", rules, "Pingdom.com_bot_version_1.1", false},
		{"a pattern, not allowed", rules, "Pingdom.com_bot_version_1.2", true},
		{"denied exactly", rules, "a", true},
		{"deny is exact", rules, "ab", false},
		{"pattern", rules, "facebookexternalhit/1.1", true},
		{"pattern unanchored", rules, "Mozilla/5.0 (compatible; Googlebot/2.1)", true},
		{"nothing matches", rules, "curl/8.5", false},
		{"empty user agent, default", rules, "", false},
		{"empty user agent is a bot", rules + `, "empty_user_agent_is_bot": true`, "", true},
		{"cached verdicts", rules + `, "cache_size": 2`, "facebookexternalhit/2", true},
	} {
		d := detector(t, "{"+c.opts+"}")
		for i := range 2 { // the second time from the cache, when there is one
			if got := d.IsBot(c.ua); got != c.bot {
				t.Errorf("%s: IsBot(%q) = %v (call %d), want %v", c.name, c.ua, got, i+1, c.bot)
			}
		}
	}
}

// The cache holds cache_size verdicts at most, the least recently used
// evicted first; no cache with cache_size 0.
func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	d := detector(t, `{"patterns": ["bot"], "cache_size": 3}`)
	for i := range 100 {
		d.IsBot(fmt.Sprintf("ua-%d", i))
	}
	if n := d.cache.len(); n != 3 {
		t.Errorf("cache holds %d verdicts, want 3", n)
	}
	d.IsBot("ua-97") // most recent now
	d.IsBot("ua-new")
	if _, ok := d.cache.get("ua-97"); !ok {
		t.Error("the recently used ua-97 was evicted")
	}
	if _, ok := d.cache.get("ua-98"); ok {
		t.Error("the least recently used ua-98 is still cached")
	}
	if d := detector(t, `{"patterns": ["bot"]}`); d.cache != nil {
		t.Error("a cache without cache_size")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ opts, want string }{
		{`{"patterns": ["ok", "(unclosed"]}`, `extra_config["security/bot-detector"].patterns[1]: "(unclosed" is not a regular expression`},
		{`{"cache_size": -1}`, `extra_config["security/bot-detector"].cache_size: must be 0`},
		{`{"allowed": ["x"]}`, `allowed: unknown key`},
	} {
		x := config.NewExtraConfig("extra_config", map[string]json.RawMessage{Namespace: json.RawMessage(c.opts)})
		_, err := New(&x)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.opts, err, c.want)
		}
	}
	x := config.NewExtraConfig("extra_config", nil)
	if d, err := New(&x); d != nil || err != nil {
		t.Errorf("no namespace: %v, %v; want no detector", d, err)
	}
}

func TestWrapRefusesBots(t *testing.T) {
	t.Parallel()
	d := detector(t, `{"deny": ["evil/1"]}`)
	h := d.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	for ua, want := range map[string]int{"evil/1": 403, "good/1": 200} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("User-Agent", ua)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want || (want == 403 && w.Body.Len() != 0) {
			t.Errorf("%s: %d %q, want %d", ua, w.Code, w.Body, want)
		}
	}
}

// BenchmarkIsBot is a cached verdict (the bar: at most 1 µs), and the
// rules applied without a cache, with 10 patterns.
func BenchmarkIsBot(b *testing.B) {
	patterns := `"patterns": ["Googlebot", "bingbot", "Baiduspider", "YandexBot", "DuckDuckBot", "Slurp", "facebookexternalhit", "(?i)crawler", "(?i)spider", "^python-requests/"]`
	const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	for _, c := range []struct{ name, opts string }{
		{"cache-hit", `{` + patterns + `, "cache_size": 1000}`},
		{"no-cache", `{` + patterns + `}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			d := detector(b, c.opts)
			d.IsBot(ua)
			b.ReportAllocs()
			for b.Loop() {
				if d.IsBot(ua) {
					b.Fatal("a bot")
				}
			}
		})
	}
}
