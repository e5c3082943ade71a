package lambdalocal

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// runtimeClients are the Node.js and Python runtime clients: small programs,
// standard library only, that speak the Runtime API and call a handler.
//
//go:embed runtimeclients
var runtimeClients embed.FS

// Paths of the clients inside runtimeClients and inside the installed copy.
const (
	nodeClient   = "runtimeclients/nodejs/runtime.js"
	pythonClient = "runtimeclients/python/lambdagate_runtime.py"
)

// installRuntimeClients writes the embedded clients under
// cacheDir/runtime-<content hash>/ (once per content, atomically, so that
// several servers may share a cache) and returns that folder.
func installRuntimeClients(cacheDir string) (string, error) {
	h := sha256.New()
	var files []string
	err := fs.WalkDir(runtimeClients, "runtimeclients", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := runtimeClients.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		files = append(files, path)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading the embedded runtime clients: %w", err)
	}
	dir := filepath.Join(cacheDir, "runtime-"+hex.EncodeToString(h.Sum(nil))[:16])
	for _, path := range files {
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if fileExists(dst) {
			continue
		}
		data, _ := runtimeClients.ReadFile(path)
		if err := writeFileAtomic(dst, data, 0o644); err != nil {
			return "", fmt.Errorf("installing the runtime clients into cache directory %s: %w (set Options.CacheDir to a writable folder)", cacheDir, err)
		}
	}
	return dir, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// interpreters finds node and python3 once, only if some function needs them.
type interpreters struct {
	node, python string
}

// commandFor sets fn.argv: how one process of fn is started.
func (in *interpreters) commandFor(fn *function, clientsDir string, goBinary string) error {
	switch fn.kind {
	case kindProvided:
		fn.argv = []string{filepath.Join(fn.dir, "bootstrap")}
	case kindGo:
		fn.argv = []string{goBinary}
	case kindNode:
		if in.node == "" {
			p, err := exec.LookPath("node")
			if err != nil {
				return fmt.Errorf("%s is a Node.js function but no node command is on PATH; install Node.js 18 or later", fn.dir)
			}
			in.node = p
		}
		fn.argv = []string{in.node, filepath.Join(clientsDir, filepath.FromSlash(nodeClient))}
	case kindPython:
		if in.python == "" {
			p, err := exec.LookPath("python3")
			if err != nil {
				return fmt.Errorf("%s is a Python function but no python3 command is on PATH; install Python 3.8 or later", fn.dir)
			}
			in.python = p
		}
		// -u: unbuffered output, so print() reaches the log as it happens.
		fn.argv = []string{in.python, "-u", filepath.Join(clientsDir, filepath.FromSlash(pythonClient))}
	}
	return nil
}

// Dummy credentials given to every function, so that AWS SDK code inside a
// function finds credentials at once and never probes instance metadata.
const (
	dummyAccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	dummySecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	dummySessionToken    = "lambdagate-local"
)

// passThroughEnv are the host variables a function process inherits; the
// rest of the host environment (and any real AWS credentials in it) stays
// out, as in Lambda.
var passThroughEnv = []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "GOCOVERDIR"}

// processEnv is the environment of one process of fn.
func (s *Server) processEnv(fn *function, runtimeAPI, logStream string) []string {
	env := map[string]string{}
	for _, k := range passThroughEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	env["TZ"] = ":UTC"
	env["AWS_ACCESS_KEY_ID"] = dummyAccessKeyID
	env["AWS_SECRET_ACCESS_KEY"] = dummySecretAccessKey
	env["AWS_SESSION_TOKEN"] = dummySessionToken
	env["AWS_EC2_METADATA_DISABLED"] = "true"
	env["AWS_REGION"] = s.region
	env["AWS_DEFAULT_REGION"] = s.region
	for k, v := range fn.env {
		env[k] = v
	}
	// Set last: function.json cannot override these (it is validated too).
	env["AWS_LAMBDA_RUNTIME_API"] = runtimeAPI
	env["AWS_LAMBDA_FUNCTION_NAME"] = fn.name
	env["AWS_LAMBDA_FUNCTION_VERSION"] = latestVersion
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(fn.memoryMB)
	env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + fn.name
	env["AWS_LAMBDA_LOG_STREAM_NAME"] = logStream
	env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
	env["_HANDLER"] = fn.handler
	env["LAMBDA_TASK_ROOT"] = fn.dir
	env["LAMBDA_RUNTIME_DIR"] = s.clientsDir
	switch fn.kind {
	case kindNode:
		env["AWS_EXECUTION_ENV"] = "AWS_Lambda_nodejs"
	case kindPython:
		env["AWS_EXECUTION_ENV"] = "AWS_Lambda_python"
		// Bytecode goes to the cache, not into the function's folder.
		env["PYTHONPYCACHEPREFIX"] = filepath.Join(s.cacheDir, "pycache")
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// regionFromEnv is the host's region, or us-east-1 when it sets none.
func regionFromEnv() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return "us-east-1"
}
