package h1names

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
)

// BenchmarkConn is the wrapper's cost per request: following a request
// of a keep-alive connection (a browser-like header block and a small
// body, read as net/http's server reads it) and handing its record to the
// handler (Next).
func BenchmarkConn(b *testing.B) {
	for _, c := range []struct{ name, host, day string }{
		{"canonical", "Host", "Day"},
		{"lower-case", "host", "day"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := []byte("POST /api/items?id=42 HTTP/1.1\r\n" + c.host + ": api.example.com\r\n" +
				"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\n" +
				"Accept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\n" +
				"Accept-Language: en-GB,en;q=0.5\r\nAuthorization: Bearer abc.def.ghi\r\n" +
				"Content-Type: application/json\r\n" + c.day + ": Thursday\r\n" +
				"Content-Length: 17\r\n\r\n{\"name\":\"thing\"}\n")
			client, server := net.Pipe()
			defer client.Close()
			conn := NewConn(server, 0)
			b.ReportAllocs()
			b.SetBytes(int64(len(req)))
			for b.Loop() {
				conn.p.Feed(req)
				if n := conn.Next(); (n != nil) != (c.day == "day") {
					b.Fatal("wrong record")
				}
			}
		})
	}
}

// BenchmarkServer is a whole net/http request (one keep-alive TCP
// connection, the request of BenchmarkConn with lower-case names,
// answered "ok") with and without the wrapper: the ratio of its cost.
func BenchmarkServer(b *testing.B) {
	req := []byte("POST /api/items?id=42 HTTP/1.1\r\nhost: api.example.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: application/json\r\nContent-Type: application/json\r\nday: Thursday\r\n" +
		"Content-Length: 17\r\n\r\n{\"name\":\"thing\"}\n")
	for _, wrapped := range []bool{false, true} {
		name := "plain"
		if wrapped {
			name = "wrapped"
		}
		b.Run(name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c := FromContext(r.Context()); c != nil && c.Next().Spelling("Day") != "day" {
					panic("not recorded")
				}
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, "ok")
			})}
			var l net.Listener = ln
			if wrapped {
				l = &Listener{Listener: ln}
				srv.ConnContext = ConnContext
			}
			go srv.Serve(l)
			defer srv.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
