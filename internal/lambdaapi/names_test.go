package lambdaapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestSplitFunctionName(t *testing.T) {
	t.Parallel()
	long := "arn:aws:lambda:us-east-1:123456789012:function:" + strings.Repeat("a", 64) + ":"
	tests := []struct {
		in, name, qualifier string
		ok                  bool
	}{
		{"hello", "hello", "", true},
		{"my-function", "my-function", "", true},
		{"my_function:v1", "my_function", "v1", true},
		{"hello:live", "hello", "live", true},
		{"hello:$LATEST", "hello", "$LATEST", true},
		{"my-function:$LATEST", "my-function", "$LATEST", true},
		{"123456789012:function:my-function", "my-function", "", true},
		{"123456789012:function:my-function:prod", "my-function", "prod", true},
		{"123456789012:function:hello", "hello", "", true},
		{"123456789012:function:hello:3", "hello", "3", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello", "hello", "", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello:live", "hello", "live", true},
		{"arn:aws:lambda:us-west-2:123456789012:function:my-function", "my-function", "", true},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:hello", "hello", "", true},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:f:3", "f", "3", true},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:h", "h", "", true},
		{"arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:h", "h", "", true},
		{"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:h", "h", "", true},
		{"arn:aws:lambda:local:000000000000:function:h", "h", "", true},
		{strings.Repeat("a", 64), strings.Repeat("a", 64), "", true},
		{"a:" + strings.Repeat("q", 128), "a", strings.Repeat("q", 128), true},
		{long + strings.Repeat("q", MaxFunctionNameLen-len(long)), strings.Repeat("a", 64), strings.Repeat("q", MaxFunctionNameLen-len(long)), true},

		{"", "", "", false},
		{"a b", "", "", false},
		{"hello world", "", "", false},
		{"../etc", "", "", false},
		{"fn%2F..", "", "", false},
		{"fn.js", "", "", false},
		{"hello:", "", "", false},
		{"fn:", "", "", false},
		{":hello", "", "", false},
		{"hello:a:b", "", "", false},
		{"hello:$NOPE", "", "", false},
		{"a:" + strings.Repeat("q", 129), "", "", false},
		{strings.Repeat("a", 65), "", "", false},
		{long + strings.Repeat("q", MaxFunctionNameLen-len(long)+1), "", "", false},
		{"12345:function:hello", "", "", false},
		{"12345:function:fn", "", "", false},
		{"1234567890ab:function:fn", "", "", false},
		{"123456789012:layer:hello", "", "", false},
		{"arn", "", "", false},
		{"arn:aws:lambda:us-east-1:123456789012:function", "", "", false},
		{"arn:aws:s3:us-east-1:123456789012:function:hello", "", "", false},
		{"arn:aws:s3:us-west-2:123456789012:function:f", "", "", false},
		{"arn:aws:lambda:us-west-2:123456789012:layer:f", "", "", false},
		{"arn:gcp:lambda:us-east-1:123456789012:function:f", "", "", false},
		{"arn:aws.x:lambda:us-east-1:123456789012:function:f", "", "", false},
		{"arn:aws:lambda:US-EAST-1:123456789012:function:hello", "", "", false},
		{"arn:aws:lambda:-nowhere:123456789012:function:hello", "", "", false},
		{"arn:aws:lambda::123456789012:function:hello", "", "", false},
		{"arn:aws:lambda:us-west-2:123456789012:function:f:v:extra:parts", "", "", false},
		{"arn:aws:lambda:us-west-2:123456789012:function:f:v:a:b:c:d", "", "", false},
	}
	for _, tt := range tests {
		name, qualifier, ok := SplitFunctionName(tt.in)
		if name != tt.name || qualifier != tt.qualifier || ok != tt.ok {
			t.Errorf("SplitFunctionName(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, qualifier, ok, tt.name, tt.qualifier, tt.ok)
		}
		if got := ValidFunctionName(tt.in); got != tt.ok {
			t.Errorf("ValidFunctionName(%q) = %v, want %v", tt.in, got, tt.ok)
		}
	}
}

func TestSplitFunctionNameAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		SplitFunctionName("arn:aws:lambda:us-east-1:123456789012:function:hello:live")
	})
	if n != 0 {
		t.Errorf("%v allocations, want none", n)
	}
}

func TestValidQualifier(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]bool{
		"$LATEST": true, "1": true, "42": true, "live": true, "blue_green-2": true, strings.Repeat("q", 128): true,
		"": false, "$latest": false, "$NOPE": false, "a.b": false, "a:b": false, "a b": false, strings.Repeat("q", 129): false,
	} {
		if got := ValidQualifier(q); got != want {
			t.Errorf("ValidQualifier(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestValidRegion(t *testing.T) {
	t.Parallel()
	for r, want := range map[string]bool{
		"us-east-1": true, "eu-west-3": true, "ap-southeast-7": true, "mx-central-1": true,
		"us-gov-west-1": true, "cn-north-1": true, "us-iso-east-1": true, "us-isob-east-1": true,
		"eu-isoe-west-1": true, "us-isof-south-1": true, "eusc-de-east-1": true,
		"local": true, "nowhere": true, "r2d2": true, strings.Repeat("a", 63): true,

		"": false, "US-EAST-1": false, "us_east_1": false, "us east 1": false, "us.east.1": false,
		"-us-east-1": false, "us-east-1-": false, "-": false, "us-east-1\n": false, strings.Repeat("a", 64): false,
	} {
		if got := ValidRegion(r); got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", r, got, want)
		}
	}
}

func TestHeadersAreCanonical(t *testing.T) {
	t.Parallel()
	for _, h := range []string{
		HeaderInvocationType, HeaderLogType, HeaderClientContext, HeaderTraceID, HeaderFunctionError,
		HeaderLogResult, HeaderExecutedVersion, HeaderRequestID, HeaderErrorType,
	} {
		if c := http.CanonicalHeaderKey(h); c != h {
			t.Errorf("%q is not canonical: %q", h, c)
		}
	}
}
