// Package invoketest is the harness of the tests that invoke functions
// through internal/lambdainvoke (its own and backend/lambda's): an AWS
// environment isolated from the machine's (Main), the fake Invoke API of
// internal/fakelambda started per test (Start) with canned replies, and a
// check of the SigV4 signature of what it received (CheckSignature).
//
// This package is for tests only: it takes a testing.TB and fails the test
// itself.
package invoketest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// Test credentials: dummies, never sent beyond 127.0.0.1.
const (
	AccessKey = "AKIDLAMBDAGATETEST"
	SecretKey = "lambdagate-test-secret"
)

// Main is a test package's TestMain: it isolates the tests from the
// machine's AWS setup before any test runs, so that tests may run in
// parallel (dummy keys, no instance metadata, no shared files, no region),
// runs them and exits.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdagate-aws")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ACCESS_KEY_ID":           AccessKey,
		"AWS_SECRET_ACCESS_KEY":       SecretKey,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA", "AWS_MAX_ATTEMPTS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Fake is the fake Invoke API (internal/fakelambda) on 127.0.0.1,
// answering every call with a test's reply and recording it.
type Fake struct{ *fakelambda.Server }

// Start starts a Fake whose every Invoke call goes to reply; it stops with
// the test.
func Start(t testing.TB, reply fakelambda.Reply) *Fake {
	t.Helper()
	f := &Fake{fakelambda.StartFunc(reply)}
	t.Cleanup(f.Close)
	return f
}

// Requests returns how many Invoke calls the Fake got.
func (f *Fake) Requests() int { return int(f.Stats().Requests) }

// Last returns the last call the Fake got; the test fails if it got none.
func (f *Fake) Last(t testing.TB) fakelambda.Call {
	t.Helper()
	calls := f.Calls()
	if len(calls) == 0 {
		t.Fatal("the fake Lambda received no call")
	}
	return calls[len(calls)-1]
}

// JSON answers a successful invocation with body (executed version
// $LATEST, request id req-1).
func JSON(body string) fakelambda.Reply {
	return func(w http.ResponseWriter, _ fakelambda.Call, _ int) {
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amzn-Requestid", "req-1")
		io.WriteString(w, body)
	}
}

// Echo answers with the payload it received (executed version 7).
func Echo(w http.ResponseWriter, c fakelambda.Call, _ int) {
	w.Header().Set("X-Amz-Executed-Version", "7")
	w.Write(c.Body)
}

// APIError answers an Invoke API error, as Lambda does: the code in
// X-Amzn-ErrorType, followed by a URL.
func APIError(status int, code, msg string) fakelambda.Reply {
	return func(w http.ResponseWriter, _ fakelambda.Call, _ int) {
		w.Header().Set("X-Amzn-Errortype", code+":http://internal.amazon.com/coral/com.amazonaws.lambda/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
	}
}

// FailThen answers with fail for the first n attempts, then with ok.
func FailThen(n int, fail, ok fakelambda.Reply) fakelambda.Reply {
	return func(w http.ResponseWriter, c fakelambda.Call, attempt int) {
		if attempt <= n {
			fail(w, c, attempt)
			return
		}
		ok(w, c, attempt)
	}
}

// Drop is a transport failure: the connection drops with no answer.
func Drop(w http.ResponseWriter, _ fakelambda.Call, _ int) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// FunctionNames seed the fuzz targets of function names: names, aliases
// and ARNs, and what only looks like them (path tricks, escapes, globs,
// bytes no name holds).
var FunctionNames = []string{
	"users", "orders-list", "orders-a:prod", "orders-a:$LATEST", "billing", "../users", "users/../billing",
	"orders-%2F..", "orders-\x00", "orders-\xff", "orders-a?x=1", "orders-a#f", "arn:aws:lambda:us-east-1:123456789012:function:users",
	"123456789012:function:users", "orders-" + strings.Repeat("a", 200), "USERS", "orders-*", "orders-[a]", "users:",
}

// Backoff waits d before every retry.
func Backoff(d time.Duration) retry.BackoffDelayer {
	return retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return d, nil })
}

// FastBackoff keeps retry tests quick.
var FastBackoff = Backoff(time.Millisecond)

// CheckSignature re-signs the request the fake received and compares: the
// request must be SigV4-signed with the given keys for region and service
// lambda, over the exact body sent. host is the fake's host:port.
func CheckSignature(t testing.TB, c fakelambda.Call, host, region, accessKey, secret string) {
	t.Helper()
	auth := c.Header.Get("Authorization")
	date := c.Header.Get("X-Amz-Date")
	if date == "" || !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		t.Fatalf("request is not SigV4-signed: Authorization %q, X-Amz-Date %q", auth, date)
	}
	scope := "Credential=" + accessKey + "/" + date[:8] + "/" + region + "/lambda/aws4_request"
	if !strings.Contains(auth, scope) {
		t.Fatalf("Authorization %q lacks scope %q", auth, scope)
	}
	when, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + host + c.Path
	if c.Query != "" {
		u += "?" + c.Query
	}
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(c.Body))
	for k, vs := range c.Header {
		if k != "Authorization" {
			req.Header[k] = vs
		}
	}
	req.Header.Del("Content-Length")
	sum := sha256.Sum256(c.Body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret, SessionToken: c.Header.Get("X-Amz-Security-Token")}, req, hex.EncodeToString(sum[:]), "lambda", region, when)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != auth {
		t.Fatalf("signature does not verify:\n got  %s\n want %s", auth, got)
	}
}
