package h1names

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// defaultMaxHeaderBytes is net/http's http.DefaultMaxHeaderBytes.
const defaultMaxHeaderBytes = 1 << 20

// Listener hands out connections that record their requests' header
// names (Conn). Serve them with an http.Server whose ConnContext is
// ConnContext and whose handler calls Next for each request; the server
// answers OPTIONS * itself (DisableGeneralOptionsHandler false), which
// the parser counts out.
type Listener struct {
	net.Listener
	// MaxHeaderBytes is the server's http.Server.MaxHeaderBytes (0: its
	// default): a header block larger than the server reads stops the
	// recording.
	MaxHeaderBytes int
}

// Accept wraps the connection in a Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	return NewConn(c, l.MaxHeaderBytes), nil
}

// Conn is a connection that records, for each request read from it, the
// header names its client did not send canonical.
type Conn struct {
	net.Conn
	p Parser

	mu      sync.Mutex
	pending []entry // recorded, not yet taken by Next, in request order
	served  uint64  // requests taken by Next
}

type entry struct {
	index uint64
	names *wirenames.Names
}

// NewConn returns c recording the names of its requests, for a server
// reading header blocks of up to maxHeaderBytes (0: net/http's default).
func NewConn(c net.Conn, maxHeaderBytes int) *Conn {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = defaultMaxHeaderBytes
	}
	hc := &Conn{Conn: c}
	// net/http reads a header block of up to MaxHeaderBytes plus 4 KiB.
	hc.p.MaxHeader = maxHeaderBytes + 4096
	hc.p.Record = hc.record
	return hc
}

func (c *Conn) record(index uint64, n *wirenames.Names) {
	c.mu.Lock()
	c.pending = append(c.pending, entry{index, n})
	c.mu.Unlock()
}

// Read reads from the connection and follows what it read.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.p.Feed(b[:n])
	}
	return n, err
}

// Next returns the names recorded for the connection's next request (the
// server calls its handler once per request, in order): nil when every
// name was canonical or the recording has stopped.
func (c *Conn) Next() *wirenames.Names {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.served
	c.served++
	for len(c.pending) > 0 && c.pending[0].index < k {
		c.pending = c.pending[1:]
	}
	if len(c.pending) == 0 || c.pending[0].index != k {
		return nil
	}
	n := c.pending[0].names
	c.pending[0] = entry{}
	c.pending = c.pending[1:]
	return n
}

// NetConn returns the connection under c.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// CloseWrite shuts the connection under c for writing, when it can
// (net/http's server does so before closing after an error).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// ReadFrom copies r to the connection, with the connection's own
// ReadFrom when it has one (sendfile, splice).
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

type ctxKey struct{}

// ConnContext is an http.Server.ConnContext: a Conn's requests' contexts
// carry it (FromContext).
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if hc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, ctxKey{}, hc)
	}
	return ctx
}

// FromContext returns the Conn a request's context carries, nil if none.
func FromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(ctxKey{}).(*Conn)
	return c
}
