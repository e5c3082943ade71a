package lambdalocal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFunctionJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json string
		want       functionSettings
		wantErr    []string // substrings of the error
	}{
		{name: "empty object", json: `{}`},
		{name: "every key", json: `{"handler":"app.main","timeout":30,"memory":512,"environment":{"A":"1"},"concurrency":8}`,
			want: functionSettings{Handler: "app.main", Timeout: 30 * time.Second, MemoryMB: 512, Environment: map[string]string{"A": "1"}, Concurrency: 8}},
		{name: "fractional timeout", json: `{"timeout":0.25}`, want: functionSettings{Timeout: 250 * time.Millisecond}},
		{name: "unknown key", json: `{"timout":3}`, wantErr: []string{"function.json", `"timout"`, "unknown key"}},
		{name: "not an object", json: `[1]`, wantErr: []string{"function.json", "not a JSON object"}},
		{name: "null", json: `null`, wantErr: []string{"not a JSON object"}},
		{name: "trailing data", json: `{} {}`, wantErr: []string{"unexpected data"}},
		{name: "timeout too long", json: `{"timeout":901}`, wantErr: []string{`"timeout"`, "at most 900"}},
		{name: "timeout as string", json: `{"timeout":"3s"}`, wantErr: []string{`"timeout"`, "number of seconds"}},
		{name: "memory too small", json: `{"memory":64}`, wantErr: []string{`"memory"`, "128 to 10240"}},
		{name: "memory fractional", json: `{"memory":128.5}`, wantErr: []string{`"memory"`, "whole number"}},
		{name: "zero concurrency", json: `{"concurrency":0}`, wantErr: []string{`"concurrency"`, "1 to 1000"}},
		{name: "empty handler", json: `{"handler":""}`, wantErr: []string{`"handler"`, "non-empty"}},
		{name: "environment number", json: `{"environment":{"PORT":8080}}`, wantErr: []string{`"environment"`, `"PORT"`, "must be a string"}},
		{name: "environment reserved", json: `{"environment":{"_HANDLER":"x"}}`, wantErr: []string{`"_HANDLER"`, "set by the runtime"}},
		{name: "environment bad name", json: `{"environment":{"1X":"y"}}`, wantErr: []string{`"1X"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFunctionJSON("fns/f/function.json", []byte(tt.json))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one with %q", tt.wantErr)
				}
				for _, w := range append(tt.wantErr, "fns/f/function.json") {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Handler != tt.want.Handler || got.Timeout != tt.want.Timeout || got.MemoryMB != tt.want.MemoryMB ||
				got.Concurrency != tt.want.Concurrency || len(got.Environment) != len(tt.want.Environment) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// writeTree creates files (path → content; a path ending in "*" is made
// executable without the star) under a new temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, "*") {
			path, mode = strings.TrimSuffix(path, "*"), 0o755
		}
		full := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestDiscoverFunctions(t *testing.T) {
	t.Parallel()
	root := writeTree(t, map[string]string{
		"node/index.js":                   "",
		"esm/index.mjs":                   "",
		"py/lambda_function.py":           "",
		"pyh/handler.py":                  "",
		"prov/bootstrap*":                 "#!/bin/sh\n",
		"gofn/main.go":                    "package main\n",
		"custom/function.json":            `{"handler":"src/app.run"}`,
		"custom/src/app.js":               "",
		"pycustom/function.json":          `{"handler":"pkg/mod.fn"}`,
		"pycustom/pkg/mod.py":             "",
		".hidden/index.js":                "",
		"README.md":                       "not a function",
		"node_and_config/function.json":   `{"timeout":1,"memory":256,"concurrency":2}`,
		"node_and_config/index.cjs":       "",
		"prov_with_handler/bootstrap*":    "",
		"prov_with_handler/function.json": `{"handler":"my.handler"}`,
	})
	fns, err := discoverFunctions(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*function{}
	for _, fn := range fns {
		got[fn.name] = fn
	}
	want := map[string]struct {
		kind    runtimeKind
		handler string
	}{
		"node": {kindNode, "index.handler"}, "esm": {kindNode, "index.handler"},
		"py": {kindPython, "lambda_function.lambda_handler"}, "pyh": {kindPython, "handler.handler"},
		"prov": {kindProvided, "bootstrap"}, "gofn": {kindGo, "bootstrap"},
		"custom": {kindNode, "src/app.run"}, "pycustom": {kindPython, "pkg/mod.fn"},
		"node_and_config": {kindNode, "index.handler"}, "prov_with_handler": {kindProvided, "my.handler"},
	}
	if len(got) != len(want) {
		t.Errorf("found %d functions, want %d", len(got), len(want))
	}
	for name, w := range want {
		fn := got[name]
		if fn == nil {
			t.Errorf("function %s not found", name)
			continue
		}
		if fn.kind != w.kind || fn.handler != w.handler {
			t.Errorf("%s: kind %v handler %q, want %v %q", name, fn.kind, fn.handler, w.kind, w.handler)
		}
	}
	if c := got["node_and_config"]; c.timeout != time.Second || c.memoryMB != 256 || c.concurrency != 2 {
		t.Errorf("function.json not applied: %+v", c)
	}
	if d := got["node"]; d.timeout != defaultTimeout || d.memoryMB != defaultMemoryMB || d.concurrency != defaultConcurrency {
		t.Errorf("defaults not applied: %+v", d)
	}
}

// TestStartRefusesBadFunctions: a folder that cannot run stops Start with
// an error naming it and saying what to do.
func TestStartRefusesBadFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		wantErr []string
	}{
		{"empty directory", map[string]string{"README.md": ""}, []string{"holds no function folders"}},
		{"nothing to run", map[string]string{"f/notes.txt": ""}, []string{"/f:", "no function found", "index.js"}},
		{"unknown function.json key", map[string]string{"f/index.js": "", "f/function.json": `{"memroy":256}`},
			[]string{filepath.Join("f", "function.json"), `"memroy"`, "unknown key"}},
		{"bootstrap not executable", map[string]string{"f/bootstrap": ""}, []string{"bootstrap is not executable", "chmod +x"}},
		{"bad folder name", map[string]string{"my fn/index.js": ""}, []string{"my fn", "1 to 64 letters"}},
		{"ambiguous defaults", map[string]string{"f/index.js": "", "f/lambda_function.py": ""}, []string{"both index.js and lambda_function.py", `"handler"`}},
		{"handler names no file", map[string]string{"f/index.js": "", "f/function.json": `{"handler":"app.main"}`},
			[]string{`handler "app.main" names no file`, "app.js"}},
		{"go without go.mod", map[string]string{"f/main.go": "package main\n"}, []string{"go.mod", "go mod init f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := writeTree(t, tt.files)
			srv, err := Start(context.Background(), Options{FunctionsDir: root, CacheDir: t.TempDir(), Logger: discardLogger()})
			if err == nil {
				srv.Close(context.Background())
				t.Fatalf("Start succeeded, want an error with %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		_, err := Start(context.Background(), Options{FunctionsDir: filepath.Join(t.TempDir(), "nope"), Logger: discardLogger()})
		if err == nil || !strings.Contains(err.Error(), "functions directory") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("no directory given", func(t *testing.T) {
		_, err := Start(context.Background(), Options{})
		if err == nil || !strings.Contains(err.Error(), "FunctionsDir is required") {
			t.Errorf("got %v", err)
		}
	})
}

func TestGoBuildIsCached(t *testing.T) {
	t.Parallel()
	b := &goBuilder{cacheDir: testCache, logger: discardLogger()}
	fn := shared.cat.Load().pool("goecho").fn
	start := time.Now()
	path, err := b.build(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	if path != fn.argv[0] {
		t.Errorf("second build gave %s, want the cached %s", path, fn.argv[0])
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a cached build took %s", took)
	}
}

func TestGoBuildFailureNamesTheFolder(t *testing.T) {
	t.Parallel()
	root := writeTree(t, map[string]string{
		"go.mod":    "module example.com/broken\n\ngo 1.22\n",
		"f/main.go": "package main\n\nfunc main() { undefined() }\n",
	})
	_, err := Start(context.Background(), Options{FunctionsDir: root, CacheDir: t.TempDir(), Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "f")) || !strings.Contains(err.Error(), "go build failed") ||
		!strings.Contains(err.Error(), "undefined") {
		t.Fatalf("got %v, want a go build error naming the folder and quoting the compiler", err)
	}
}
