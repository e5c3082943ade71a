package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// security/bot-detector on the service refuses a bot with 403 before
// routing (a path with no endpoint too) and before the service's rate
// limit (a bot takes no token); on an endpoint, that endpoint only, among
// the endpoint's layers (after the service's).
func TestBotDetector(t *testing.T) {
	t.Parallel()
	h := builtGateway(t, `{"version": 3, "host": ["h"],
		"extra_config": {"security/bot-detector": {"deny": ["evil/1"], "patterns": ["(?i)crawler"], "cache_size": 10},
		 "qos/ratelimit/service": {"max_rate": 2, "capacity": 2, "every": "1h"}},
		"endpoints": [
		 {"endpoint": "/a", "backend": [{"url_pattern": "/"}]},
		 {"endpoint": "/b", "extra_config": {"security/bot-detector": {"empty_user_agent_is_bot": true}}, "backend": [{"url_pattern": "/"}]}]}`, hello)
	ua := func(v string) http.Header { return http.Header{"User-Agent": {v}} }
	for i, c := range []struct {
		path   string
		header http.Header
		want   int
	}{
		{"/a", ua("evil/1"), 403},
		{"/nowhere", ua("SomeCrawler/2"), 403},
		{"/a", ua("evil/1"), 403},
		{"/a", ua("good/1"), 200},  // the service's first token: the bots took none
		{"/b", http.Header{}, 403}, // the endpoint's own detector, after the service's token
		{"/a", http.Header{}, 503}, // the service's limit: no User-Agent is no bot on /a
	} {
		w := from(h, "192.0.2.1:1", c.path, c.header)
		if w.Code != c.want || (c.want == 403 && w.Body.Len() != 0) {
			t.Errorf("call %d (%s %v): %d %q, want %d", i+1, c.path, c.header, w.Code, w.Body, c.want)
		}
	}
}

func TestBotDetectorErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cfg, want string }{
		{`{"version": 3, "extra_config": {"security/bot-detector": {"patterns": ["("]}}, "endpoints": []}`, `extra_config["security/bot-detector"].patterns[0]: "(" is not a regular expression`},
		{`{"version": 3, "host": ["h"], "endpoints": [{"endpoint": "/a", "extra_config": {"security/bot-detector": {"cache_size": -2}}, "backend": [{"url_pattern": "/"}]}]}`, `endpoints[0].extra_config["security/bot-detector"].cache_size: must be 0`},
	} {
		g, _, err := New(parse(t, c.cfg), Options{Logger: quiet, Kinds: hello})
		if err == nil {
			g.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
