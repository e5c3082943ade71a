// Package linger closes TCP connections the way nginx's lingering close
// does, for both server engines: when the server closes a connection whose
// client is still sending (a body refused with 413 while the client, not
// waiting for 100 Continue, keeps writing), closing at once makes the
// kernel answer the client's next bytes with a reset, which destroys the
// response before the client reads it. Close shuts the server's side for
// writing, then reads and drops what the client still sends until it
// closes its side, bounded in time, idle time and bytes; only then is the
// connection closed.
//
// It must not parse what it reads: the bytes are discarded unread.
package linger

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The bounds of one lingering close (docs/RELIABILITY.md): like nginx's
// lingering_time and lingering_timeout, plus a bound in bytes.
const (
	// Time bounds the whole drain.
	Time = 30 * time.Second
	// Idle bounds the wait for the client's next bytes.
	Idle = 5 * time.Second
	// Bytes bounds what is read and dropped.
	Bytes = 64 << 20
)

// Bounds are the limits of one drain; tests shorten them.
type Bounds struct {
	Time, Idle time.Duration
	Bytes      int64
}

// Default holds Time, Idle and Bytes.
var Default = Bounds{Time: Time, Idle: Idle, Bytes: Bytes}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Close shuts c for writing and drains it in the background within b,
// then closes it. It returns nil unless the shutdown fails, when it closes
// c at once.
func Close(c *net.TCPConn, b Bounds) error {
	if err := c.CloseWrite(); err != nil {
		return c.Close()
	}
	go drain(c, b)
	return nil
}

func drain(c *net.TCPConn, b Bounds) {
	defer c.Close()
	end := time.Now().Add(b.Time)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for n < b.Bytes {
		d := time.Now().Add(b.Idle)
		if d.After(end) {
			d = end
		}
		if c.SetReadDeadline(d) != nil {
			return
		}
		m, err := c.Read(buf)
		n += int64(m)
		if err != nil {
			return // the client closed, went idle, or the time is up
		}
	}
}

// Listener hands out connections whose Close lingers (net/http's server:
// its own close after a refused body shuts for writing, waits 500ms and
// closes, which is too short for a client still sending megabytes).
type Listener struct {
	net.Listener
	Bounds Bounds
}

// Accept wraps TCP connections in Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return NewConn(tc, l.Bounds), nil
	}
	return c, err
}

// Conn is a TCP connection whose Close lingers, once, unless the server
// marked it idle (between requests: nothing is in flight, and the
// server's own reader is waiting on it, which only a close wakes).
type Conn struct {
	*net.TCPConn
	bounds Bounds
	idle   atomic.Bool
	once   sync.Once
	err    error
}

// NewConn returns c with a lingering Close within b.
func NewConn(c *net.TCPConn, b Bounds) *Conn { return &Conn{TCPConn: c, bounds: b} }

// SetIdle tells whether the connection waits between requests: a close
// then is at once.
func (c *Conn) SetIdle(idle bool) { c.idle.Store(idle) }

// Close lingers (Close), once; a connection marked idle closes at once.
func (c *Conn) Close() error {
	c.once.Do(func() {
		if c.idle.Load() {
			c.err = c.TCPConn.Close()
			return
		}
		c.err = Close(c.TCPConn, c.bounds)
	})
	return c.err
}

// Of returns the Conn under c (c itself, or the connection under a TLS
// connection), nil if none.
func Of(c net.Conn) *Conn {
	for {
		switch v := c.(type) {
		case *Conn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
}
