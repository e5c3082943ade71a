package lambdalocal

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"go.uber.org/goleak"
)

// shared is the server most tests use: testdata/functions, started once so
// that the Go function is built once per test binary.
var (
	shared     *Server
	sharedLogs = &logRecorder{}
	testCache  string // cache directory shared by every server in this binary
	havePython bool   // python3 is on PATH; without it Python functions are left out
)

// inCI reports whether the tests run in CI, where every tool they need must
// be installed and a missing one is a failure, not a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// requirePython skips a Python test on a machine without python3, except
// in CI.
func requirePython(t *testing.T) {
	t.Helper()
	if !havePython {
		t.Skip("python3 is not on PATH (in CI this fails instead)")
	}
}

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	// No test may reach AWS: dummy credentials, a region, and no instance
	// metadata, for the SDK clients and the AWS CLI alike.
	for k, v := range testAWSEnv {
		os.Setenv(k, v)
	}
	var err error
	if testCache, err = os.MkdirTemp("", "lambdalocal-test-cache-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(testCache)
	functionsDir := "testdata/functions"
	_, err = exec.LookPath("python3")
	havePython = err == nil || inCI() // in CI a missing python3 must fail the tests
	if !havePython {
		if functionsDir, err = withoutPython(functionsDir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(functionsDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shared, err = Start(ctx, Options{
		FunctionsDir: functionsDir,
		IdleTimeout:  20 * time.Second,
		Logger:       slog.New(sharedLogs),
		CacheDir:     testCache,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the shared test server:", err)
		return 1
	}
	code := m.Run()
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelClose()
	for _, srv := range []*Server{shared, examples.srv} {
		if srv == nil {
			continue
		}
		if err := srv.Close(closeCtx); err != nil {
			fmt.Fprintln(os.Stderr, "closing a test server:", err)
			return 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			return 1
		}
	}
	return code
}

// testAWSEnv is set for the whole test binary and given to every AWS CLI
// run.
var testAWSEnv = map[string]string{
	"AWS_EC2_METADATA_DISABLED":   "true",
	"AWS_ACCESS_KEY_ID":           "AKIDLOCALTEST",
	"AWS_SECRET_ACCESS_KEY":       "local-test-secret",
	"AWS_REGION":                  "us-east-1",
	"AWS_DEFAULT_REGION":          "us-east-1",
	"AWS_CONFIG_FILE":             os.DevNull,
	"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	"AWS_PAGER":                   "",
}

// newClient is an AWS SDK Lambda client for srv. It retries throttles as
// the SDK does by default (parallel tests share functions); pass
// noRetries to see each reply as it is.
func newClient(srv *Server, opts ...func(*lambda.Options)) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(testAWSEnv["AWS_ACCESS_KEY_ID"], testAWSEnv["AWS_SECRET_ACCESS_KEY"], ""),
	}, opts...)
}

func noRetries(o *lambda.Options) { o.RetryMaxAttempts = 1 }

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []loggedLine
}

type loggedLine struct {
	time  time.Time
	level slog.Level
	msg   string
	attrs map[string]string
}

type recorderWithAttrs struct {
	rec   *logRecorder
	attrs []slog.Attr
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(ctx context.Context, rec slog.Record) error {
	return recorderWithAttrs{rec: r}.Handle(ctx, rec)
}
func (r *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return recorderWithAttrs{rec: r, attrs: as}
}
func (r *logRecorder) WithGroup(string) slog.Handler { return r }

func (h recorderWithAttrs) Enabled(context.Context, slog.Level) bool { return true }
func (h recorderWithAttrs) Handle(_ context.Context, rec slog.Record) error {
	l := loggedLine{time: rec.Time, level: rec.Level, msg: rec.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		l.attrs[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool {
		l.attrs[a.Key] = a.Value.String()
		return true
	})
	h.rec.mu.Lock()
	h.rec.records = append(h.rec.records, l)
	h.rec.mu.Unlock()
	return nil
}
func (h recorderWithAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return recorderWithAttrs{rec: h.rec, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h recorderWithAttrs) WithGroup(string) slog.Handler { return h }

// lines returns the records logged so far.
func (r *logRecorder) lines() []loggedLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]loggedLine(nil), r.records...)
}

// withoutPython makes a functions folder of links to every function in dir
// that is not written in Python.
func withoutPython(dir string) (string, error) {
	tmp, err := os.MkdirTemp("", "lambdalocal-nopython-")
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "py") {
			continue
		}
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(tmp, e.Name())); err != nil {
			return "", err
		}
	}
	return tmp, nil
}

// examples is the server of examples/quickstart/functions, started by the
// first test that needs it.
var examples struct {
	once sync.Once
	srv  *Server
	err  error
}

func examplesServer(t *testing.T) *Server {
	t.Helper()
	examples.once.Do(func() {
		dir := "../examples/quickstart/functions"
		if !havePython {
			if dir, examples.err = withoutPython(dir); examples.err != nil {
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		examples.srv, examples.err = Start(ctx, Options{
			FunctionsDir: dir,
			Logger:       slog.New(&logRecorder{}),
			CacheDir:     testCache,
			IdleTimeout:  20 * time.Second,
		})
	})
	if examples.err != nil {
		t.Fatalf("starting the examples server: %v", examples.err)
	}
	return examples.srv
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
