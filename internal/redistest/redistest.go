// Package redistest runs a real redis-server for tests: on 127.0.0.1, on a
// free port, in a temporary directory, without persistence (--save ”
// --appendonly no), listening on a Unix socket too. A test without redis-server on PATH is skipped, unless
// CI is set: then it fails (CI installs Debian's redis-server, see
// scripts/test.sh).
package redistest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running (or stopped) redis-server.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	sock string
	port int
	cmd  *exec.Cmd
}

// Start starts a redis-server, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed, and CI is set: install Debian's redis-server (scripts/test.sh does)")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server): skipped; with CI set this fails")
	}
	// The socket's directory is short: a socket's path has at most 107
	// bytes, and a test's temporary directory can be longer.
	sockDir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	s := &Server{t: t, bin: bin, dir: t.TempDir(), sock: filepath.Join(sockDir, "redis.sock"), port: freePort(t)}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Socket is the path of the server's Unix socket.
func (s *Server) Socket() string { return s.sock }

// Stop stops the server (no-op when stopped).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on its port, empty (or for the first
// time), and waits until it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--protected-mode", "yes",
		"--unixsocket", s.sock, "--unixsocketperm", "700")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr()) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("redis-server on %s did not answer PING within 10s", s.Addr())
}

func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// freePort returns a port of 127.0.0.1 nothing listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// BlackHole listens on 127.0.0.1 and accepts connections that never
// answer: a Redis server that hangs. It closes when the test ends.
func BlackHole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
