package lambdalocal

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambdagate/lambdagate/internal/lambdaapi"
)

// runtimeKind says how a function folder is run.
type runtimeKind int

const (
	kindProvided runtimeKind = iota // the folder's own bootstrap executable
	kindGo                          // a Go main package, built into a bootstrap
	kindNode                        // a Node.js handler run by the embedded client
	kindPython                      // a Python handler run by the embedded client
)

// String names the kind the way Lambda names runtimes, for logs.
func (k runtimeKind) String() string {
	switch k {
	case kindGo:
		return "go (provided)"
	case kindNode:
		return "nodejs"
	case kindPython:
		return "python"
	default:
		return "provided"
	}
}

// function is one discovered function with its settings resolved.
type function struct {
	name        string
	dir         string // absolute folder path: LAMBDA_TASK_ROOT
	kind        runtimeKind
	handler     string // _HANDLER
	timeout     time.Duration
	memoryMB    int
	env         map[string]string // from function.json
	concurrency int
	argv        []string // the command that starts one process; set by prepare
	fingerprint string   // what a process runs, to tell a changed function on Rescan; set by prepare
}

// discoverFunctions reads every function folder under root. Entries whose
// name starts with "." and plain files are skipped; anything else that is
// not a valid function is an error naming the folder.
func discoverFunctions(root string) ([]*function, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("functions directory %q: %w", root, err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("functions directory: %w (give an existing folder holding one folder per function)", err)
	}
	var fns []*function
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(abs, name)
		info, err := os.Stat(dir) // follows symbolic links to folders
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		if !info.IsDir() {
			continue
		}
		if !lambdaapi.ValidName(name) {
			return nil, fmt.Errorf("%s: a function folder's name is the function's name and must be 1 to 64 letters, digits, - or _; rename it, or start it with . to skip it", dir)
		}
		fn, err := loadFunction(name, dir)
		if err != nil {
			return nil, err
		}
		fns = append(fns, fn)
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("functions directory %s holds no function folders; add one folder per function (see docs/local-runtime.md)", abs)
	}
	return fns, nil
}

// loadFunction reads one function folder.
func loadFunction(name, dir string) (*function, error) {
	settings, err := readFunctionJSON(dir)
	if err != nil {
		return nil, err
	}
	fn := &function{
		name:        name,
		dir:         dir,
		timeout:     defaultTimeout,
		memoryMB:    defaultMemoryMB,
		concurrency: defaultConcurrency,
		env:         settings.Environment,
	}
	if settings.Timeout > 0 {
		fn.timeout = settings.Timeout
	}
	if settings.MemoryMB > 0 {
		fn.memoryMB = settings.MemoryMB
	}
	if settings.Concurrency > 0 {
		fn.concurrency = settings.Concurrency
	}
	fn.kind, fn.handler, err = detectRuntime(dir, settings.Handler)
	if err != nil {
		return nil, err
	}
	return fn, nil
}

// detectRuntime decides how to run a folder and with which handler. The
// order is: a bootstrap executable; the file an explicit handler names; a Go
// package; Lambda's default handler files.
func detectRuntime(dir, handler string) (runtimeKind, string, error) {
	bootstrap := filepath.Join(dir, "bootstrap")
	if info, err := os.Stat(bootstrap); err == nil && !info.IsDir() {
		if info.Mode().Perm()&0o111 == 0 {
			return 0, "", fmt.Errorf("%s is not executable; run chmod +x on it", bootstrap)
		}
		return kindProvided, cmp.Or(handler, "bootstrap"), nil
	}
	if handler != "" {
		kinds := handlerFileKinds(dir, handler)
		switch len(kinds) {
		case 1:
			return kinds[0], handler, nil
		case 2:
			return 0, "", fmt.Errorf("%s: handler %q matches both a Node.js and a Python file; rename one of them", filepath.Join(dir, "function.json"), handler)
		}
	}
	if hasGoFiles(dir) {
		return kindGo, cmp.Or(handler, "bootstrap"), nil
	}
	if handler != "" {
		return 0, "", fmt.Errorf("%s: handler %q names no file in %s (for Node.js %s.js, .mjs or .cjs; for Python %s.py)",
			filepath.Join(dir, "function.json"), handler, dir, nodeModule(handler), strings.ReplaceAll(pythonModule(handler), ".", "/"))
	}
	type candidate struct {
		file, handler string
		kind          runtimeKind
	}
	var found []candidate
	for _, c := range []candidate{
		{"index.js", "index.handler", kindNode},
		{"index.mjs", "index.handler", kindNode},
		{"index.cjs", "index.handler", kindNode},
		{"lambda_function.py", "lambda_function.lambda_handler", kindPython},
		{"handler.py", "handler.handler", kindPython},
	} {
		if fileExists(filepath.Join(dir, c.file)) {
			found = append(found, c)
		}
	}
	switch {
	case len(found) == 0:
		return 0, "", fmt.Errorf("%s: no function found: add a bootstrap executable, a Go main package, index.js or index.mjs exporting handler, lambda_function.py with lambda_handler, or handler.py with handler (or start the folder's name with . to skip it)", dir)
	case len(found) > 1 && found[0].kind != found[1].kind:
		return 0, "", fmt.Errorf("%s: both %s and %s are present; say which runs with \"handler\" in function.json", dir, found[0].file, found[1].file)
	}
	return found[0].kind, found[0].handler, nil
}

// handlerFileKinds lists the runtimes that have the file a handler names.
func handlerFileKinds(dir, handler string) []runtimeKind {
	var kinds []runtimeKind
	base := filepath.Join(dir, filepath.FromSlash(nodeModule(handler)))
	if fileExists(base+".js") || fileExists(base+".mjs") || fileExists(base+".cjs") {
		kinds = append(kinds, kindNode)
	}
	py := filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(pythonModule(handler), ".", "/")))
	if fileExists(py + ".py") {
		kinds = append(kinds, kindPython)
	}
	return kinds
}

// nodeModule is the module part of a Node.js handler: everything before the
// first "." after the last "/" ("lib/app.main" → "lib/app").
func nodeModule(handler string) string {
	slash := strings.LastIndex(handler, "/")
	if dot := strings.Index(handler[slash+1:], "."); dot >= 0 {
		return handler[:slash+1+dot]
	}
	return handler
}

// pythonModule is the module part of a Python handler: everything before the
// last "." ("pkg.app.main" → "pkg.app"), with "/" read as ".".
func pythonModule(handler string) string {
	h := strings.ReplaceAll(handler, "/", ".")
	if dot := strings.LastIndex(h, "."); dot >= 0 {
		return h[:dot]
	}
	return h
}

// hasGoFiles reports whether dir holds a non-test .go file.
func hasGoFiles(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return slices.ContainsFunc(matches, func(m string) bool { return !strings.HasSuffix(m, "_test.go") })
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
