package h1names

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs net/http's server on a Listener whose handler answers with
// how request's client spelt "Day" and the body it read.
func serve(t *testing.T, maxHeader int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		MaxHeaderBytes: maxHeader,
		ConnContext:    ConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			spelt := "Day"
			if c := FromContext(r.Context()); c != nil {
				if n := c.Next(); n != nil {
					spelt = n.Spelling("Day")
				}
			}
			body, _ := io.ReadAll(r.Body)
			io.WriteString(w, spelt+" "+r.Header.Get("Day")+" "+string(body))
		}),
	}
	go srv.Serve(&Listener{Listener: ln, MaxHeaderBytes: maxHeader})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestConnServer: on net/http's server, each request of a keep-alive
// connection (pipelined or not) gets its own spelling, bodies and
// trailers are skipped, and requests after a stop show canonical names.
func TestConnServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		maxHeader int
		writes    []string // written in turn, each answered before the next
		want      []string // the answers' bodies
	}{
		{name: "keep-alive, one request at a time",
			writes: []string{
				"POST / HTTP/1.1\r\nHost: a\r\nday: x\r\nContent-Length: 19\r\n\r\n\r\n\r\nX-Fake: 1\r\n\r\n\r\n",
				"GET / HTTP/1.1\r\nHost: a\r\nDay: y\r\n\r\n",
				"GET / HTTP/1.1\r\nHost: a\r\nDAY: z\r\n\r\n",
			},
			want: []string{"day x \r\n\r\nX-Fake: 1\r\n\r\n\r\n", "Day y ", "DAY z "}},
		{name: "pipelined, chunked with trailers",
			writes: []string{
				"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nday: 1\r\n\r\n3;e=v\r\nabc\r\n0\r\nday: t\r\n\r\n" +
					"GET / HTTP/1.1\r\nHost: a\r\nDay: 2\r\n\r\n" +
					"POST / HTTP/1.1\r\nHost: a\r\ndAy: 3\r\nContent-Length: 2\r\n\r\nhi",
			},
			want: []string{"day 1 abc", "Day 2 ", "dAy 3 hi"}},
		{name: "OPTIONS * keeps the order",
			writes: []string{"OPTIONS * HTTP/1.1\r\nHost: a\r\nday: o\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nday: g\r\n\r\n"},
			want:   []string{"", "day g "}},
		{name: "an Upgrade stops: canonical names afterwards",
			writes: []string{
				"GET / HTTP/1.1\r\nHost: a\r\nday: u\r\nUpgrade: x\r\n\r\n",
				"GET / HTTP/1.1\r\nHost: a\r\nday: w\r\n\r\n",
			},
			want: []string{"Day u ", "Day w "}},
		{name: "a header block near the server's limit is recorded",
			maxHeader: 1,
			writes: []string{
				"GET / HTTP/1.1\r\nHost: a\r\nday: " + strings.Repeat("v", 3900) + "\r\n\r\n",
				"GET / HTTP/1.1\r\nHost: a\r\nday: w\r\n\r\n",
			},
			want: []string{"day " + strings.Repeat("v", 3900) + " ", "day w "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", serve(t, c.maxHeader))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(conn)
			var got []string
			for _, w := range c.writes {
				if _, err := io.WriteString(conn, w); err != nil {
					t.Fatal(err)
				}
				for n := strings.Count(w, " HTTP/1.1\r\n"); n > 0; n-- {
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					got = append(got, string(b))
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("answers %q, want %q", got, c.want)
			}
		})
	}
}
