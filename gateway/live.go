package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdagate/lambdagate/internal/fastserver"
	"github.com/lambdagate/lambdagate/internal/h1names"
	"github.com/lambdagate/lambdagate/internal/linger"
	"github.com/lambdagate/lambdagate/internal/wirenames"
)

// Live serves one listener with a gateway that can be replaced while it
// serves (a hot reload): the listener, the server, its open connections
// and its settings stay those of the first gateway; every request is
// served whole by the gateway that was current when it arrived; a replaced
// gateway is closed (its kinds, JWK sets, Redis pools) once its last
// request has finished.
//
// The cost per request is one atomic load of the current generation and
// an atomic count of its requests (see BenchmarkLiveServe).
type Live struct {
	first  *Gateway // whose server settings and telemetry are served
	logger *slog.Logger
	cur    atomic.Pointer[generation]
	// mu serialises Swap and the end of Serve.
	mu      sync.Mutex
	stopped bool
	// draining counts the replaced generations not closed yet.
	draining sync.WaitGroup
	// inFlight counts the requests being served, of every generation, so
	// that a drain that times out only on connections without a request
	// is not reported as requests cut.
	inFlight atomic.Int64
	// names is set when the server's connections record the header
	// names' spelling (h1names), before Serve serves.
	names bool
}

// generation is one gateway served by a Live, with the count of the
// requests it serves.
type generation struct {
	gw   *Gateway
	refs atomic.Int64
	// retired is set once the generation is no longer current: a request
	// that finds it set after counting itself goes to the current one.
	retired atomic.Bool
	drained chan struct{} // closed when retired and refs is 0
	once    sync.Once
}

func newGeneration(g *Gateway) *generation {
	return &generation{gw: g, drained: make(chan struct{})}
}

// release ends one request of the generation.
func (gen *generation) release() {
	if gen.refs.Add(-1) == 0 && gen.retired.Load() {
		gen.once.Do(func() { close(gen.drained) })
	}
}

// retire marks the generation replaced; drained is closed once its
// requests have finished (at once when it has none).
func (gen *generation) retire() {
	gen.retired.Store(true)
	if gen.refs.Load() == 0 {
		gen.once.Do(func() { close(gen.drained) })
	}
}

// NewLive returns a Live serving g; logger defaults to g's.
func NewLive(g *Gateway, logger *slog.Logger) *Live {
	if logger == nil {
		logger = g.logger
	}
	l := &Live{first: g, logger: logger}
	l.cur.Store(newGeneration(g))
	return l
}

// Current returns the gateway serving new requests.
func (l *Live) Current() *Gateway { return l.cur.Load().gw }

// acquire returns the current generation, counted: a request that counted
// itself on a generation that was replaced meanwhile (it could be closing)
// goes to the new one. The order (count, then check retired; retire, then
// check the count) makes sure a closing generation has no request.
func (l *Live) acquire() *generation {
	for {
		gen := l.cur.Load()
		gen.refs.Add(1)
		if !gen.retired.Load() {
			return gen
		}
		gen.release()
	}
}

// ServeHTTP serves r with the current gateway.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.names {
		if c := h1names.FromContext(r.Context()); c != nil {
			if n := c.Next(); n != nil {
				r = r.WithContext(wirenames.NewContext(r.Context(), n))
			}
		}
	}
	gen := l.acquire()
	l.inFlight.Add(1)
	defer func() {
		l.inFlight.Add(-1)
		gen.release()
	}()
	gen.gw.handler.ServeHTTP(w, r)
}

// route is the fasthttp engine's header hook: the current gateway's route
// and body limit for a request, so that every generation's limits hold.
func (l *Live) route(method, path []byte) (string, int64) {
	g := l.cur.Load().gw
	if g.route == nil {
		return "", g.maxBody
	}
	return g.route(method, path)
}

// recordsNames reports whether the server records the client's spelling
// of header names itself (package h1names): the net/http engine on plain
// HTTP/1.1, when the first gateway has a backend or authorizer showing it.
func (l *Live) recordsNames() bool {
	g := l.first
	return g.wireNames && g.engine != EngineFast && (g.cfg.TLS == nil || g.cfg.TLS.Disabled)
}

// bodyBound is the largest request body the running server reads, when
// it cannot change: the fasthttp engine without its header hook (the
// first gateway's endpoints all had one limit); 0 when every limit of a
// later gateway applies.
func (l *Live) bodyBound() int64 {
	g := l.first
	if g.engine != EngineFast || g.route != nil || (g.cfg.TLS != nil && !g.cfg.TLS.Disabled) {
		return 0
	}
	return g.maxBody
}

// Swap makes g the gateway for new requests; the one it replaces is
// closed in the background once its requests have finished, within its
// drain bound (then it is closed anyway, and its requests cut short see
// closed clients). After Serve has returned, Swap closes g and returns
// false.
func (l *Live) Swap(g *Gateway) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		g.close()
		return false
	}
	old := l.cur.Swap(newGeneration(g))
	old.retire()
	l.draining.Add(1)
	go func() {
		defer l.draining.Done()
		t := time.NewTimer(max(old.gw.drain, time.Second))
		defer t.Stop()
		select {
		case <-old.drained:
		case <-t.C:
			l.logger.Warn("a replaced configuration's requests were still running after its drain bound (max_shutdown_wait_time); closing it anyway", "requests", old.refs.Load())
		}
		old.gw.close()
	}()
	return true
}

// Serve serves on ln until ctx ends, then stops gracefully: it stops
// accepting, lets requests in flight finish within the drain bound of the
// current gateway (max_shutdown_wait_time, default the longest endpoint
// timeout), closes every gateway it served, and returns nil.
func (l *Live) Serve(ctx context.Context, ln net.Listener) error {
	g := l.first
	srv := &http.Server{
		Handler:           l,
		ReadTimeout:       g.cfg.ReadTimeout,
		WriteTimeout:      g.cfg.WriteTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    g.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(g.logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if t := g.cfg.TLS; t != nil && !t.Disabled {
		cert, err := tls.LoadX509KeyPair(t.PublicKey, t.PrivateKey)
		if err != nil {
			ln.Close()
			l.stop()
			return fmt.Errorf("tls: loading public_key %s and private_key %s: %w", t.PublicKey, t.PrivateKey, err)
		}
		srv.TLSConfig = &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tlsVersion(t.MinVersion),
			MaxVersion:   tlsVersion(t.MaxVersion),
		}
		scheme = "https"
	}
	stopTelemetry, err := g.startTelemetry()
	if err != nil {
		ln.Close()
		l.stop()
		return err
	}
	defer stopTelemetry()
	var running server = srv
	if srv.TLSConfig == nil && g.engine == EngineFast {
		// The header hook only when the first gateway's body limits
		// differ, as a gateway served alone: then it routes with the
		// current gateway. Without it, a later gateway's endpoints still
		// bound their bodies, within the server's bound (l.bodyBound).
		var route func(method, path []byte) (string, int64)
		if g.route != nil {
			route = l.route
		}
		running = fastserver.New(l, fastserver.Config{
			ReadTimeout:       g.cfg.ReadTimeout,
			ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
			WriteTimeout:      g.cfg.WriteTimeout,
			IdleTimeout:       g.cfg.IdleTimeout,
			MaxHeaderBytes:    g.cfg.MaxHeaderBytes,
			MaxBodyBytes:      g.maxBody,
			Route:             route,
			Logger:            g.logger,
		})
	}
	engine := EngineNetHTTP
	if _, fast := running.(*fastserver.Server); fast {
		engine = EngineFast
	} else {
		// net/http's own close after a refused body lingers 500ms, too
		// short for a client still sending megabytes: the connections
		// close with internal/linger's bounds, as fastserver's do.
		ln = &linger.Listener{Listener: ln, Bounds: linger.Default}
		if l.recordsNames() {
			// Go's HTTP/1.x server canonicalises header names: the
			// connections record how the client spelt them, for the
			// apigateway_v1 events (ServeHTTP hands them on).
			ln = &h1names.Listener{Listener: ln, MaxHeaderBytes: g.cfg.MaxHeaderBytes}
			srv.ConnContext = h1names.ConnContext
			l.names = true
		}
		srv.ConnState = func(c net.Conn, st http.ConnState) {
			if lc := linger.Of(c); lc != nil {
				lc.SetIdle(st == http.StateIdle)
			}
		}
	}
	g.logger.Info("listening", "url", scheme+"://"+ln.Addr().String(), "endpoints", len(g.cfg.Endpoints), "engine", engine)
	done := make(chan error, 1)
	go func() {
		var err error
		if srv.TLSConfig != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = running.Serve(ln)
		}
		done <- err
	}()
	select {
	case err := <-done:
		l.stop()
		return err
	case <-ctx.Done():
	}
	drain := l.Current().drain
	g.logger.Info("shutting down: draining requests in flight", "max_wait", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err = running.Shutdown(sctx)
	var cut int64
	if errors.Is(err, context.DeadlineExceeded) {
		// Counted before the cut: cutting ends the requests' contexts.
		cut = l.inFlight.Load()
		running.Close()
	}
	<-done
	l.stop()
	if errors.Is(err, context.DeadlineExceeded) {
		if cut > 0 {
			return fmt.Errorf("requests still in flight after %s (max_shutdown_wait_time) were cut", drain)
		}
		err = nil
	}
	g.logger.Info("stopped")
	return err
}

// stop closes the current gateway and waits for the replaced ones to be
// closed; later Swaps close their gateway at once.
func (l *Live) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.draining.Wait()
	l.cur.Load().gw.close()
}
