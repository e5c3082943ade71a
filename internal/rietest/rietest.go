// Package rietest starts the AWS Runtime Interface Emulator for tests: it
// builds a Go function (a main package using aws-lambda-go) and serves it
// through the emulator's Invoke API on 127.0.0.1. The emulator serves the
// function name "function" only, one invocation at a time.
//
// This package is for tests only: it takes a testing.TB and fails or skips
// the test itself.
package rietest

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Version is the emulator's module version that CI installs.
const Version = "v0.0.0-20261030222936-bef5c4ba774d"

// Binary finds aws-lambda-rie on PATH or in GOPATH/bin. When it is missing
// the test is skipped, or fails when CI is "true" (CI installs it).
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "aws-lambda-rie")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	msg := "aws-lambda-rie not found: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + Version
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start builds the Go main package at functionDir, serves it through the
// emulator, and returns the Invoke endpoint URL (http://127.0.0.1:PORT).
// The emulator is stopped when the test ends.
func Start(t testing.TB, functionDir string) string {
	t.Helper()
	rie := Binary(t)
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-o", bootstrap, functionDir).CombinedOutput(); err != nil {
		t.Fatalf("building the test function %s: %v\n%s", functionDir, err, out)
	}
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=error")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port the kernel chose.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
