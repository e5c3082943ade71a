package lambda

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/proxy"
)

// Test credentials: dummies, never sent beyond 127.0.0.1.
const (
	testAccessKey = "AKIDLAMBDAGATETEST"
	testSecretKey = "lambdagate-test-secret"
)

// TestMain isolates the tests from the machine's AWS setup before any test
// runs, so that tests may run in parallel: dummy keys, no instance
// metadata, no shared files, no region.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdagate-aws")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ACCESS_KEY_ID":           testAccessKey,
		"AWS_SECRET_ACCESS_KEY":       testSecretKey,
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

// call is one request the fake Invoke server received.
type call = fakelambda.Call

// fakeLambda is the fake Invoke API (internal/fakelambda) on httptest,
// answering every call with a test's reply.
type fakeLambda struct{ *fakelambda.Server }

// newFake starts a fake Invoke API whose every call goes to reply with the
// attempt number (1-based); every call is recorded.
func newFake(t *testing.T, reply func(w http.ResponseWriter, c call, attempt int)) *fakeLambda {
	t.Helper()
	f := &fakeLambda{fakelambda.StartFunc(reply)}
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLambda) attempts() int { return int(f.Stats().Requests) }

func (f *fakeLambda) last(t *testing.T) call {
	t.Helper()
	calls := f.Calls()
	if len(calls) == 0 {
		t.Fatal("the fake Lambda received no call")
	}
	return calls[len(calls)-1]
}

// okJSON answers a successful invocation with body.
func okJSON(body string) func(http.ResponseWriter, call, int) {
	return func(w http.ResponseWriter, _ call, _ int) {
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amzn-Requestid", "req-1")
		io.WriteString(w, body)
	}
}

// echo answers with the payload it received.
func echo(w http.ResponseWriter, c call, _ int) {
	w.Header().Set("X-Amz-Executed-Version", "7")
	w.Write(c.Body)
}

// apiError answers an Invoke API error, as Lambda does.
func apiError(status int, code, msg string) func(http.ResponseWriter, call, int) {
	return func(w http.ResponseWriter, _ call, _ int) {
		w.Header().Set("X-Amzn-Errortype", code+":http://internal.amazon.com/coral/com.amazonaws.lambda/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
	}
}

// failThen answers with fail for the first n attempts, then with ok.
func failThen(n int, fail, ok func(http.ResponseWriter, call, int)) func(http.ResponseWriter, call, int) {
	return func(w http.ResponseWriter, c call, attempt int) {
		if attempt <= n {
			fail(w, c, attempt)
			return
		}
		ok(w, c, attempt)
	}
}

// fastBackoff keeps retry tests quick.
var fastBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })

// gatewayConfig is a one-endpoint configuration whose backend has the
// given backend/lambda namespace (JSON) and extra backend keys.
type gatewayConfig struct {
	endpoint       string // default /fn
	method         string // default GET
	outputEncoding string
	backendExtra   string // extra backend keys, JSON members with a trailing comma
	namespace      string // default backend/lambda
	lambda         string // the namespace's JSON object
	moreExtra      string // more extra_config members, with a leading comma
}

func (g gatewayConfig) json() string {
	if g.endpoint == "" {
		g.endpoint = "/fn"
	}
	if g.method == "" {
		g.method = "GET"
	}
	if g.namespace == "" {
		g.namespace = Namespace
	}
	oe := ""
	if g.outputEncoding != "" {
		oe = `"output_encoding": "` + g.outputEncoding + `",`
	}
	return `{"version": 3, "endpoints": [{"endpoint": "` + g.endpoint + `", "method": "` + g.method + `", ` + oe + `
		"backend": [{"host": ["http://unused.invalid"], "url_pattern": "/", ` + g.backendExtra + `
			"extra_config": {"` + g.namespace + `": ` + g.lambda + g.moreExtra + `}}]}]}`
}

func mustBuild(t *testing.T, g gatewayConfig) proxy.Proxy {
	t.Helper()
	p, err := build(t, g, nil)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return p
}

// getReq is a GET request as the endpoint handler makes it, its params in
// the order of their names (the tests name an endpoint's params in path
// order).
func getReq(params map[string]string) *proxy.Request {
	var p proxy.Params
	for _, k := range slices.Sorted(maps.Keys(params)) {
		p = append(p, params[k])
	}
	return &proxy.Request{Method: "GET", Path: "/fn", Params: p, Query: map[string][]string{}, Headers: http.Header{}, RemoteAddr: "127.0.0.1:5555", Host: "gw.example"}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

// certPEM is the PEM of a TLS test server's certificate.
func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func backoffOf(d time.Duration) retry.BackoffDelayer {
	return retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return d, nil })
}
