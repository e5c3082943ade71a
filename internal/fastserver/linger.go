package fastserver

import (
	"net"
	"sync"

	"github.com/lambdagate/lambdagate/internal/linger"
)

// lingerListener hands out connections that close with a lingering close
// (internal/linger), within bounds.
type lingerListener struct {
	net.Listener
	bounds linger.Bounds
	once   sync.Once
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
		lc := &lingerConn{}
		lc.Conn = *linger.NewConn(tc, l.bounds)
		return lc, nil
	}
	return c, err
}

// lingerConn is a TCP connection whose Close lingers in the background.
// It also keeps what requests on the connection share, so that each need
// not allocate it (only the connection's serving goroutine uses these).
type lingerConn struct {
	linger.Conn
	remote string // the client's address as text, once known
	host   string // the last request's Host
}
