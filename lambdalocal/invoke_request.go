package lambdalocal

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// Lambda's payload limits, as the local runtime applies them: a request
// body may be up to maxRequestPayload bytes, whatever the invocation type,
// and a function's response up to maxResponsePayload.
const (
	maxRequestPayload  = lambdaapi.MaxSyncPayload
	maxResponsePayload = lambdaapi.MaxResponsePayload
)

// accountID is the account in every ARN the local runtime makes up.
const accountID = "000000000000"

// invokeRequest is what an Invoke call asks for, checked.
type invokeRequest struct {
	name           string
	qualifier      string // "" when none was given
	invocationType string
	tail           bool
	clientContext  string // decoded JSON, "" when none
}

// parseInvokeRequest checks the parts of an Invoke request that are not the
// payload: the function name from the path (a name, name:qualifier, a
// partial ARN or an ARN: lambdaapi.SplitFunctionName), the Qualifier query
// parameter and the X-Amz-* headers. The region and account of an ARN are
// not compared with the server's: every local function answers to any of
// them.
func parseInvokeRequest(pathName, queryQualifier string, h http.Header) (invokeRequest, *apiError) {
	var req invokeRequest
	name, qualifier, ok := lambdaapi.SplitFunctionName(pathName)
	if !ok {
		return req, errInvalidParameter("1 validation error detected: Value '" + pathName +
			"' at 'functionName' failed to satisfy constraint: a function name (1 to 64 letters, digits, - or _), optionally with :qualifier, or its ARN")
	}
	if queryQualifier != "" {
		if !lambdaapi.ValidQualifier(queryQualifier) {
			return req, errInvalidParameter("1 validation error detected: Value '" + queryQualifier +
				"' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
		}
		if qualifier != "" && qualifier != queryQualifier {
			return req, errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = queryQualifier
	}
	req.name, req.qualifier = name, qualifier

	switch t := h.Get(lambdaapi.HeaderInvocationType); t {
	case "", lambdaapi.InvocationRequestResponse:
		req.invocationType = lambdaapi.InvocationRequestResponse
	case lambdaapi.InvocationEvent, lambdaapi.InvocationDryRun:
		req.invocationType = t
	default:
		return req, errInvalidParameter("1 validation error detected: Value '" + t +
			"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	switch t := h.Get(lambdaapi.HeaderLogType); t {
	case "", lambdaapi.LogTypeNone:
	case lambdaapi.LogTypeTail:
		req.tail = true
	default:
		return req, errInvalidParameter("1 validation error detected: Value '" + t +
			"' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]")
	}
	if cc := h.Get(lambdaapi.HeaderClientContext); cc != "" {
		decoded, err := base64.StdEncoding.DecodeString(cc)
		if len(cc) > lambdaapi.MaxClientContext || err != nil || !json.Valid(decoded) {
			return req, errInvalidRequestContent("Client context must be a valid Base64-encoded JSON object of at most " +
				strconv.Itoa(lambdaapi.MaxClientContext) + " bytes.")
		}
		req.clientContext = string(decoded)
	}
	return req, nil
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
