package lambdaapi

import "strings"

// Length limits of names.
const (
	// MaxFunctionNameLen bounds the FunctionName parameter: a full ARN
	// with its qualifier.
	MaxFunctionNameLen = 170
	// MaxNameLen bounds a function's own name.
	MaxNameLen = 64
	// MaxQualifierLen bounds a version or alias name.
	MaxQualifierLen = 128
	// MaxRegionLen bounds a region name: one DNS label.
	MaxRegionLen = 63
)

// ValidFunctionName reports whether s is a FunctionName Invoke accepts (see
// SplitFunctionName). Checking it before invoking keeps a client from
// making the gateway call Lambda with arbitrary text taken from a URL.
func ValidFunctionName(s string) bool {
	_, _, ok := SplitFunctionName(s)
	return ok
}

// SplitFunctionName checks s, at most MaxFunctionNameLen bytes, in one of
// the forms Invoke accepts, and returns the function's own name and the
// qualifier s carries ("" for none):
//
//	name[:qualifier]
//	123456789012:function:name[:qualifier]                  (partial ARN)
//	arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]
//
// name follows ValidName, qualifier ValidQualifier, the account is 12
// digits, the region follows ValidRegion and the partition is "aws"
// followed by up to 29 letters, digits, - or _ (aws-cn, aws-us-gov, ...).
// It does not allocate.
func SplitFunctionName(s string) (name, qualifier string, ok bool) {
	if s == "" || len(s) > MaxFunctionNameLen {
		return "", "", false
	}
	var buf [8]string
	parts, ok := splitColons(s, buf[:0])
	if !ok {
		return "", "", false
	}
	if parts[0] == "arn" {
		if len(parts) < 7 || !validPartition(parts[1]) || parts[2] != "lambda" || !ValidRegion(parts[3]) {
			return "", "", false
		}
		parts = parts[4:]
	}
	switch len(parts) {
	case 1, 2:
	case 3, 4:
		if !validAccount(parts[0]) || parts[1] != "function" {
			return "", "", false
		}
		parts = parts[2:]
	default:
		return "", "", false
	}
	if !ValidName(parts[0]) || len(parts) == 2 && !ValidQualifier(parts[1]) {
		return "", "", false
	}
	if len(parts) == 2 {
		qualifier = parts[1]
	}
	return parts[0], qualifier, true
}

// splitColons appends the ":"-separated fields of s to dst; false when
// there are more than cap(dst).
func splitColons(s string, dst []string) ([]string, bool) {
	for {
		if len(dst) == cap(dst) {
			return nil, false
		}
		field, rest, more := strings.Cut(s, ":")
		dst = append(dst, field)
		if !more {
			return dst, true
		}
		s = rest
	}
}

// ValidName reports whether s is a function's own name: 1 to MaxNameLen
// letters, digits, - or _.
func ValidName(s string) bool { return isWord(s, MaxNameLen) }

// ValidQualifier reports whether s is a version or alias: LatestVersion, or
// 1 to MaxQualifierLen letters, digits, - or _ (a version number is
// digits).
func ValidQualifier(s string) bool { return s == LatestVersion || isWord(s, MaxQualifierLen) }

// ValidRegion reports whether s is shaped as an AWS region name: one DNS
// label in lower case (1 to MaxRegionLen lower-case letters, digits and
// dashes, neither first nor last a dash). That is what every region name
// is (us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1,
// eusc-de-east-1) and what the AWS SDK's endpoint rules accept; it does not
// list the regions, so that a new one needs no change. The region of a
// function's ARN follows the same rule.
func ValidRegion(s string) bool {
	if s == "" || len(s) > MaxRegionLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validPartition: "aws", then letters, digits, - or _, 32 bytes at most.
func validPartition(s string) bool { return strings.HasPrefix(s, "aws") && isWord(s, 32) }

// validAccount: 12 digits.
func validAccount(s string) bool {
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

// isWord reports whether s is 1 to max letters, digits, - or _.
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
