package authorizer

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/clientip"
)

// The REQUEST events' sourceIp is the client's address as the router's
// client-IP options resolve it: behind a trusted proxy, the forwarded one.
func TestEventSourceIPIsTheResolvedClient(t *testing.T) {
	t.Parallel()
	ips, _, err := clientip.New("router", clientip.Options{ForwardedByClientIP: true, TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	e := testEndpoint(t, `{"endpoint": "/a", "backend": [{"url_pattern": "/"}]}`)
	for v, opts := range map[string]string{
		"REST REQUEST": `"1.0", "identity_source": ["method.request.header.A", "method.request.querystring.q"]`,
		"HTTP API 1.0": `"1.0", "identity_source": ["$request.header.A"]`,
		"HTTP API 2.0": `"2.0", "identity_source": ["$request.header.A"]`,
	} {
		a := testAuthorizer(t, e, `{"function_name": "f", "payload_format_version": `+opts+`}`, nil)
		a.clientIP = ips
		r := httptest.NewRequest("GET", "/a", nil)
		r.RemoteAddr = "10.0.0.2:5555"
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		b, err := a.event(eventFor{r: r, values: []string{"t", "q"}, now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			RequestContext struct {
				Identity struct{ SourceIP string } `json:"identity"`
				HTTP     struct{ SourceIP string } `json:"http"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		got := ev.RequestContext.Identity.SourceIP + ev.RequestContext.HTTP.SourceIP
		if got != "203.0.113.9" {
			t.Errorf("%s: sourceIp %q, want 203.0.113.9 (%s)", v, got, b)
		}
	}
}
