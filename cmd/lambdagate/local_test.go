//go:build unix

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/backend/lambda"
	"github.com/lambdagate/lambdagate/internal/syncbuf"
	"github.com/lambdagate/lambdagate/lambdalocal"
)

// setLocalTestAWSEnv keeps anything AWS in the test away from real AWS.
func setLocalTestAWSEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
}

func TestRunLocalUsage(t *testing.T) {
	setLocalTestAWSEnv(t)
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no functions", nil, 2, "--functions is required"},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"--functions", "x", "extra"}, 2, `unexpected argument "extra"`},
		{"help", []string{"-h"}, 0, "Usage: lambdagate local"},
		{"missing folder", []string{"--functions", missing, "--addr", "127.0.0.1:0"}, 1, "functions directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := runLocal(tt.args, io.Discard, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}

// TestRunLocalServesUntilSIGTERM runs `lambdagate local`, invokes a
// function over HTTP, adds a function folder and sends SIGHUP (the new
// function is then served, the process lives on), and stops it with
// SIGTERM: exit code 0.
func TestRunLocalServesUntilSIGTERM(t *testing.T) {
	setLocalTestAWSEnv(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "exports.handler = async () => ({ statusCode: 200, body: JSON.stringify('Hello from Lambda!') });\n"
	if err := os.WriteFile(filepath.Join(dir, "hello", "index.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout := &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runLocal([]string{"--functions", dir, "--addr", "127.0.0.1:0", "--cache-dir", t.TempDir(), "--idle-timeout", "1m"}, stdout, io.Discard)
	}()
	urlPattern := regexp.MustCompile(`listening on (http://\S+) with 1 functions: hello`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(20 * time.Millisecond) {
		if m := urlPattern.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stdout: %q", stdout.String())
		}
	}
	resp, err := http.Post(url+"/2015-03-31/functions/hello/invocations", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"statusCode":200,"body":"\"Hello from Lambda!\""}`; resp.StatusCode != 200 || string(body) != want {
		t.Errorf("invoke: %d %s, want 200 %s", resp.StatusCode, body, want)
	}

	if err := os.Mkdir(filepath.Join(dir, "added"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "added", "index.js"), []byte("exports.handler = async () => 'added';\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var got string
	for deadline := time.Now().Add(10 * time.Second); got != `"added"`; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after SIGHUP the added function answered %q, want \"added\"", got)
		}
		resp, err := http.Post(url+"/2015-03-31/functions/added/invocations", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatalf("after SIGHUP: %v (did the signal end the process?)", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = string(body)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runLocal did not return after SIGTERM")
	}
}

// TestFunctionAttributeIsShared: the local runtime labels its metrics with
// the key of the gateway's Lambda metrics, so that the dashboards of
// `run --functions` join the two by function.
func TestFunctionAttributeIsShared(t *testing.T) {
	if lambdalocal.AttrFunction != lambda.AttrFunction {
		t.Errorf("lambdalocal.AttrFunction %q, lambda.AttrFunction %q", lambdalocal.AttrFunction, lambda.AttrFunction)
	}
}
