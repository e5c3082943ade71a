package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// defaultHealthURL is where a gateway run with the defaults answers its
// health check.
const defaultHealthURL = "http://127.0.0.1:8080/__health"

// runHealth asks a running gateway's health endpoint and exits 0 when it
// answers 200: the container image's HEALTHCHECK, which has no curl.
func runHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", defaultHealthURL, "the health endpoint's URL")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "lambdagate health: --url %q: %v\n", *url, err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "lambdagate health: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "lambdagate health: %s answered %s\n", *url, res.Status)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s\n", *url, res.Status)
	return 0
}
