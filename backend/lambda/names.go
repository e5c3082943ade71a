package lambda

import (
	"path"
	"strings"
)

// maxFunctionNameLen is Lambda's limit on the FunctionName parameter (full
// ARN with qualifier).
const maxFunctionNameLen = 170

// validFunctionName reports whether s is a function name Lambda's Invoke
// accepts: name, name:qualifier, account:function:name[:qualifier] or
// arn:partition:lambda:region:account:function:name[:qualifier].
//
// Checking it before invoking keeps a client from making the gateway call
// Lambda with arbitrary text taken from a URL.
func validFunctionName(s string) bool {
	if s == "" || len(s) > maxFunctionNameLen {
		return false
	}
	parts := strings.Split(s, ":")
	if parts[0] == "arn" {
		// arn:aws[-x]:lambda:region:account:function:name[:qualifier]
		if len(parts) != 7 && len(parts) != 8 {
			return false
		}
		if !strings.HasPrefix(parts[1], "aws") || !isWord(parts[1], 32) || parts[2] != "lambda" || !validRegion(parts[3]) {
			return false
		}
		parts = parts[4:]
	}
	switch len(parts) {
	case 1, 2:
		return validBareName(parts[0]) && (len(parts) == 1 || validQualifier(parts[1]))
	case 3, 4:
		return isAccount(parts[0]) && parts[1] == "function" && validBareName(parts[2]) &&
			(len(parts) == 3 || validQualifier(parts[3]))
	}
	return false
}

// validBareName: letters, digits, - and _, 1 to 64 characters.
func validBareName(s string) bool { return isWord(s, 64) }

// validQualifier: $LATEST, a version number or an alias name.
func validQualifier(s string) bool { return s == "$LATEST" || isWord(s, 128) }

func isWord(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// allowedName reports whether name matches one of the globs (path.Match
// syntax: * matches any run of characters, as names hold no /). A nil list
// allows every name.
func allowedName(name string, globs []string) bool {
	return globs == nil || matchAllowed(name, globs) >= 0
}

// matchAllowed returns the index of the first glob name matches, or -1.
func matchAllowed(name string, globs []string) int {
	for i, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return i
		}
	}
	return -1
}
