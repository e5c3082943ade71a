package lua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// Limits of every VM: the call stack and the data stack (registry) a
// script may use. A script past them fails with a Lua error.
const (
	callStackSize   = 256
	registrySize    = 1024
	registryMaxSize = 64 * 1024
	// poolSize bounds the idle VMs a script set keeps.
	poolSize = 64
)

// Script is one Lua modifier, compiled: its sources, pre and post code,
// and the pool of VMs loaded with the sources.
type Script struct {
	opts      Options
	path      string
	names     []string // request params' names by slot
	noop      bool     // the layer's response is a no-op one (body getters)
	url       func(*proxy.Request) (string, error)
	client    *http.Client
	userAgent string
	timeout   time.Duration
	memory    int64 // the watchdog's budget, bytes
	logger    *slog.Logger
	pre       *chunk
	post      *chunk

	mu      sync.Mutex // guards sources and mtimes on live reloads
	sources []*chunk
	mtimes  []time.Time
	gen     atomic.Uint64 // bumped on every reload: older VMs are dropped
	checked atomic.Int64  // unix nanos of the last live check
	every   time.Duration // how often live checks the files

	pool chan *vm
}

// Spec is what New needs besides the options.
type Spec struct {
	// Path is the namespace's JSON path, for messages.
	Path string
	// ParamNames are the request params' names by slot (KrakenD's: the
	// first letter upper-cased), for request:params().
	ParamNames []string
	// NoOp says the layer's responses are no-op ones, whose body scripts
	// may read and write.
	NoOp bool
	// Logger gets the scripts' failures.
	Logger *slog.Logger
	// URL returns the URL the layer's backend calls for a request, for
	// request:url() in a modifier/lua-backend script; nil where there is
	// none (a Lambda backend, modifier/lua-proxy).
	URL func(*proxy.Request) (string, error)
	// Client sends http_response's requests: the gateway's HTTP client
	// (nil: Go's default client).
	Client *http.Client
	// UserAgent is the User-Agent of http_response's requests that set
	// none.
	UserAgent string
	// Timeout bounds a modifier/lua-endpoint script (Wrap), which runs
	// before the endpoint's own timeout starts: the endpoint's timeout.
	Timeout time.Duration
	// MemoryBudget is how much the process's live heap may grow while a
	// run of the script goes on before the watchdog stops it (0:
	// DefaultMemoryBudget).
	MemoryBudget int64
}

// New compiles o's sources and code. Errors name the JSON path, the file
// and the line.
func New(o *Options, spec Spec) (*Script, error) {
	s := &Script{opts: *o, path: spec.Path, names: spec.ParamNames, noop: spec.NoOp, url: spec.URL, client: spec.Client, userAgent: spec.UserAgent, timeout: spec.Timeout, memory: spec.MemoryBudget, logger: spec.Logger, pool: make(chan *vm, poolSize), every: liveEvery}
	if s.memory <= 0 {
		s.memory = DefaultMemoryBudget
	}
	var errs config.Errors
	if o.Pre == "" && o.Post == "" {
		errs.Add(spec.Path, "has neither pre nor post code: say what to run, such as \"pre\": \"my_function(request.load())\"")
	}
	for i := range o.Sources {
		c, fi, err := o.readSource(spec.Path, i)
		if err != nil {
			errs.Append(spec.Path, err)
			continue
		}
		s.sources = append(s.sources, c)
		s.mtimes = append(s.mtimes, fi.ModTime())
	}
	var err error
	if o.Pre != "" {
		if s.pre, err = compileBody(config.Join(spec.Path, "pre"), "pre", o.Pre); err != nil {
			errs.Append(spec.Path, err)
		}
	}
	if o.Post != "" {
		if s.post, err = compileBody(config.Join(spec.Path, "post"), "post", o.Post); err != nil {
			errs.Append(spec.Path, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	// One VM now: a source that fails when run (not only when parsed)
	// is a start-up error too.
	v, err := s.newVM()
	if err != nil {
		return nil, &config.Error{Path: spec.Path, Msg: err.Error()}
	}
	s.put(v)
	return s, nil
}

// Close drops the idle VMs.
func (s *Script) Close() {
	for {
		select {
		case v := <-s.pool:
			v.L.Close()
		default:
			return
		}
	}
}

// get borrows a VM loaded with the current sources.
func (s *Script) get() (*vm, error) {
	if s.opts.Live {
		s.reload()
	}
	gen := s.gen.Load()
	for {
		select {
		case v := <-s.pool:
			if v.gen == gen {
				return v, nil
			}
			v.L.Close()
			continue
		default:
		}
		return s.newVM()
	}
}

// put returns a VM to the pool, or closes it when the pool is full.
func (s *Script) put(v *vm) {
	v.call = call{}
	select {
	case s.pool <- v:
	default:
		v.L.Close()
	}
}

// liveEvery is how often live checks the sources' modification times.
const liveEvery = time.Second

// reload re-reads the sources that changed on disk, at most once per
// liveEvery. A source that no longer compiles is kept as it was, and the
// failure logged.
func (s *Script) reload() {
	now := time.Now().UnixNano()
	last := s.checked.Load()
	if now-last < int64(s.every) || !s.checked.CompareAndSwap(last, now) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for i, src := range s.opts.Sources {
		fi, err := os.Stat(src)
		if err != nil || fi.ModTime().Equal(s.mtimes[i]) {
			continue
		}
		c, fi, err := s.opts.readSource(s.path, i)
		if err != nil {
			if s.logger != nil {
				s.logger.Error("lua: live reload failed; the previous version stays", slog.String("source", src), slog.String("error", err.Error()))
			}
			continue
		}
		s.sources[i] = c
		s.mtimes[i] = fi.ModTime()
		changed = true
	}
	if changed {
		s.gen.Add(1)
	}
}

// newVM makes a VM with the libraries allowed, the API, and the sources
// run.
func (s *Script) newVM() (*vm, error) {
	L := glua.NewState(glua.Options{
		SkipOpenLibs:    true,
		CallStackSize:   callStackSize,
		RegistrySize:    registrySize,
		RegistryMaxSize: registryMaxSize,
	})
	libs := []struct {
		name string
		open glua.LGFunction
	}{{glua.BaseLibName, glua.OpenBase}, {glua.TabLibName, glua.OpenTable}, {glua.StringLibName, glua.OpenString}, {glua.MathLibName, glua.OpenMath}}
	if s.opts.AllowOpenLibs {
		libs = append(libs, []struct {
			name string
			open glua.LGFunction
		}{{glua.LoadLibName, glua.OpenPackage}, {glua.OsLibName, glua.OpenOs}, {glua.IoLibName, glua.OpenIo}, {glua.DebugLibName, glua.OpenDebug}, {glua.CoroutineLibName, glua.OpenCoroutine}}...)
	}
	for _, lib := range libs {
		L.Push(L.NewFunction(lib.open))
		L.Push(glua.LString(lib.name))
		L.Call(1, 0)
	}
	if !s.opts.AllowOpenLibs {
		// The base library's file access goes with io.
		for _, f := range []string{"dofile", "loadfile"} {
			L.SetGlobal(f, glua.LNil)
		}
	}
	// string.rep, bounded: one call would otherwise allocate any size at
	// once, before the watchdog's next look.
	if str, ok := L.GetGlobal(glua.StringLibName).(*glua.LTable); ok {
		L.SetField(str, "rep", L.NewFunction(s.stringRep))
	}
	v := &vm{L: L, s: s}
	v.register()
	s.mu.Lock()
	sources := append([]*chunk(nil), s.sources...)
	v.gen = s.gen.Load()
	s.mu.Unlock()
	for _, c := range sources {
		L.Push(L.NewFunctionFromProto(c.proto))
		if err := L.PCall(0, 0, nil); err != nil {
			L.Close()
			return nil, fmt.Errorf("the Lua source %s fails when loaded: %s", c.name, oneLine(err.Error()))
		}
	}
	// The pre and post functions, made once per VM.
	for _, f := range []struct {
		c   *chunk
		dst **glua.LFunction
	}{{s.pre, &v.preFn}, {s.post, &v.postFn}} {
		if f.c == nil {
			continue
		}
		L.Push(L.NewFunctionFromProto(f.c.proto))
		if err := L.PCall(0, 1, nil); err != nil {
			L.Close()
			return nil, fmt.Errorf("the Lua %s code fails: %s", f.c.name, oneLine(err.Error()))
		}
		fn, ok := L.Get(-1).(*glua.LFunction)
		L.Pop(1)
		if !ok {
			L.Close()
			return nil, fmt.Errorf("the Lua %s code does not compile to a function", f.c.name)
		}
		*f.dst = fn
	}
	return v, nil
}

// stringRep is string.rep(s, n), refusing a result larger than the
// script's memory budget.
func (s *Script) stringRep(L *glua.LState) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || str == "" {
		L.Push(glua.LString(""))
		return 1
	}
	if int64(len(str))*int64(n) > s.memory || int64(n) > s.memory {
		L.RaiseError("string.rep: the result (%d bytes) is larger than the script's memory budget (%d MiB)", int64(len(str))*int64(n), s.memory>>20)
	}
	L.Push(glua.LString(strings.Repeat(str, n)))
	return 1
}

// ErrScript is the cause of every failure of a script.
var ErrScript = errors.New("lua script failed")

// ScriptError is a script's failure: a Lua error, a stop at the deadline.
type ScriptError struct {
	// Script names the code: "pre", "post" or a source file.
	Script string
	// Msg is Lua's message, with the line.
	Msg string
}

// Error returns Lua's message.
func (e *ScriptError) Error() string { return "lua " + e.Script + ": " + e.Msg }

// Unwrap returns ErrScript.
func (e *ScriptError) Unwrap() error { return ErrScript }

// CustomError is what custom_error(message, status, content_type) raises:
// the client gets status (500 when not given) and message as the body.
type CustomError struct {
	Message     string
	Status      int
	ContentType string
}

// Error returns the message.
func (e *CustomError) Error() string { return e.Message }

// ClientStatus is the status the script chose, 500 by default.
func (e *CustomError) ClientStatus() int {
	if e.Status <= 0 {
		return 500
	}
	return e.Status
}

// RelayedBody returns the message as the body.
func (e *CustomError) RelayedBody() ([]byte, string, bool) {
	ct := e.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	return []byte(e.Message), ct, true
}

// run runs c on v under ctx. A failure is a *CustomError or a
// *ScriptError, logged.
func (s *Script) run(ctx context.Context, v *vm, c *chunk, fn *glua.LFunction) error {
	L := v.L
	wctx, w := dog.watch(ctx, s.memory)
	L.SetContext(wctx)
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	L.RemoveContext()
	dog.done(w)
	if err == nil {
		return nil
	}
	if v.call.custom != nil {
		return v.call.custom
	}
	msg := err.Error()
	var ae *glua.ApiError
	if errors.As(err, &ae) && ae.Object != nil {
		msg = ae.Object.String()
	}
	switch {
	case errors.Is(context.Cause(wctx), errMemory):
		msg = fmt.Sprintf("stopped: the gateway's memory grew by more than the script's budget (%d MiB) while it ran: %s", s.memory>>20, msg)
	case ctx.Err() != nil:
		msg = "stopped at the endpoint's timeout: " + msg
	}
	if s.logger != nil {
		s.logger.LogAttrs(ctx, slog.LevelError, "lua script failed", slog.String("namespace", s.path), slog.String("script", c.name), slog.String("error", oneLine(msg)))
	}
	return &ScriptError{Script: c.name, Msg: oneLine(msg)}
}

// Middleware returns the script around a layer: pre before next (which it
// skips with skip_next), post on its response.
func (s *Script) Middleware() proxy.Middleware {
	return func(next proxy.Proxy) proxy.Proxy {
		return func(ctx context.Context, req *proxy.Request) (*proxy.Response, error) {
			v, err := s.get()
			if err != nil {
				return nil, &ScriptError{Script: "sources", Msg: err.Error()}
			}
			ok := false
			defer func() {
				if ok {
					s.put(v)
				} else {
					v.L.Close()
				}
			}()
			if s.pre != nil {
				// The request is cloned by the first setter a script
				// calls: the shared one stays as it is.
				v.call = call{req: req}
				if err := s.run(ctx, v, s.pre, v.preFn); err != nil {
					return nil, err
				}
				req = v.call.req
			}
			var resp *proxy.Response
			if s.opts.SkipNext {
				resp = &proxy.Response{}
			} else {
				resp, err = next(ctx, req)
				if err != nil {
					ok = true
					return resp, err
				}
			}
			if s.post != nil {
				if resp == nil {
					resp = &proxy.Response{}
				}
				v.call = call{req: req, resp: resp, cloned: true}
				if err := s.run(ctx, v, s.post, v.postFn); err != nil {
					if resp.Body != nil {
						resp.Body.Close()
					}
					return nil, err
				}
			}
			ok = true
			return resp, nil
		}
	}
}
