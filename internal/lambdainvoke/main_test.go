package lambdainvoke

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

func TestMain(m *testing.M) { invoketest.Main(m) }

// call is one request the fake Invoke server received.
type call = fakelambda.Call

// startClient starts a fake Invoke API answering reply and returns it with
// a Client of key whose endpoint is the fake.
func startClient(t *testing.T, key Key, reply fakelambda.Reply) (*Client, *invoketest.Fake) {
	t.Helper()
	f := invoketest.Start(t, reply)
	key.Endpoint = f.URL
	c, err := New(context.Background(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdle)
	return c, f
}

// invocation is a synchronous invocation of fn with an empty JSON object.
func invocation(fn string) *Invocation {
	return &Invocation{FunctionName: fn, InvocationType: lambdaapi.InvocationRequestResponse, Payload: []byte(`{}`)}
}

// hostOf is the host:port of a fake's URL.
func hostOf(f *invoketest.Fake) string { return strings.TrimPrefix(f.URL, "http://") }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
