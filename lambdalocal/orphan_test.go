package lambdalocal

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRuntimeClientsExitWhenTheRuntimeAPIIsGone runs each runtime client
// as an orphan of a dead gateway would find itself: its Runtime API drops
// the connection it waits on for work (or refuses it), and its output pipe
// has no reader. The client must exit within a few seconds, not retry or
// spin.
func TestRuntimeClientsExitWhenTheRuntimeAPIIsGone(t *testing.T) {
	clients, err := installRuntimeClients(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	type runtimeCase struct {
		name, interpreter, file, handlerFile, handler, code string
	}
	runtimes := []runtimeCase{
		{"nodejs", "node", nodeClient, "index.js", "index.handler", "exports.handler = async () => ({ok: true});\n"},
		{"python", "python3", pythonClient, "lambda_function.py", "lambda_function.lambda_handler", "def lambda_handler(event, context):\n    return {}\n"},
	}
	for _, rt := range runtimes {
		for _, how := range []string{"dropped", "refused"} {
			t.Run(rt.name+"/"+how, func(t *testing.T) {
				interp, err := exec.LookPath(rt.interpreter)
				if err != nil {
					if rt.name == "python" {
						requirePython(t)
					}
					t.Skipf("%s is not on PATH", rt.interpreter)
				}
				root := t.TempDir()
				if err := os.WriteFile(filepath.Join(root, rt.handlerFile), []byte(rt.code), 0o644); err != nil {
					t.Fatal(err)
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				asked := make(chan struct{})
				if how == "refused" {
					ln.Close()
					close(asked)
				} else {
					// Accepts the request for work, then goes away as a
					// killed gateway does.
					go func() {
						c, err := ln.Accept()
						ln.Close()
						if err != nil {
							return
						}
						http.ReadRequest(bufio.NewReader(c))
						close(asked)
						c.Close()
					}()
				}
				args := []string{filepath.Join(clients, filepath.FromSlash(rt.file))}
				if rt.name == "python" {
					args = append([]string{"-u"}, args...)
				}
				cmd := exec.Command(interp, args...)
				cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+addr, "_HANDLER="+rt.handler, "LAMBDA_TASK_ROOT="+root)
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stdout, cmd.Stderr = w, w
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				w.Close()
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				select {
				case <-asked:
				case <-time.After(20 * time.Second):
					cmd.Process.Kill()
					<-exited
					t.Fatal("the client never asked for work")
				}
				r.Close() // the gateway's end of the output is gone too
				select {
				case err := <-exited:
					if err == nil {
						t.Errorf("the client exited with status 0; want a failure status")
					}
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-exited
					t.Fatalf("the client was still running 5s after its Runtime API went away")
				}
			})
		}
	}
}
