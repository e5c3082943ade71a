package fastserver

import (
	"io"
	"net"
	"sync"
	"time"
)

// Lingering close: when the server closes a connection whose client is
// still sending (a body refused with 413, a request cut by a timeout),
// closing at once makes the kernel answer the client's next bytes with a
// reset, which can destroy the response before the client reads it. Like
// net/http, the server first shuts its side for writing, then reads and
// drops what the client still sends, for a bounded time and amount.
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 256 << 10
)

// lingerListener hands out connections that close with a linger.
type lingerListener struct {
	net.Listener
	once sync.Once
}

// Close closes the listener once (Shutdown, Close and fasthttp's own
// Serve may each close it); it always returns nil.
func (l *lingerListener) Close() error {
	l.once.Do(func() { l.Listener.Close() })
	return nil
}

// Accept wraps TCP connections in lingerConn.
func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &lingerConn{TCPConn: tc}, nil
	}
	return c, err
}

// lingerConn is a TCP connection whose Close lingers in the background.
// It also keeps what requests on the connection share, so that each need
// not allocate it (only the connection's serving goroutine uses these).
type lingerConn struct {
	*net.TCPConn
	remote string // the client's address as text, once known
	host   string // the last request's Host
}

// Close shuts the connection for writing, and closes it once the client
// has closed its side or lingerTime has passed. It drops up to lingerBytes
// of what the client sends meanwhile, then stops reading, so that a client
// still sending blocks (and reads the response) instead of being reset.
func (c *lingerConn) Close() error {
	if err := c.TCPConn.CloseWrite(); err != nil {
		return c.TCPConn.Close()
	}
	go func() {
		deadline := time.Now().Add(lingerTime)
		c.TCPConn.SetReadDeadline(deadline)
		n, err := io.CopyN(io.Discard, c.TCPConn, lingerBytes)
		if n == lingerBytes && err == nil {
			time.Sleep(time.Until(deadline))
		}
		c.TCPConn.Close()
	}()
	return nil
}
