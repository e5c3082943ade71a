package lambda

import (
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/internal/invoketest"
)

const nsPath = `endpoints[0].backend[0].extra_config["backend/lambda"]`

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		g        gatewayConfig
		path     string // under nsPath unless it starts with "endpoints"
		fragment string
	}{
		{"both function options", gatewayConfig{endpoint: "/x/{lambda}", lambda: `{"function_name": "a", "function_param_name": "Lambda", "region": "us-east-1"}`}, ".function_param_name", "both set"},
		{"neither, no {function}", gatewayConfig{lambda: `{"region": "us-east-1"}`}, "", "says no function"},
		{"placeholder the endpoint lacks", gatewayConfig{endpoint: "/x/{id}", lambda: `{"function_param_name": "Lambda", "region": "us-east-1"}`}, ".function_param_name", "no placeholder {lambda}: its only placeholder is {id}; add it"},
		{"placeholder, the endpoint has none", gatewayConfig{endpoint: "/x", lambda: `{"function_param_name": "Lambda", "region": "us-east-1"}`}, ".function_param_name", "no placeholder {lambda}: its path has no placeholders; add it"},
		{"placeholder, the endpoint has two others", gatewayConfig{endpoint: "/x/{a}/{b}", lambda: `{"function_param_name": "Lambda", "region": "us-east-1"}`}, ".function_param_name", "its placeholders are {a}, {b}"},
		{"bad function name", gatewayConfig{lambda: `{"function_name": "no spaces please", "region": "us-east-1"}`}, ".function_name", "not a Lambda function name"},
		{"unknown key", gatewayConfig{lambda: `{"function_name": "a", "regoin": "us-east-1"}`}, ".regoin", "unknown key"},
		{"max_retries as a string", gatewayConfig{lambda: `{"function_name": "a", "max_retries": "2", "region": "us-east-1"}`}, ".max_retries", "whole number"},
		{"max_retries as a fraction", gatewayConfig{lambda: `{"function_name": "a", "max_retries": 1.5, "region": "us-east-1"}`}, "", "1.5"},
		{"max_retries below -1", gatewayConfig{lambda: `{"function_name": "a", "max_retries": -2, "region": "us-east-1"}`}, ".max_retries", "got -2"},
		{"invocation_type", gatewayConfig{lambda: `{"function_name": "a", "invocation_type": "Async", "region": "us-east-1"}`}, ".invocation_type", "RequestResponse"},
		{"log_type", gatewayConfig{lambda: `{"function_name": "a", "log_type": "tail", "region": "us-east-1"}`}, ".log_type", "Tail"},
		{"payload_format", gatewayConfig{lambda: `{"function_name": "a", "payload_format": "apigateway", "region": "us-east-1"}`}, ".payload_format", "apigateway_v1"},
		{"response_format", gatewayConfig{lambda: `{"function_name": "a", "response_format": "raw", "region": "us-east-1"}`}, ".response_format", "krakend or apigateway"},
		{"qualifier", gatewayConfig{lambda: `{"function_name": "a", "qualifier": "v 1", "region": "us-east-1"}`}, ".qualifier", "not a version or alias"},
		{"allowed_functions with a fixed name", gatewayConfig{lambda: `{"function_name": "a", "allowed_functions": ["a"], "region": "us-east-1"}`}, ".allowed_functions", "function_name is fixed"},
		{"bad glob", gatewayConfig{endpoint: "/x/{function}", lambda: `{"allowed_functions": ["[a-"], "region": "us-east-1"}`}, ".allowed_functions[0]", "not a valid glob"},
		{"endpoint not a URL", gatewayConfig{lambda: `{"function_name": "a", "endpoint": "localhost:9000"}`}, ".endpoint", "not an endpoint URL"},
		{"region shape", gatewayConfig{lambda: `{"function_name": "a", "region": "US East"}`}, ".region", "not an AWS region"},
		{"external_id without a role", gatewayConfig{lambda: `{"function_name": "a", "external_id": "x", "region": "us-east-1"}`}, ".external_id", "assume_role_arn"},
		{"role_session_name without a role", gatewayConfig{lambda: `{"function_name": "a", "role_session_name": "x", "region": "us-east-1"}`}, ".role_session_name", "assume_role_arn"},
		{"assume_role_arn not a role", gatewayConfig{lambda: `{"function_name": "a", "assume_role_arn": "arn:aws:s3:::bucket", "region": "us-east-1"}`}, ".assume_role_arn", "IAM role ARN"},
		{"not an object", gatewayConfig{lambda: `"fn"`}, "", "JSON object"},
		{"both namespaces", gatewayConfig{lambda: `{"function_name": "a"}`, moreExtra: `, "` + LegacyNamespace + `": {"function_name": "a"}`}, `endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-lambda"]`, "keep \"backend/lambda\" only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := build(t, tc.g, nil)
			path := nsPath + tc.path
			if strings.HasPrefix(tc.path, "endpoints") {
				path = tc.path
			}
			if tc.path == "" && tc.fragment == "1.5" {
				// The decoder reports a fraction at the key or the object.
				if err == nil || !strings.Contains(err.Error(), "max_retries") {
					t.Fatalf("max_retries 1.5 accepted: %v", err)
				}
				return
			}
			wantConfigError(t, err, path, tc.fragment)
		})
	}
}

func TestConfigErrorsAllListed(t *testing.T) {
	t.Parallel()
	_, err := build(t, gatewayConfig{lambda: `{"function_name": "bad name", "invocation_type": "x", "log_type": "y", "max_retries": -5}`}, nil)
	errs, ok := err.(config.Errors)
	if !ok || len(errs) < 4 {
		t.Fatalf("want every problem listed, got %v", err)
	}
}

func TestLegacyNamespace(t *testing.T) {
	t.Parallel()
	f := invoketest.Start(t, invoketest.JSON(`{"legacy":true}`))
	p := mustBuild(t, gatewayConfig{namespace: LegacyNamespace, lambda: `{"function_name": "fn", "endpoint": "` + f.URL + `"}`})
	resp, err := p(ctxT(t), getReq(nil))
	if err != nil || resp.Data["legacy"] != true {
		t.Fatalf("resp %v err %v", resp, err)
	}
}

func TestNotLambda(t *testing.T) {
	t.Parallel()
	svc, _, err := config.Parse([]byte(`{"version": 3, "endpoints": [{"endpoint": "/x", "backend": [{"host": ["http://h"], "url_pattern": "/"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, ok, err := buildOne(specOf(svc, nil, ""))
	if ok || p != nil || err != nil {
		t.Fatalf("claimed a non-Lambda backend: ok=%v err=%v", ok, err)
	}
}
