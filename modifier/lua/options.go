// Package lua implements KrakenD's Lua modifiers, with gopher-lua as the
// VM: modifier/lua-endpoint (a pre script on the client's HTTP request,
// the ctx object, on the service before routing or on an endpoint),
// modifier/lua-proxy (around an endpoint's merge) and modifier/lua-backend
// (around one backend), with KrakenD's API, http_response included.
//
// Sources and the pre and post code are parsed and compiled once at
// start-up (a syntax error is a start-up error naming the file and line);
// each request borrows a VM from the script set's pool, already loaded with
// the sources, and runs the compiled pre and post code on it. A script runs
// under the request's context, so it stops at the endpoint's timeout, and
// under a watchdog that stops it when the process's heap grows past its
// budget while it runs; a script that errors or is stopped fails its layer
// (500), logged with the script and line. live re-reads a source file that
// changed.
//
// This package must not know about routing or transports: it returns
// proxy.Middlewares and handler wrappers the gateway and backend.Build
// place.
package lua

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/lambdagate/lambdagate/config"
)

// The namespaces, current and legacy.
const (
	ProxyNamespace         = "modifier/lua-proxy"
	BackendNamespace       = "modifier/lua-backend"
	EndpointNamespace      = "modifier/lua-endpoint"
	LegacyProxyNamespace   = "github.com/devopsfaith/krakend-lua/proxy"
	LegacyBackendNamespace = "github.com/devopsfaith/krakend-lua/proxy/backend"
)

// Options is one Lua modifier's configuration.
type Options struct {
	// Sources are Lua files loaded, in order, into every VM before pre
	// and post run (their functions become globals).
	Sources []string `json:"sources"`
	// Pre is Lua code run before the layer's call.
	Pre string `json:"pre"`
	// Post is Lua code run on the layer's response.
	Post string `json:"post"`
	// Live re-reads a source that changed on disk.
	Live bool `json:"live"`
	// AllowOpenLibs opens Lua's os, io, package, debug and coroutine
	// libraries; without it a script has the base, string, table and math
	// libraries only.
	AllowOpenLibs bool `json:"allow_open_libs"`
	// SkipNext does not call the layer behind: post runs on an empty
	// response.
	SkipNext bool `json:"skip_next"`
	// MD5 maps a source to the MD5 checksum its content must have
	// (KrakenD's md5 option).
	MD5 map[string]string `json:"md5"`
}

// Decode reads namespace (or its legacy name) from x. It returns nil
// options when neither is present.
func Decode(x *config.ExtraConfig, namespace, legacy string) (*Options, string, error) {
	var o Options
	ns, err := x.DecodeWithLegacy(namespace, legacy, &o)
	if ns == "" || err != nil {
		return nil, "", err
	}
	return &o, config.Join(x.Path, ns), nil
}

// chunk is one compiled piece of Lua: a source file or the pre/post code.
type chunk struct {
	name  string // the file's path, or "pre"/"post"
	proto *glua.FunctionProto
}

// compileBody compiles pre or post code as the body of a function the
// chunk returns, so that each VM makes the function once and a request
// calls it without the chunk's varargs table. The code is parsed alone
// first, so that its errors read as the user wrote it.
func compileBody(path, name, code string) (*chunk, error) {
	if _, err := compile(path, name, code); err != nil {
		return nil, err
	}
	return compile(path, name, "return function() "+code+"\nend")
}

// compile parses and compiles code named name (its line numbers refer to
// it), at path for messages.
func compile(path, name, code string) (*chunk, error) {
	stmts, err := parse.Parse(strings.NewReader(code), name)
	if err != nil {
		return nil, &config.Error{Path: path, Msg: "Lua syntax error in " + name + ": " + oneLine(err.Error())}
	}
	proto, err := glua.Compile(stmts, name)
	if err != nil {
		return nil, &config.Error{Path: path, Msg: "Lua does not compile in " + name + ": " + oneLine(err.Error())}
	}
	return &chunk{name: name, proto: proto}, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// readSource reads and compiles the i-th source, checking its MD5 if the
// options give one.
func (o *Options) readSource(path string, i int) (*chunk, os.FileInfo, error) {
	src := o.Sources[i]
	at := fmt.Sprintf("%s.sources[%d]", path, i)
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, nil, &config.Error{Path: at, Msg: fmt.Sprintf("cannot read the Lua source: %v (paths are relative to the directory lambdagate runs in)", err)}
	}
	if want, ok := o.MD5[src]; ok {
		if got := md5Hex(b); !strings.EqualFold(got, want) {
			return nil, nil, &config.Error{Path: config.Join(config.Join(path, "md5"), src), Msg: fmt.Sprintf("the file's MD5 is %s, not %s: the file changed, or fix the checksum", got, want)}
		}
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, nil, &config.Error{Path: at, Msg: err.Error()}
	}
	c, err := compile(at, src, string(b))
	return c, fi, err
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
