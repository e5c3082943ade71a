package linger

import (
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair returns a server-side TCP connection and its client.
func pair(t *testing.T) (*net.TCPConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn), client
}

// TestDrain: a client still sending when the server closes reads the
// server's answer and then EOF, once it has sent everything within the
// bounds; past the bounds (bytes, idle time, whole time) the server closes.
func TestDrain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		bounds     Bounds
		send       int64         // bytes the client sends after the answer
		pause      time.Duration // the client's pause before sending
		wantAnswer bool          // the client sends all, then reads the answer
	}{
		{name: "7 MB within the bounds", bounds: Bounds{Time: 10 * time.Second, Idle: 2 * time.Second, Bytes: 64 << 20}, send: 7 << 20, wantAnswer: true},
		{name: "past the bytes", bounds: Bounds{Time: 10 * time.Second, Idle: 2 * time.Second, Bytes: 1 << 20}, send: 32 << 20},
		{name: "past the idle time", bounds: Bounds{Time: 10 * time.Second, Idle: 100 * time.Millisecond, Bytes: 64 << 20}, send: 1 << 20, pause: 500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, client := pair(t)
			io.WriteString(srv, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			if err := Close(srv, c.bounds); err != nil {
				t.Fatal(err)
			}
			client.SetDeadline(time.Now().Add(20 * time.Second))
			time.Sleep(c.pause)
			chunk := make([]byte, 64<<10)
			var sent int64
			var werr error
			for sent < c.send && werr == nil {
				var n int
				n, werr = client.Write(chunk)
				sent += int64(n)
			}
			answer, rerr := io.ReadAll(client)
			got := werr == nil && rerr == nil && len(answer) > 0
			if got != c.wantAnswer {
				t.Errorf("sent %d of %d (write error %v), read %q (error %v): answer read %v, want %v", sent, c.send, werr, answer, rerr, got, c.wantAnswer)
			}
		})
	}
}

// TestIdleClosesAtOnce: a connection marked idle closes without draining,
// which wakes the server's reader at once.
func TestIdleClosesAtOnce(t *testing.T) {
	t.Parallel()
	srv, client := pair(t)
	c := NewConn(srv, Default)
	c.SetIdle(true)
	read := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); read <- err }()
	time.Sleep(50 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-read:
	case <-time.After(time.Second):
		t.Fatal("the reader still waits after Close")
	}
	if c.Close() != nil {
		t.Error("a second Close failed")
	}
	client.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the client read %v, want EOF", err)
	}
	if Of(c) != c || Of(client) != nil {
		t.Error("Of")
	}
}
