// Command greet is a Go Lambda function: {"first_name": "Ada",
// "last_name": "Lovelace"} → {"message": "Hello Ada Lovelace!"}. Built with
// aws-lambda-go like any Go function for Lambda's provided runtime; the
// local runtime builds it at start-up.
package main

import (
	"context"
	"errors"
	"log"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

// Person is the event greet takes.
type Person struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// Greeting is what greet returns.
type Greeting struct {
	Message string `json:"message"`
}

func greet(ctx context.Context, p Person) (Greeting, error) {
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if name == "" {
		return Greeting{}, errors.New("first_name or last_name is required")
	}
	log.Printf("greeting %s", name)
	return Greeting{Message: "Hello " + name + "!"}, nil
}

func main() { lambda.Start(greet) }
