package gateway

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/kindtest"
)

// BenchmarkServe measures requests through the served gateway (fastserver,
// the default engine) on one keep-alive loopback connection, with canned
// backend replies. "limits" gives the endpoints different body limits, so
// that the server finds each request's limit before reading its body;
// "one-limit" does not. ns/op includes the client's share.
func BenchmarkServe(b *testing.B) {
	small := []byte(`{"message":"Hello from Lambda!","id":12345,"ok":true}`)
	endpoints := `[{"endpoint":"/a/{id}","backend":[{"url_pattern":"/a/{id}"}]},
		{"endpoint":"/b/{id}/{name}","method":"POST","extra_config":{"proxy":{"max_payload":4096}},"backend":[{"url_pattern":"/b/{Name}"}]}]`
	one := strings.Replace(endpoints, `"extra_config":{"proxy":{"max_payload":4096}},`, "", 1)
	requests := []struct{ name, raw string }{
		{"get-param", "GET /a/42 HTTP/1.1\r\nHost: gw\r\n\r\n"},
		// Names a client sent in lower case, which fastserver records
		// for payload 1.0 events (internal/wirenames).
		{"get-lower-case-names", "GET /a/42 HTTP/1.1\r\nhost: gw\r\nday: Thu\r\nx-api-key: k\r\n\r\n"},
		{"post-params", "POST /b/7/ann HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"x\":12345}"},
	}
	for _, cfgCase := range []struct{ name, endpoints string }{{"limits", endpoints}, {"one-limit", one}} {
		for _, rc := range requests {
			b.Run(cfgCase.name+"/"+rc.name, func(b *testing.B) {
				cfg, _, err := config.Parse([]byte(`{"version":3,"host":["h"],"extra_config":{"router":{"disable_access_log":true}},"endpoints":` + cfgCase.endpoints + `}`))
				if err != nil {
					b.Fatal(err)
				}
				gw, _, err := New(cfg, Options{Logger: quiet, Kinds: []backend.NewKind{kindtest.Canned(small)}})
				if err != nil {
					b.Fatal(err)
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				ctx, stop := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- gw.Serve(ctx, ln) }()
				defer func() { stop(); <-done }()
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				br := bufio.NewReader(c)
				var resp fasthttp.Response
				raw := []byte(rc.raw)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.Write(raw); err != nil {
						b.Fatal(err)
					}
					if err := resp.Read(br); err != nil {
						b.Fatal(err)
					}
					if resp.StatusCode() != 200 {
						b.Fatalf("status %d: %s", resp.StatusCode(), resp.Body())
					}
				}
			})
		}
	}
}
