package lambda

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// The authorizer context of API Gateway events, from the claims of the
// request's validated JWT (proxy.Request.Claims): where API Gateway's JWT
// authorizers put them.

// v1Authorizer is a REST API event's requestContext.authorizer:
// {"claims": {...}}, nil without claims.
func v1Authorizer(claims map[string]any) map[string]any {
	if claims == nil {
		return nil
	}
	return map[string]any{"claims": authorizerClaims(claims)}
}

// v2Authorizer is an HTTP API event's requestContext.authorizer:
// {"jwt": {"claims": {...}, "scopes": [...]}}, nil without claims.
func v2Authorizer(claims map[string]any) *events.APIGatewayV2HTTPRequestContextAuthorizerDescription {
	if claims == nil {
		return nil
	}
	return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: authorizerClaims(claims),
			Scopes: tokenScopes(claims),
		},
	}
}

// authorizerClaims writes claims as API Gateway does, every value a
// string: numbers in decimal, arrays as "[a b]", objects as JSON.
func authorizerClaims(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = claimString(v)
	}
	return out
}

func claimString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// tokenScopes returns the token's scopes: its scope claim, space
// separated, or its scp claim (a string or an array); nil for none.
func tokenScopes(claims map[string]any) []string {
	for _, name := range []string{"scope", "scp"} {
		switch t := claims[name].(type) {
		case string:
			if s := strings.Fields(t); len(s) > 0 {
				return s
			}
		case []any:
			var s []string
			for _, e := range t {
				if str, ok := e.(string); ok {
					s = append(s, str)
				}
			}
			if len(s) > 0 {
				return s
			}
		}
	}
	return nil
}
