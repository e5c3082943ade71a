package h1names

import (
	"net"
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
