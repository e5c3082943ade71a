package lambdalocal

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Lambda's payload limits: a synchronous request body may be up to
// maxRequestPayload bytes, a function's response up to maxResponsePayload.
const (
	maxRequestPayload  = 6291456
	maxResponsePayload = 6291556
	maxClientContext   = 3583 // bytes of X-Amz-Client-Context, base64
)

// accountID is the account in every ARN the local runtime makes up.
const accountID = "000000000000"

// Invocation types (X-Amz-Invocation-Type).
const (
	invokeRequestResponse = "RequestResponse"
	invokeEvent           = "Event"
	invokeDryRun          = "DryRun"
)

// invokeRequest is what an Invoke call asks for, checked.
type invokeRequest struct {
	name           string
	qualifier      string // "" when none was given
	invocationType string
	tail           bool
	clientContext  string // decoded JSON, "" when none
}

var (
	qualifierPattern = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]{1,128})$`)
	accountPattern   = regexp.MustCompile(`^\d{12}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`)
)

// parseInvokeRequest checks the parts of an Invoke request that are not the
// payload: the function name from the path (a name, name:qualifier, a
// partial ARN or an ARN), the Qualifier query parameter and the X-Amz-*
// headers.
func parseInvokeRequest(pathName, queryQualifier string, h http.Header) (invokeRequest, *apiError) {
	var req invokeRequest
	name, qualifier, ok := parseFunctionName(pathName)
	if !ok {
		return req, errInvalidParameter("1 validation error detected: Value '" + pathName +
			"' at 'functionName' failed to satisfy constraint: a function name (1 to 64 letters, digits, - or _), optionally with :qualifier, or its ARN")
	}
	if queryQualifier != "" {
		if !qualifierPattern.MatchString(queryQualifier) {
			return req, errInvalidParameter("1 validation error detected: Value '" + queryQualifier +
				"' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
		}
		if qualifier != "" && qualifier != queryQualifier {
			return req, errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = queryQualifier
	}
	req.name, req.qualifier = name, qualifier

	switch t := h.Get("X-Amz-Invocation-Type"); t {
	case "", invokeRequestResponse:
		req.invocationType = invokeRequestResponse
	case invokeEvent, invokeDryRun:
		req.invocationType = t
	default:
		return req, errInvalidParameter("1 validation error detected: Value '" + t +
			"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	switch t := h.Get("X-Amz-Log-Type"); t {
	case "", "None":
	case "Tail":
		req.tail = true
	default:
		return req, errInvalidParameter("1 validation error detected: Value '" + t +
			"' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]")
	}
	if cc := h.Get("X-Amz-Client-Context"); cc != "" {
		decoded, err := base64.StdEncoding.DecodeString(cc)
		if len(cc) > maxClientContext || err != nil || !json.Valid(decoded) {
			return req, errInvalidRequestContent("Client context must be a valid Base64-encoded JSON object of at most 3583 bytes.")
		}
		req.clientContext = string(decoded)
	}
	return req, nil
}

// parseFunctionName splits what may follow /functions/ in the path:
// "name", "name:qualifier", "123456789012:function:name[:qualifier]" or
// "arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]".
// The region and account of an ARN are not compared with the server's:
// every local function answers to any of them.
func parseFunctionName(s string) (name, qualifier string, ok bool) {
	parts := strings.Split(s, ":")
	switch {
	case parts[0] == "arn":
		if len(parts) < 7 || len(parts) > 8 || !strings.HasPrefix(parts[1], "aws") || parts[2] != "lambda" ||
			!regionPattern.MatchString(parts[3]) || !accountPattern.MatchString(parts[4]) || parts[5] != "function" {
			return "", "", false
		}
		parts = parts[6:]
	case len(parts) >= 3:
		if len(parts) > 4 || !accountPattern.MatchString(parts[0]) || parts[1] != "function" {
			return "", "", false
		}
		parts = parts[2:]
	}
	name = parts[0]
	if len(parts) == 2 {
		qualifier = parts[1]
		if !qualifierPattern.MatchString(qualifier) {
			return "", "", false
		}
	}
	if !functionNamePattern.MatchString(name) {
		return "", "", false
	}
	return name, qualifier, true
}

// functionARN is the ARN of a local function, with the qualifier if any.
func (s *Server) functionARN(name, qualifier string) string {
	partition := "aws"
	switch {
	case strings.HasPrefix(s.region, "cn-"):
		partition = "aws-cn"
	case strings.HasPrefix(s.region, "us-gov-"):
		partition = "aws-us-gov"
	}
	arn := "arn:" + partition + ":lambda:" + s.region + ":" + accountID + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}
