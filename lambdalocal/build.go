package lambdalocal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// goBuilder builds Go function folders into bootstrap executables, cached
// under cacheDir/go/ by a hash of what the build reads: the folder's files,
// the enclosing module's go.mod and go.sum, and the toolchain's settings.
// The hash does not follow imports of other packages in the same module;
// touch a file in the function's folder, or clear the cache, after changing
// one of those.
type goBuilder struct {
	cacheDir  string
	logger    *slog.Logger
	goCmd     string // path of the go command, found on first use
	toolchain string // `go env` facts that change the output
}

// build returns the path of fn's executable, building it if the cache has
// none for the folder's current content.
func (b *goBuilder) build(ctx context.Context, fn *function) (string, error) {
	if err := b.init(ctx, fn); err != nil {
		return "", err
	}
	modRoot, err := findModuleRoot(fn.dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "lambdagate go build v2\x00%s\x00", b.toolchain)
	if err := hashTree(h, fn.dir); err != nil {
		return "", fmt.Errorf("%s: reading the Go function's files: %w", fn.dir, err)
	}
	if modRoot != fn.dir {
		for _, name := range []string{"go.mod", "go.sum"} {
			if err := hashFile(h, filepath.Join(modRoot, name), name); err != nil && !os.IsNotExist(err) {
				return "", err
			}
		}
	}
	key := hex.EncodeToString(h.Sum(nil))[:20]
	out := filepath.Join(b.cacheDir, "go", fn.name+"-"+key, "bootstrap")
	if fileExists(out) {
		b.logger.Debug("Go function up to date in the build cache", "function", fn.name, "binary", out)
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("%s: creating the build cache folder: %w (set the cache directory to a writable folder)", fn.dir, err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
	start := time.Now()
	cmd := exec.CommandContext(ctx, b.goCmd, "build", "-trimpath", "-buildvcs=false", "-o", tmp, ".")
	cmd.Dir = fn.dir
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: go build failed (%v); fix the function's code, or put a prebuilt executable named bootstrap in the folder:\n%s",
			fn.dir, err, strings.TrimSpace(output.String()))
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: storing the build in the cache: %w", fn.dir, err)
	}
	b.logger.Info("built Go function", "function", fn.name, "duration", time.Since(start).Round(time.Millisecond), "binary", out)
	return out, nil
}

// init finds the go command and reads the toolchain facts, once.
func (b *goBuilder) init(ctx context.Context, fn *function) error {
	if b.goCmd != "" {
		return nil
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("%s is a Go package but no go command is on PATH; install Go, or build the function yourself into an executable named bootstrap in that folder", fn.dir)
	}
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION", "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64").Output()
	if err != nil {
		return fmt.Errorf("running %s env: %w", goCmd, err)
	}
	b.goCmd, b.toolchain = goCmd, string(out)
	return nil
}

// findModuleRoot returns the folder of the go.mod that governs dir.
func findModuleRoot(dir string) (string, error) {
	for d := dir; ; {
		if fileExists(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s is a Go package but neither it nor a parent folder has a go.mod; create one with: cd %s && go mod init %s && go mod tidy",
				dir, dir, filepath.Base(dir))
		}
		d = parent
	}
}

// hashTree feeds every regular file under root (names and contents, in
// lexical order) into h, skipping hidden entries.
func hashTree(h hash.Hash, root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		return hashFile(h, path, filepath.ToSlash(rel))
	})
}

func hashFile(h hash.Hash, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "file %s\x00", name)
	n, err := io.Copy(h, f)
	fmt.Fprintf(h, "\x00%d\x00", n)
	return err
}
