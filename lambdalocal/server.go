package lambdalocal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// DefaultIdleTimeout is how long a warm function process waits for work
// before it is stopped, when Options.IdleTimeout is zero.
const DefaultIdleTimeout = 5 * time.Minute

// Options configures Start.
type Options struct {
	// FunctionsDir is the folder holding one folder per function, each
	// named after its function. Required.
	FunctionsDir string

	// Addr is where the Invoke API listens. Default "127.0.0.1:0": a free
	// loopback port, read back with Server.URL. Credentials are never
	// checked, so keep it on loopback.
	Addr string

	// Logger receives the runtime's own log and every line the functions
	// write (attributes "function" and "request_id"). Default slog.Default().
	Logger *slog.Logger

	// IdleTimeout is how long a warm process may wait for an invocation
	// before it is stopped. Zero means DefaultIdleTimeout; a negative value
	// keeps processes until Close.
	IdleTimeout time.Duration

	// CacheDir holds the Go functions' builds (by content hash) and the
	// embedded runtime clients. Default os.UserCacheDir()/lambdagate.
	CacheDir string

	// Region is the AWS region the functions see (AWS_REGION,
	// AWS_DEFAULT_REGION) and ARNs carry. Default: the host's AWS_REGION or
	// AWS_DEFAULT_REGION, else us-east-1.
	Region string

	// Meter, when set, records the runtime's metrics (cold starts, warm
	// processes, queued and refused invocations, by function; see
	// Server.Instrument). Nil: no metrics, at no cost.
	Meter metric.Meter
}

// maxQueuedEvents bounds the Event invocations waiting or running at once;
// beyond it an Event invocation gets 429 TooManyRequestsException.
const maxQueuedEvents = 1000

// Server is a running local Lambda runtime: the Invoke API on one listener
// and a pool of processes per function, each process with its own Runtime
// API endpoint on loopback. Its methods are safe for concurrent use.
type Server struct {
	logger      *slog.Logger
	region      string
	cacheDir    string
	clientsDir  string
	idleTimeout time.Duration
	dir         string // Options.FunctionsDir
	builder     *goBuilder
	interp      *interpreters
	cat         atomic.Pointer[catalog] // the functions served (catalog.go)
	rescanMu    sync.Mutex              // one Rescan at a time
	spawn       *spawner                // starts every function process (spawn.go)

	http *http.Server
	url  string

	ctx    context.Context // ends at Close: stops queued events and the reaper
	cancel context.CancelFunc

	mu          sync.Mutex // guards closing, bg.Add, instruments, metricsReg, retired and catalog swaps
	closing     bool
	instruments *localInstruments   // set by Instrument
	metricsReg  metric.Registration // the warm processes' callback, once instrumented
	retired     []*pool             // pools a Rescan replaced, closed at Close
	bg          sync.WaitGroup      // serve loop, reaper, Event invocations
	events      atomic.Int64        // Event invocations queued or running

	closeOnce sync.Once
	closeErr  error
}

// Start discovers the functions in opts.FunctionsDir, builds the Go ones
// (or takes them from the cache), and serves the Invoke API until Close.
// ctx bounds the start-up (the builds) only. Any function folder that
// cannot be run is an error naming it: nothing is served then.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.FunctionsDir == "" {
		return nil, errors.New("lambdalocal: Options.FunctionsDir is required: the folder holding one folder per function")
	}
	s := &Server{
		logger:      cmp.Or(opts.Logger, slog.Default()),
		region:      cmp.Or(opts.Region, regionFromEnv()),
		cacheDir:    opts.CacheDir,
		idleTimeout: cmp.Or(opts.IdleTimeout, DefaultIdleTimeout),
		dir:         opts.FunctionsDir,
		interp:      &interpreters{},
	}
	if s.cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		s.cacheDir = filepath.Join(base, "lambdagate")
	}
	fns, err := discoverFunctions(opts.FunctionsDir)
	if err != nil {
		return nil, err
	}
	if s.clientsDir, err = installRuntimeClients(s.cacheDir); err != nil {
		return nil, err
	}
	s.builder = &goBuilder{cacheDir: s.cacheDir, logger: s.logger}
	cat := &catalog{pools: make(map[string]*pool, len(fns))}
	for _, fn := range fns {
		if err := s.prepare(ctx, fn); err != nil {
			return nil, err
		}
		cat.names = append(cat.names, fn.name)
		cat.pools[fn.name] = newPool(s, fn)
	}
	slices.Sort(cat.names)
	s.cat.Store(cat)
	if err := s.Instrument(opts.Meter); err != nil {
		return nil, fmt.Errorf("lambdalocal: creating the metrics: %w", err)
	}

	addr := cmp.Or(opts.Addr, "127.0.0.1:0")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lambdalocal: listening on %s: %w (choose another address)", addr, err)
	}
	s.url = "http://" + dialable(ln.Addr())
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.spawn = newSpawner()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("local Lambda runtime stopped serving", "error", err)
		}
	}()
	if s.idleTimeout > 0 {
		s.bg.Add(1)
		go s.reapLoop()
	}
	for _, name := range cat.names {
		fn := cat.pools[name].fn
		s.logger.Debug("function ready", "function", name, "runtime", fn.kind.String(), "handler", fn.handler,
			"timeout", fn.timeout, "memory_mb", fn.memoryMB, "concurrency", fn.concurrency, "dir", fn.dir)
	}
	s.logger.Info("local Lambda runtime listening", "url", s.url, "functions", cat.names)
	return s, nil
}

// URL is the Invoke API's base URL, e.g. "http://127.0.0.1:43211": the
// endpoint to give the AWS CLI (--endpoint-url) or an SDK (BaseEndpoint).
func (s *Server) URL() string { return s.url }

// Functions returns the names of the functions served, sorted.
func (s *Server) Functions() []string { return slices.Clone(s.cat.Load().names) }

// Close stops the listener, kills every function process and waits for
// them and for the requests in progress, until ctx ends. Invocations cut
// short get Runtime.ExitError. Later calls return the first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		pools := slices.Collect(maps.Values(s.cat.Load().pools))
		pools = append(pools, s.retired...)
		s.mu.Unlock()
		s.unregisterMetrics()
		s.cancel()
		shutdown := make(chan error, 1)
		go func() { shutdown <- s.http.Shutdown(ctx) }()
		var wg sync.WaitGroup
		for _, p := range pools {
			wg.Go(p.close)
		}
		wg.Wait()
		if err := <-shutdown; err != nil {
			s.closeErr = fmt.Errorf("lambdalocal: closing: %w", err)
			s.http.Close()
		}
		s.bg.Wait()
		s.spawn.stop()
	})
	return s.closeErr
}

// reapLoop stops processes idle for longer than the idle timeout.
func (s *Server) reapLoop() {
	defer s.bg.Done()
	every := min(max(s.idleTimeout/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			for _, p := range s.cat.Load().pools {
				p.reap(now.Add(-s.idleTimeout))
			}
		}
	}
}

// processes counts the live function processes, for tests.
func (s *Server) processes() int {
	n := 0
	s.mu.Lock()
	pools := append(slices.Collect(maps.Values(s.cat.Load().pools)), s.retired...)
	s.mu.Unlock()
	for _, p := range pools {
		n += p.processes()
	}
	return n
}

// dialable turns a listener's address into one a client can dial: an
// unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
