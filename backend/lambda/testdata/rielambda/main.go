// Command rielambda is a test function for the AWS Runtime Interface
// Emulator, written with aws-lambda-go as a real function would be:
//
//   - an API Gateway v1 or v2 event gets an API Gateway response: status
//     201, header X-Fn, a JSON body naming the method, path and path params;
//   - {"action": "fail"} returns an error (a function error);
//   - anything else is echoed back under "event".
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Action     string `json:"action"`
		RouteKey   string `json:"routeKey"`
		HTTPMethod string `json:"httpMethod"`
	}
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe.Action == "fail":
		return nil, errors.New("the function was asked to fail")
	case probe.RouteKey != "":
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return gatewayReply(ev.RequestContext.HTTP.Method, ev.RawPath, ev.PathParameters, ev.Body)
	case probe.HTTPMethod != "":
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return gatewayReply(ev.HTTPMethod, ev.Path, ev.PathParameters, ev.Body)
	}
	return map[string]any{"event": raw, "fn": "rielambda"}, nil
}

func gatewayReply(method, path string, params map[string]string, body string) (events.APIGatewayV2HTTPResponse, error) {
	b, err := json.Marshal(map[string]any{"method": method, "path": path, "params": params, "body": body})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 201,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Fn": "rielambda"},
		Cookies:    []string{"seen=1"},
		Body:       string(b),
	}, nil
}

func main() { lambda.Start(handle) }
