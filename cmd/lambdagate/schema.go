package main

import (
	"fmt"
	"io"

	"github.com/lambdagate/lambdagate/internal/confschema"
)

// runSchema prints the JSON Schema of the configuration file.
func runSchema(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "lambdagate schema: takes no arguments (got %q)\n", args)
		return 2
	}
	data, err := confschema.Schema()
	if err != nil {
		fmt.Fprintf(stderr, "lambdagate schema: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", data)
	return 0
}
