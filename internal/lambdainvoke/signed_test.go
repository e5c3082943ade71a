package lambdainvoke

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdagate/lambdagate/internal/invoketest"
	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

func TestSignedRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                 string
		key                  Key
		function             string
		wantRegion, wantPath string
	}{
		{"region", Key{Region: "us-west-2"}, "my-fn", "us-west-2", "/2015-03-31/functions/my-fn/invocations"},
		{"endpoint without region signs for us-east-1", Key{}, "my-fn", "us-east-1", "/2015-03-31/functions/my-fn/invocations"},
		{"full ARN escaped as the SDK does", Key{Region: "eu-west-1"}, "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live", "eu-west-1", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Amy-fn%3Alive/invocations"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, f := startClient(t, tc.key, invoketest.JSON(`{"ok":true}`))
			if _, err := c.Invoke(ctxT(t), invocation(tc.function)); err != nil {
				t.Fatal(err)
			}
			call := f.Last(t)
			if call.Path != tc.wantPath {
				t.Errorf("path %q, want %q", call.Path, tc.wantPath)
			}
			if got := call.Header.Get("Content-Type"); got != "application/octet-stream" {
				t.Errorf("Content-Type %q", got)
			}
			invoketest.CheckSignature(t, call, hostOf(f), tc.wantRegion, invoketest.AccessKey, invoketest.SecretKey)
		})
	}
}

// TestLocal: a local runtime's requests are signed for us-east-1 with the
// dummy local credentials, whatever the environment holds.
func TestLocal(t *testing.T) {
	t.Parallel()
	c, f := startClient(t, Key{Local: true}, invoketest.JSON(`{"local":true}`))
	res, err := c.Invoke(ctxT(t), invocation("fn"))
	if err != nil || string(res.Payload) != `{"local":true}` {
		t.Fatalf("res %+v err %v", res, err)
	}
	invoketest.CheckSignature(t, f.Last(t), hostOf(f), "us-east-1", "lambdagate-local", "lambdagate-local")
}

// TestSenders: both senders send the same signed request and read the
// same result and error answers; the request is pooled only for
// fasthttp's sender with an endpoint that parses, as decided in
// newClient.
func TestSenders(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, func(w http.ResponseWriter, c call, n int) {
		if c.Name == "missing" {
			invoketest.APIError(404, lambdaapi.CodeResourceNotFound, "Function not found")(w, c, n)
			return
		}
		w.Header().Set(lambdaapi.HeaderLogResult, "bG9n")
		invoketest.JSON(`{"ok":true}`)(w, c, n)
	})
	fast, err := newSender(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := newHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewStaticCredentialsProvider(invoketest.AccessKey, invoketest.SecretKey, "")
	in := func(fn string) *Invocation {
		return &Invocation{FunctionName: fn, Qualifier: "live", InvocationType: lambdaapi.InvocationEvent, LogTail: true, TraceHeader: "Root=1-x", Payload: []byte(`{"a":1}`)}
	}
	var want *Result
	var wantErr string
	for _, tc := range []struct {
		name       string
		snd        sender
		wantPooled bool
	}{
		{"fasthttp", fast, true},
		{"net/http", &netSender{client: hc}, false},
	} {
		c := newClient(f.URL, "eu-west-1", creds, tc.snd)
		if c.pooled != tc.wantPooled {
			t.Errorf("%s: pooled %v", tc.name, c.pooled)
		}
		res, err := c.Invoke(ctxT(t), in("fn"))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		call := f.Last(t)
		if call.Path != "/2015-03-31/functions/fn/invocations" || call.Query != "Qualifier=live" || string(call.Body) != `{"a":1}` ||
			call.Header.Get(lambdaapi.HeaderInvocationType) != lambdaapi.InvocationEvent || call.Header.Get(lambdaapi.HeaderLogType) != lambdaapi.LogTypeTail ||
			call.Header.Get(lambdaapi.HeaderTraceID) != "Root=1-x" || call.Header.Get("User-Agent") != userAgent {
			t.Errorf("%s: sent %+v", tc.name, call)
		}
		invoketest.CheckSignature(t, call, hostOf(f), "eu-west-1", invoketest.AccessKey, invoketest.SecretKey)
		_, err = c.Invoke(ctxT(t), in("missing"))
		if want == nil {
			want, wantErr = res, err.Error()
			if res.StatusCode != 200 || string(res.Payload) != `{"ok":true}` || res.LogResult != "bG9n" || res.ExecutedVersion != "$LATEST" || res.RequestID != "req-1" {
				t.Errorf("%s: result %+v", tc.name, res)
			}
			if wantErr != "lambda API ResourceNotFoundException (HTTP 404): Function not found" {
				t.Errorf("%s: error %q", tc.name, wantErr)
			}
			continue
		}
		if res.StatusCode != want.StatusCode || string(res.Payload) != string(want.Payload) || res.LogResult != want.LogResult ||
			res.ExecutedVersion != want.ExecutedVersion || res.RequestID != want.RequestID || res.FunctionError != want.FunctionError {
			t.Errorf("%s: result %+v, fasthttp's %+v", tc.name, res, want)
		}
		if err.Error() != wantErr {
			t.Errorf("%s: error %q, fasthttp's %q", tc.name, err, wantErr)
		}
	}
	if c := newClient("127.0.0.1:1", "eu-west-1", creds, fast); c.pooled {
		t.Error("an endpoint that does not parse as a URL is pooled")
	}
}

// FuzzInvokePath: any name Lambda's Invoke accepts (lambdaapi's rules,
// which the gateway checks before invoking) becomes exactly one path
// segment of the Invoke URL, decoded back whole, in the pooled request
// as in the request of its own.
func FuzzInvokePath(f *testing.F) {
	for _, s := range invoketest.FunctionNames {
		f.Add(s)
	}
	c := newClient("http://127.0.0.1:1", "us-east-1", nil, &netSender{client: http.DefaultClient})
	f.Fuzz(func(t *testing.T, name string) {
		if !lambdaapi.ValidFunctionName(name) {
			return
		}
		in := &Invocation{FunctionName: name}
		req, err := c.newRequest(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		segs := strings.Split(req.URL.EscapedPath(), "/")
		if len(segs) != 5 || segs[4] != "invocations" {
			t.Fatalf("%q: Invoke path %q", name, req.URL.EscapedPath())
		}
		if dec, err := url.PathUnescape(segs[3]); err != nil || dec != name {
			t.Fatalf("%q: path label %q decodes to %q", name, segs[3], dec)
		}
		pr := &invokeRequest{header: http.Header{}}
		if pooled := c.fill(pr, in); pooled.URL.String() != req.URL.String() || pr.uri != req.URL.String() {
			t.Fatalf("%q: pooled request to %q (%q), own request to %q", name, pooled.URL, pr.uri, req.URL)
		}
	})
}
