package lambdaapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInvokePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, escaped string
	}{
		{"my-fn", "/2015-03-31/functions/my-fn/invocations", "/2015-03-31/functions/my-fn/invocations"},
		{"fn.v2~x_y", "/2015-03-31/functions/fn.v2~x_y/invocations", "/2015-03-31/functions/fn.v2~x_y/invocations"},
		{"my-fn:live", "/2015-03-31/functions/my-fn:live/invocations", "/2015-03-31/functions/my-fn%3Alive/invocations"},
		{
			"arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live",
			"/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live/invocations",
			"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Amy-fn%3Alive/invocations",
		},
		{"a/b c%", "/2015-03-31/functions/a/b c%/invocations", "/2015-03-31/functions/a%2Fb%20c%25/invocations"},
		{"é", "/2015-03-31/functions/é/invocations", "/2015-03-31/functions/%C3%A9/invocations"},
	}
	for _, tt := range tests {
		if got := InvokePath(tt.name); got != tt.path {
			t.Errorf("InvokePath(%q) = %q, want %q", tt.name, got, tt.path)
		}
		if got := EscapedInvokePath(tt.name); got != tt.escaped {
			t.Errorf("EscapedInvokePath(%q) = %q, want %q", tt.name, got, tt.escaped)
		}
		if got, ok := FunctionFromPath(tt.escaped); !ok || got != tt.name {
			t.Errorf("FunctionFromPath(%q) = %q, %v; want %q", tt.escaped, got, ok, tt.name)
		}
		// The escaped path is the one net/url keeps for the decoded one.
		u := url.URL{Path: tt.path, RawPath: tt.escaped}
		if u.EscapedPath() != tt.escaped {
			t.Errorf("net/url does not keep %q as the escaped form of %q: %q", tt.escaped, tt.path, u.EscapedPath())
		}
	}
}

func TestFunctionFromPathRefuses(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"", "/", FunctionsPath, FunctionsPath + "/", FunctionsPath + "/fn", FunctionsPath + "/fn/invocations/",
		FunctionsPath + "//invocations", FunctionsPath + "/a/b/invocations", FunctionsPath + "/fn/invocation",
		FunctionsPath + "/%zz/invocations", "/2015-03-31/function/fn/invocations", "/x" + FunctionsPath + "/fn/invocations",
		"2015-03-31/functions/fn/invocations",
	} {
		if name, ok := FunctionFromPath(p); ok {
			t.Errorf("FunctionFromPath(%q) = %q, want not an Invoke path", p, name)
		}
	}
}

// TestInvokePatternMatchesFunctionFromPath: a server routing with
// InvokePattern reads the same name as one calling FunctionFromPath.
func TestInvokePatternMatchesFunctionFromPath(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc(InvokePattern, func(w http.ResponseWriter, r *http.Request) {
		name, ok := FunctionFromPath(r.URL.EscapedPath())
		if !ok || name != r.PathValue("name") {
			t.Errorf("%s: FunctionFromPath = %q, %v; the mux read %q", r.URL.EscapedPath(), name, ok, r.PathValue("name"))
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for _, name := range []string{"fn", "fn:live", "arn:aws:lambda:us-east-1:123456789012:function:fn:3", "a/b", "a b", "100%", "é"} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, EscapedInvokePath(name), nil))
		if w.Code != http.StatusNoContent {
			t.Errorf("%q: the mux answered %d to %s", name, w.Code, EscapedInvokePath(name))
		}
	}
}

// FuzzNameAndPath: whatever the text, as a function name or as a request
// path, nothing panics; every name survives the Invoke path's round trip;
// a name read from a path builds that path's name again; and an accepted
// FunctionName holds a valid name and qualifier, within the limits.
func FuzzNameAndPath(f *testing.F) {
	for _, s := range []string{
		"hello", "hello:live", "123456789012:function:hello:3", "arn:aws:lambda:us-east-1:123456789012:function:hello:$LATEST",
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "a/b", "%zz", "é", "::::::::",
		EscapedInvokePath("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live"), FunctionsPath + "/a%2Fb/invocations",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := FunctionFromPath(EscapedInvokePath(s)); s != "" && (!ok || got != s) {
			t.Fatalf("round trip of %q: %q, %v", s, got, ok)
		}
		if name, ok := FunctionFromPath(s); ok {
			if again, ok := FunctionFromPath(EscapedInvokePath(name)); !ok || again != name {
				t.Fatalf("%q read as %q, which builds %q, read as %q, %v", s, name, EscapedInvokePath(name), again, ok)
			}
		}
		name, qualifier, ok := SplitFunctionName(s)
		if ok != ValidFunctionName(s) {
			t.Fatalf("SplitFunctionName and ValidFunctionName disagree on %q", s)
		}
		if !ok {
			return
		}
		if len(s) > MaxFunctionNameLen || !utf8.ValidString(s) || !ValidName(name) || qualifier != "" && !ValidQualifier(qualifier) {
			t.Fatalf("accepted %q: name %q, qualifier %q", s, name, qualifier)
		}
		if !strings.HasSuffix(s, name) && !strings.HasSuffix(s, name+":"+qualifier) {
			t.Fatalf("%q does not end with its name %q (qualifier %q)", s, name, qualifier)
		}
		if EscapeLabel(s) != s && !strings.Contains(s, ":") {
			t.Fatalf("accepted %q needs escaping", s)
		}
	})
}
