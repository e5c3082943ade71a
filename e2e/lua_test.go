package e2e

import (
	"path/filepath"
	"testing"
)

// TestLuaCanaryLambda is the canary of KrakenD's Lambda documentation: a
// modifier/lua-proxy pre script picks one of two functions at random by
// setting the placeholder function_param_name reads, and a post script
// reshapes the function's result. Both functions are real (aws-lambda-go)
// handlers run by the local runtime; the traffic must reach both.
func TestLuaCanaryLambda(t *testing.T) {
	t.Parallel()
	functions := filepath.Join("..", "examples", "lambda", "functions")
	cfg := `{"version": 3, "timeout": "10s", "endpoints": [{
	  "endpoint": "/canary/{lambda}", "method": "POST",
	  "extra_config": {"modifier/lua-proxy": {
	    "pre": "local r = request.load(); if math.random() < 0.5 then r:params('Lambda', 'hello') else r:params('Lambda', 'greet') end",
	    "post": "local d = response.load():data(); d:set('served_by', d:get('function')); d:del('function'); d:set('message_length', string.len(d:get('message')))"
	  }},
	  "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
	    "extra_config": {"backend/lambda": {"function_param_name": "Lambda", "allowed_functions": ["hello", "greet"], "region": "us-east-1", "max_retries": 1}}}]
	}]}`
	g := gatewayURL(t, startGateway(t, cfg, "--functions", functions))
	served := map[string]int{}
	for i := 0; i < 40; i++ {
		// The client's choice is overridden by the script: "nope" is not
		// an allowed function.
		r := lambdaCall(t, "POST", g+"/canary/nope", `{"name": "Ada"}`)
		if r.status != 200 {
			t.Fatalf("call %d: %d %s", i, r.status, r.body)
		}
		m := decodeObject(t, r.body)
		by, _ := m["served_by"].(string)
		msg, _ := m["message"].(string)
		if _, has := m["function"]; has || (by != "hello" && by != "greet") || m["message_length"] != float64(len(msg)) {
			t.Fatalf("call %d: the post script did not reshape the result: %s", i, r.body)
		}
		served[by]++
		if served["hello"] > 0 && served["greet"] > 0 && i >= 9 {
			break
		}
	}
	if served["hello"] == 0 || served["greet"] == 0 {
		t.Errorf("traffic split %v: both functions must serve", served)
	}
}
