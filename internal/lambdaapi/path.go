package lambdaapi

import (
	"net/url"
	"strings"
)

// FunctionsPath is the path of ListFunctions (GET), under which every
// function's operations are: Invoke is POST FunctionsPath/{name}/invocations.
const FunctionsPath = "/2015-03-31/functions"

// invocations ends an Invoke path.
const invocations = "/invocations"

// InvokePattern is the Invoke operation as a net/http.ServeMux pattern. The
// function name is its "name" wildcard (Request.PathValue("name")), which
// the mux decodes as FunctionFromPath does.
const InvokePattern = "POST " + FunctionsPath + "/{name}" + invocations

// InvokePath returns the Invoke path of the function name, unescaped: the
// form of url.URL.Path.
func InvokePath(name string) string {
	return FunctionsPath + "/" + name + invocations
}

// EscapedInvokePath returns the Invoke path of the function name, the name
// escaped with EscapeLabel: the form of url.URL.EscapedPath, and the path
// a request sends and signs.
func EscapedInvokePath(name string) string {
	return FunctionsPath + "/" + EscapeLabel(name) + invocations
}

// FunctionFromPath returns the function name of an Invoke request's
// escaped path (url.URL.EscapedPath): the one path segment between
// FunctionsPath and /invocations, unescaped. ok is false for any other
// path. It reads the name as it is, without checking it
// (SplitFunctionName does).
func FunctionFromPath(escapedPath string) (name string, ok bool) {
	return functionFrom(escapedPath, FunctionsPath, invocations)
}

// FunctionFromStreamPath is FunctionFromPath for an
// InvokeWithResponseStream path.
func FunctionFromStreamPath(escapedPath string) (name string, ok bool) {
	return functionFrom(escapedPath, StreamFunctionsPath, streamingInvocations)
}

func functionFrom(escapedPath, prefix, suffix string) (name string, ok bool) {
	rest, ok := strings.CutPrefix(escapedPath, prefix+"/")
	if !ok {
		return "", false
	}
	label, ok := strings.CutSuffix(rest, suffix)
	if !ok || label == "" || strings.IndexByte(label, '/') >= 0 {
		return "", false
	}
	if strings.IndexByte(label, '%') < 0 {
		return label, true
	}
	name, err := url.PathUnescape(label)
	if err != nil {
		return "", false
	}
	return name, true
}

// EscapeLabel percent-encodes every byte of s but A-Z a-z 0-9 - _ . ~, as
// the AWS SDKs encode a path label (the ":" of an ARN included).
func EscapeLabel(s string) string {
	const hexDigits = "0123456789ABCDEF"
	plain := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
