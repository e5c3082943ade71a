package lambda

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdagate/lambdagate/proxy"
)

// The authorizer context of API Gateway events, from the answer of the
// endpoint's Lambda authorizer (proxy.Request.Authorizer): where API
// Gateway puts a Lambda authorizer's principalId and context.

// addLambdaAuthorizerV1 puts a Lambda authorizer's answer in a REST API
// event's requestContext.authorizer: principalId (when it has one) and
// every context key, each value as text, as REST APIs pass them.
func addLambdaAuthorizerV1(rc *events.APIGatewayProxyRequestContext, a *proxy.AuthorizerResult) {
	if a == nil {
		return
	}
	if rc.Authorizer == nil {
		rc.Authorizer = make(map[string]any, len(a.Context)+1)
	}
	for k, v := range a.Context {
		rc.Authorizer[k] = proxy.ContextText(v)
	}
	if a.PrincipalID != "" {
		rc.Authorizer["principalId"] = a.PrincipalID
	}
}

// addLambdaAuthorizerV2 puts a Lambda authorizer's context in an HTTP API
// event's requestContext.authorizer.lambda, values as the function
// returned them.
func addLambdaAuthorizerV2(rc *events.APIGatewayV2HTTPRequestContext, a *proxy.AuthorizerResult) {
	if a == nil {
		return
	}
	if rc.Authorizer == nil {
		rc.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{}
	}
	rc.Authorizer.Lambda = a.Context
	if rc.Authorizer.Lambda == nil {
		rc.Authorizer.Lambda = map[string]any{}
	}
}
