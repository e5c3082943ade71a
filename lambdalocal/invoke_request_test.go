package lambdalocal

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseFunctionName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, name, qualifier string
		ok                  bool
	}{
		{"hello", "hello", "", true},
		{"hello:live", "hello", "live", true},
		{"hello:$LATEST", "hello", "$LATEST", true},
		{"123456789012:function:hello", "hello", "", true},
		{"123456789012:function:hello:3", "hello", "3", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello", "hello", "", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello:live", "hello", "live", true},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:hello", "hello", "", true},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:h", "h", "", true},
		{"", "", "", false},
		{"hello world", "", "", false},
		{"hello:", "", "", false},
		{"hello:a:b", "", "", false},
		{"hello:$NOPE", "", "", false},
		{"12345:function:hello", "", "", false},
		{"123456789012:layer:hello", "", "", false},
		{"arn:aws:s3:us-east-1:123456789012:function:hello", "", "", false},
		{"arn:aws:lambda:us-east-1:123456789012:function", "", "", false},
		{"arn:aws:lambda:nowhere:123456789012:function:hello", "", "", false},
		{strings.Repeat("a", 64), strings.Repeat("a", 64), "", true},
		{strings.Repeat("a", 65), "", "", false},
	}
	for _, tt := range tests {
		name, qualifier, ok := parseFunctionName(tt.in)
		if name != tt.name || qualifier != tt.qualifier || ok != tt.ok {
			t.Errorf("parseFunctionName(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, qualifier, ok, tt.name, tt.qualifier, tt.ok)
		}
	}
}

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
		if !functionNamePattern.MatchString(req.name) {
			t.Fatalf("accepted name %q", req.name)
		}
		if req.qualifier != "" && !qualifierPattern.MatchString(req.qualifier) {
			t.Fatalf("accepted qualifier %q", req.qualifier)
		}
		switch req.invocationType {
		case invokeRequestResponse, invokeEvent, invokeDryRun:
		default:
			t.Fatalf("accepted invocation type %q", req.invocationType)
		}
	})
}
