// Command hello is the example function of examples/lambda: it greets the
// "name" it is given (a query string with GET, a JSON body with POST).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Name string `json:"name"`
}

func hello(_ context.Context, e event) (map[string]string, error) {
	if e.Name == "" {
		e.Name = "world"
	}
	return map[string]string{"message": "hello " + e.Name, "function": "hello"}, nil
}

func main() { lambda.Start(hello) }
