package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/gateway"
	"github.com/lambdagate/lambdagate/lambdalocal"
	"github.com/lambdagate/lambdagate/telemetry"
)

func runGateway(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "./krakend.json", "configuration file")
	port := fs.Int("port", -1, "listening port, overriding the file's (0 lets the system choose)")
	listenIP := fs.String("listen-ip", "", "address to listen on, overriding the file's listen_ip (127.0.0.1: loopback only)")
	functions := fs.String("functions", "", "serve Lambda backends without an endpoint from the local runtime, with the functions in this directory")
	functionsAddr := fs.String("functions-addr", "127.0.0.1:0", "address of the local Lambda runtime started by --functions")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for `go tool pprof`)")
	watch := fs.Bool("watch", false, "reload the configuration when the file changes (SIGHUP always reloads it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// From here SIGHUP reloads the configuration; it never ends the process.
	hup, stopHangups := hangups()
	defer stopHangups()
	loadStart := time.Now()
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "lambdagate: --cpuprofile: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	if *port > 65535 {
		fmt.Fprintf(stderr, "lambdagate: --port %d is not a port (0 to 65535)\n", *port)
		return 2
	}
	if *listenIP != "" && net.ParseIP(*listenIP) == nil {
		fmt.Fprintf(stderr, "lambdagate: --listen-ip %q is not an IP address (e.g. 127.0.0.1 or ::1)\n", *listenIP)
		return 2
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		printConfigErrors(stderr, *file, &config.Error{Msg: fmt.Sprintf("cannot read the configuration: %v (pass the file with -c FILE)", err)})
		return 1
	}
	cfg, warns, err := config.Parse(data)
	if err != nil {
		printConfigErrors(stderr, *file, err)
		return 1
	}
	// The command line's overrides, applied to every configuration read
	// (a reload's too).
	prepare := func(c *config.Service) {
		if *port >= 0 {
			c.Port = *port
		}
		if *listenIP != "" {
			c.ListenIP = *listenIP
		}
	}
	prepare(cfg)
	logger, lwarns, err := telemetry.NewLogger(&cfg.ExtraConfig, stdout, stderr)
	if err != nil {
		printConfigErrors(stderr, *file, err)
		return 1
	}
	warns = append(warns, lwarns...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var (
		localURL string
		local    *lambdalocal.Server
	)
	if *functions != "" {
		srv, err := lambdalocal.Start(ctx, lambdalocal.Options{FunctionsDir: *functions, Addr: *functionsAddr, Logger: logger})
		if err != nil {
			fmt.Fprintf(stderr, "lambdagate: --functions %s: %v\n", *functions, err)
			return 1
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Close(cctx)
		}()
		// The runtime logs its own start (its URL and functions), once.
		localURL, local = srv.URL(), srv
	}

	gopts := gateway.Options{Logger: logger, LocalLambdaURL: localURL, Version: versionString()}
	hash := gateway.HashConfig(data)
	first := gopts
	first.ConfigHash = hash
	gw, gwarns, err := gateway.New(cfg, first)
	warns = append(warns, gwarns...)
	for _, w := range config.GroupWarnings(warns) {
		logger.Warn(w)
	}
	if err != nil {
		printConfigErrors(stderr, *file, err)
		return 1
	}
	defer gw.Close()
	if tel := gw.Telemetry(); local != nil && tel.Metrics() {
		if err := local.Instrument(tel.Meter()); err != nil {
			logger.Warn("local Lambda runtime: no metrics: " + err.Error())
		}
	}
	ln, err := gw.Listen()
	if err != nil {
		logger.Error(err.Error())
		return 1
	}
	live := gateway.NewLive(gw, logger)
	reloader, err := gateway.NewReloader(live, *file, cfg, hash, gopts, prepare, time.Since(loadStart))
	if err != nil {
		logger.Warn("configuration reloads: no metrics: " + err.Error())
	}
	defer reloader.Close()
	var watcher *fsnotify.Watcher
	if *watch {
		if watcher, err = watchFolder(*file); err != nil {
			ln.Close()
			logger.Error(fmt.Sprintf("--watch %s: %v", *file, err))
			return 1
		}
		defer watcher.Close()
		logger.Info("watching the configuration file for changes", "file", *file)
	}
	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		reloadLoop(loopCtx, reloader, *file, hup, watcher, local, logger)
	}()
	err = live.Serve(ctx, ln)
	stopLoop()
	<-loopDone
	if err != nil {
		logger.Error(err.Error())
		return 1
	}
	return 0
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "./krakend.json", "configuration file")
	functions := fs.String("functions", "", "check as `run --functions DIR` would run it: Lambda backends without an endpoint use the local runtime")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// Every problem at once: the file's own, then those found building the
	// gateway from what could be read.
	cfg, warns, err := config.Load(*file)
	var errs config.Errors
	errs.Append("", err)
	if cfg != nil {
		_, lwarns, lerr := telemetry.NewLogger(&cfg.ExtraConfig, io.Discard, io.Discard)
		errs.Append("", lerr)
		warns = append(warns, lwarns...)
		var localURL string
		if *functions != "" {
			// Not contacted: check only needs to know the runtime will be there.
			localURL = "http://127.0.0.1:9001"
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		gw, gwarns, gerr := gateway.New(cfg, gateway.Options{Logger: quiet, LocalLambdaURL: localURL, Version: versionString()})
		if gw != nil {
			gw.Close()
		}
		var built config.Errors
		built.Append("", gerr)
		errs = append(errs, notReportedYet(errs, built)...)
		warns = append(warns, gwarns...)
	}
	err = errs.Err()
	for _, w := range config.GroupWarnings(warns) {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil {
		printConfigErrors(stderr, *file, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: configuration OK (%d endpoints)\n", *file, len(cfg.Endpoints))
	return 0
}

// printConfigErrors lists every problem, one a line, prefixed by the file.
func printConfigErrors(w io.Writer, file string, err error) {
	var errs config.Errors
	if errors.As(err, &errs) {
		fmt.Fprintf(w, "%s: %d problem(s):\n", file, len(errs))
		for _, e := range errs {
			fmt.Fprintf(w, "  %s\n", e.Error())
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", file, err)
}

// notReportedYet drops the build errors at a path the file's own errors
// already name: building a part that could not be read only says the same
// thing again.
func notReportedYet(reported, more config.Errors) config.Errors {
	seen := map[string]bool{}
	for _, e := range reported {
		seen[e.Path] = true
	}
	var out config.Errors
	same := map[string]bool{}
	for _, e := range more {
		if seen[e.Path] || same[e.Error()] {
			continue
		}
		same[e.Error()] = true
		out = append(out, e)
	}
	return out
}

// startCPUProfile profiles the process into file until the returned
// function is called.
func startCPUProfile(file string) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
