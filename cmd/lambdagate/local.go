package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lambdagate/lambdagate/lambdalocal"
)

// runLocal implements `lambdagate local`: the local Lambda runtime on its
// own, for the AWS CLI and SDKs (--endpoint-url). SIGHUP rescans the
// functions folder. It serves until SIGINT or SIGTERM and returns the exit code: 0 after a clean stop, 1 when the
// runtime cannot start or stop, 2 for bad usage.
func runLocal(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("lambdagate local", flag.ContinueOnError)
	flags.SetOutput(stderr)
	functions := flags.String("functions", "", "`folder` holding one folder per function, named after it (required)")
	addr := flags.String("addr", "127.0.0.1:9001", "`address` the Lambda Invoke API listens on")
	idle := flags.Duration("idle-timeout", lambdalocal.DefaultIdleTimeout, "stop a warm function process after this long without work; negative: never")
	cacheDir := flags.String("cache-dir", "", "`folder` for Go builds and runtime clients (default: the user cache folder's lambdagate)")
	region := flags.String("region", "", "AWS `region` the functions see (default: $AWS_REGION, else us-east-1)")
	flags.Usage = func() {
		fmt.Fprintf(stderr, "Usage: lambdagate local --functions DIR [--addr 127.0.0.1:9001]\n\n"+
			"Serves the functions in DIR on the Lambda Invoke API, for the AWS CLI and SDKs:\n"+
			"  aws lambda invoke --endpoint-url http://127.0.0.1:9001 --function-name hello out.json\n\n"+
			"Flags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "lambdagate local: unexpected argument %q\n", flags.Arg(0))
		flags.Usage()
		return 2
	}
	if *functions == "" {
		fmt.Fprintln(stderr, "lambdagate local: --functions is required: the folder holding one folder per function")
		flags.Usage()
		return 2
	}
	if *idle == 0 {
		*idle = lambdalocal.DefaultIdleTimeout
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	// From here SIGHUP rescans the functions folder; it never ends the process.
	hup, stopHangups := hangups()
	defer stopHangups()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := lambdalocal.Start(ctx, lambdalocal.Options{
		FunctionsDir: *functions,
		Addr:         *addr,
		Logger:       logger,
		IdleTimeout:  *idle,
		CacheDir:     *cacheDir,
		Region:       *region,
	})
	if err != nil {
		fmt.Fprintf(stderr, "lambdagate local: %v\n", err)
		return 1
	}
	names := srv.Functions()
	fmt.Fprintf(stdout, "Lambda runtime listening on %s with %d functions: %s\n", srv.URL(), len(names), strings.Join(names, ", "))
	fmt.Fprintf(stdout, "Try: aws lambda invoke --endpoint-url %s --function-name %s out.json\n", srv.URL(), names[0])

	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			waiting = false
		case <-hup:
			rescanFunctions(ctx, srv, logger)
		}
	}
	stop()
	logger.Info("stopping the local Lambda runtime")
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Close(closeCtx); err != nil {
		fmt.Fprintf(stderr, "lambdagate local: %v\n", err)
		return 1
	}
	return 0
}
