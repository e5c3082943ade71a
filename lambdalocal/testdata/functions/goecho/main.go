// Command goecho is a test function: it returns its event, logs a line,
// fails when the event has "fail", and panics when it has "panic".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handle(ctx context.Context, event map[string]any) (map[string]any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	log.Printf("goecho got %d keys", len(event))
	if msg, ok := event["fail"].(string); ok {
		return nil, errors.New(msg)
	}
	if _, ok := event["panic"]; ok {
		panic("goecho was asked to panic")
	}
	if code, ok := event["exit"].(float64); ok {
		os.Exit(int(code))
	}
	raw, _ := json.Marshal(event)
	return map[string]any{"event": json.RawMessage(raw), "request_id": lc.AwsRequestID, "arn": lc.InvokedFunctionArn}, nil
}

func main() { lambda.Start(handle) }
