package lambdalocal

import (
	"net/http"
	"testing"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

func TestParseInvokeRequestHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		headers  map[string]string
		wantType string
		tail     bool
		wantErr  string
	}{
		{"defaults", nil, "RequestResponse", false, ""},
		{"event", map[string]string{"X-Amz-Invocation-Type": "Event"}, "Event", false, ""},
		{"dry run", map[string]string{"X-Amz-Invocation-Type": "DryRun"}, "DryRun", false, ""},
		{"tail", map[string]string{"X-Amz-Log-Type": "Tail"}, "RequestResponse", true, ""},
		{"no log", map[string]string{"X-Amz-Log-Type": "None"}, "RequestResponse", false, ""},
		{"bad type", map[string]string{"X-Amz-Invocation-Type": "event"}, "", false, "InvalidParameterValueException"},
		{"bad log type", map[string]string{"X-Amz-Log-Type": "All"}, "", false, "InvalidParameterValueException"},
		{"client context", map[string]string{"X-Amz-Client-Context": "eyJhIjoxfQ=="}, "RequestResponse", false, ""},
		{"client context not JSON", map[string]string{"X-Amz-Client-Context": "bm9wZQ=="}, "", false, "InvalidRequestContentException"},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		req, err := parseInvokeRequest("fn", "", h)
		if tt.wantErr != "" {
			if err == nil || err.name != tt.wantErr {
				t.Errorf("%s: got %v, want %s", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || req.invocationType != tt.wantType || req.tail != tt.tail {
			t.Errorf("%s: got %+v, %v", tt.name, req, err)
		}
	}
	if req, _ := parseInvokeRequest("fn", "", http.Header{"X-Amz-Client-Context": {"eyJhIjoxfQ=="}}); req.clientContext != `{"a":1}` {
		t.Errorf("client context decoded to %q", req.clientContext)
	}
}

// FuzzParseInvokeRequest: whatever a client sends, parsing does not panic,
// and what it accepts is a valid name and qualifier.
func FuzzParseInvokeRequest(f *testing.F) {
	f.Add("hello", "", "", "", "")
	f.Add("hello:live", "live", "Event", "Tail", "eyJhIjoxfQ==")
	f.Add("arn:aws:lambda:us-east-1:123456789012:function:hello:1", "1", "DryRun", "None", "")
	f.Add("123456789012:function:x", "$LATEST", "RequestResponse", "", "e30=")
	f.Add("a:b:c:d:e", "::", "\x00", "Tail\n", "====")
	f.Fuzz(func(t *testing.T, name, qualifier, invocationType, logType, clientContext string) {
		h := http.Header{}
		h.Set("X-Amz-Invocation-Type", invocationType)
		h.Set("X-Amz-Log-Type", logType)
		h.Set("X-Amz-Client-Context", clientContext)
		req, err := parseInvokeRequest(name, qualifier, h)
		if err != nil {
			if err.status < 400 || err.name == "" || err.message == "" {
				t.Fatalf("malformed error %+v", err)
			}
			return
		}
		if !lambdaapi.ValidName(req.name) {
			t.Fatalf("accepted name %q", req.name)
		}
		if req.qualifier != "" && !lambdaapi.ValidQualifier(req.qualifier) {
			t.Fatalf("accepted qualifier %q", req.qualifier)
		}
		switch req.invocationType {
		case lambdaapi.InvocationRequestResponse, lambdaapi.InvocationEvent, lambdaapi.InvocationDryRun:
		default:
			t.Fatalf("accepted invocation type %q", req.invocationType)
		}
	})
}
