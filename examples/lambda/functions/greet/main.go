// Command greet is the second example function of examples/lambda: it
// answers with the "name" it is given, formally.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Name string `json:"name"`
}

func greet(_ context.Context, e event) (map[string]string, error) {
	if e.Name == "" {
		e.Name = "stranger"
	}
	return map[string]string{"message": "good day, " + e.Name, "function": "greet"}, nil
}

func main() { lambda.Start(greet) }
