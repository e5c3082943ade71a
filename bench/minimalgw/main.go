// Command minimalgw is the floor lambdagate is measured against: the least
// a Lambda gateway can do per request on lambdagate's transports. It
// serves one route with fasthttp's server; for every request it builds the
// Invoke request, signs it with the AWS SDK's SigV4 signer (the same
// signer and cached credentials lambdagate uses) and sends it with
// fasthttp's client, then writes the function's result back. No routing,
// filtering, validation, request ids, timeouts or error mapping.
//
// bench/loadbench runs it with -reference, so that one run shows how far
// lambdagate's features are from this floor:
//
//	minimalgw -listen 127.0.0.1:PORT -invoke INVOKE_URL
//
// where INVOKE_URL is the fake Invoke server's URL of function size-100
// (its base URL and lambdaapi.EscapedInvokePath("size-100")).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	invoke := flag.String("invoke", "", "the Invoke URL every request calls")
	flag.Parse()
	if *invoke == "" {
		fmt.Fprintln(os.Stderr, "minimalgw: -invoke URL is required")
		os.Exit(2)
	}
	creds := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "bench-secret"}, nil
	}))
	signer := v4.NewSigner()
	client := &fasthttp.Client{MaxConnsPerHost: 512}
	payload := []byte(`{}`)
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])

	handler := func(c *fasthttp.RequestCtx) {
		ctx := context.Background()
		hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, *invoke, nil)
		if err != nil {
			c.SetStatusCode(http.StatusInternalServerError)
			return
		}
		hreq.Header.Set("Content-Type", "application/octet-stream")
		cr, _ := creds.Retrieve(ctx)
		if err := signer.SignHTTP(ctx, cr, hreq, hash, "lambda", "us-east-1", time.Now()); err != nil {
			c.SetStatusCode(http.StatusInternalServerError)
			return
		}
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(*invoke)
		req.Header.SetMethod(http.MethodPost)
		for k, vs := range hreq.Header {
			req.Header.Set(k, vs[0])
		}
		req.SetBodyRaw(payload)
		if err := client.Do(req, resp); err != nil {
			c.SetStatusCode(http.StatusBadGateway)
			return
		}
		c.SetContentType("application/json")
		c.Write(resp.Body())
	}
	fmt.Fprintf(os.Stderr, "minimalgw: serving on %s\n", *listen)
	if err := fasthttp.ListenAndServe(*listen, handler); err != nil {
		fmt.Fprintln(os.Stderr, "minimalgw:", err)
		os.Exit(1)
	}
}
