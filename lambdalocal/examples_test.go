package lambdalocal

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestQuickstartFunctions keeps examples/quickstart/functions working: each
// function answers as the quickstart documents.
func TestQuickstartFunctions(t *testing.T) {
	t.Parallel()
	srv := examplesServer(t)
	tests := []struct {
		function, payload, want string
		python                  bool
	}{
		{"hello", `{}`, `{"statusCode":200,"body":"\"Hello from Lambda!\""}`, false},
		{"greet", `{"first_name":"Ada","last_name":"Lovelace"}`, `{"message":"Hello Ada Lovelace!"}`, false},
		{"shout", `{"text":"hello"}`, `{"text":"HELLO!"}`, false},
		{"pyecho", `{"a": [1, 2]}`, `{"echo": {"a": [1, 2]}, "function": "pyecho"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			t.Parallel()
			if tt.python {
				requirePython(t)
			}
			out, err := newClient(srv).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(tt.payload)})
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Payload) != tt.want || out.FunctionError != nil {
				t.Errorf("got %s (function error %q), want %s", out.Payload, aws.ToString(out.FunctionError), tt.want)
			}
		})
	}
	t.Run("greet without a name", func(t *testing.T) {
		t.Parallel()
		out, err := newClient(srv).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Handled" {
			t.Errorf("got %s, want a function error", out.Payload)
		}
	})
}
