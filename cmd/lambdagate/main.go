// Command lambdagate is an API gateway that reads KrakenD's configuration
// and puts AWS Lambda functions and HTTP services behind HTTP endpoints.
//
// Subcommands:
//
//	lambdagate run   [-c FILE] [--port N] [--watch] [--functions DIR [--functions-addr ADDR]]
//	lambdagate check [-c FILE] [--functions DIR]
//	lambdagate local --functions DIR [--addr ADDR]
//	lambdagate schema
//	lambdagate health [--url URL] [--timeout D]
//	lambdagate version
//
// This file holds flags and wiring only; the work is in the packages.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `lambdagate: an API gateway for AWS Lambda functions and HTTP services,
configured with KrakenD's krakend.json ("version": 3).

Usage:
  lambdagate run   [-c FILE] [--port N] [--watch] [--functions DIR] [--functions-addr ADDR]
                   serve the gateway (-c defaults to ./krakend.json); with
                   --functions, Lambda backends without an endpoint are served
                   by the built-in local runtime from DIR; SIGHUP rescans DIR
                   and reloads the file, a change of the file with --watch
                   reloads it
  lambdagate check [-c FILE] [--functions DIR]
                   validate the configuration: exit 0, or list every error and exit 1
  lambdagate local --functions DIR [--addr 127.0.0.1:9001]
                   serve only the local Lambda runtime (Invoke API), for the
                   AWS CLI and SDKs (--endpoint-url); SIGHUP rescans DIR
  lambdagate schema
                   print the JSON Schema (draft 2020-12) of the configuration file,
                   for editors: lambdagate schema > lambdagate.schema.json
  lambdagate health [--url http://127.0.0.1:8080/__health] [--timeout 2s]
                   exit 0 when a running gateway's health endpoint answers 200
                   (the container image's HEALTHCHECK)
  lambdagate version
                   print the version
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runGateway(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "local":
		return runLocal(args[1:], stdout, stderr)
	case "schema":
		return runSchema(args[1:], stdout, stderr)
	case "health":
		return runHealth(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "lambdagate %s (%s)\n", versionString(), runtime.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "lambdagate: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
