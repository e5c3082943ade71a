package authorizer

import "strings"

// MaxMethodARN is the longest method ARN API Gateway builds: a request
// whose ARN is longer gets 414 without invoking the authorizer.
const MaxMethodARN = 1600

// methodARN builds the method ARNs of one endpoint's requests as REST
// APIs build them:
//
//	arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}
//
// where path is the request's own path (not the route's template), as
// the client sent it (percent-encoding kept, so that an encoded slash
// cannot make a segment up), without its leading slash.
type methodARN struct {
	// prefix is everything up to the method: "arn:aws:execute-api:
	// us-east-1:000000000000:lambdagate/$default/".
	prefix string
}

func newMethodARN(region, account, api, stage string) methodARN {
	return methodARN{prefix: "arn:" + partition(region) + ":execute-api:" + region + ":" + account + ":" + api + "/" + stage + "/"}
}

// of returns the method ARN of a request.
func (m methodARN) of(method, escapedPath string) string {
	return m.prefix + method + "/" + strings.TrimPrefix(escapedPath, "/")
}

// partition is the AWS partition of a region.
func partition(region string) string {
	for _, p := range [...]struct{ prefix, partition string }{
		{"cn-", "aws-cn"},
		{"us-gov-", "aws-us-gov"},
		{"us-isob-", "aws-iso-b"},
		{"us-iso-", "aws-iso"},
		{"eu-isoe-", "aws-iso-e"},
		{"us-isof-", "aws-iso-f"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}
