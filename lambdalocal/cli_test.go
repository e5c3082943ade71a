package lambdalocal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// awsCLI runs `aws lambda ARGS... --endpoint-url URL` with the test's dummy
// credentials and region, and returns its stdout and exit error. Without
// the aws command it skips, except in CI, where it fails.
func awsCLI(t *testing.T, url string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path, lookErr := exec.LookPath("aws")
	if lookErr != nil {
		if inCI() {
			t.Fatal("the aws command is not on PATH; CI installs it (apt-get install -y awscli)")
		}
		t.Skip("the aws command is not on PATH (in CI this fails instead)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append(append([]string{"lambda"}, args...), "--endpoint-url", url)...)
	cmd.Env = os.Environ()
	for k, v := range testAWSEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// binaryFormatArgs are the arguments that make `aws lambda invoke
// --payload` take raw JSON: AWS CLI version 2 reads blobs as base64 unless
// told `--cli-binary-format raw-in-base64-out`; version 1 reads them raw
// and does not know the option.
func binaryFormatArgs(t *testing.T) []string {
	t.Helper()
	cliVersion.once.Do(func() {
		path, err := exec.LookPath("aws")
		if err != nil {
			cliVersion.err = err
			return
		}
		// Version 1 prints its version to stderr, version 2 to stdout.
		out, err := exec.Command(path, "--version").CombinedOutput()
		cliVersion.version, cliVersion.err = strings.TrimSpace(string(out)), err
	})
	if cliVersion.err != nil {
		t.Fatalf("aws --version: %v", cliVersion.err)
	}
	if strings.HasPrefix(cliVersion.version, "aws-cli/1.") {
		return nil
	}
	return []string{"--cli-binary-format", "raw-in-base64-out"}
}

var cliVersion struct {
	once    sync.Once
	version string
	err     error
}

// cliInvokeResult is what `aws lambda invoke` prints.
type cliInvokeResult struct {
	StatusCode      int
	FunctionError   string
	LogResult       string
	ExecutedVersion string
}

// TestAWSCLI invokes Go, Node.js and Python functions with the AWS CLI:
// payload round trip, Tail logs, Event, unknown function, function error.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	srv := examplesServer(t)
	tests := []struct {
		name, url, function, payload string
		extra                        []string
		python                       bool
		wantStatus                   int
		wantError                    string
		wantOut                      string // exact content of the output file
		wantLog                      string // substring of the decoded LogResult
	}{
		{name: "node hello", url: srv.URL(), function: "hello", payload: `{}`, wantStatus: 200,
			wantOut: `{"statusCode":200,"body":"\"Hello from Lambda!\""}`},
		{name: "go greet with tail", url: srv.URL(), function: "greet", payload: `{"first_name":"Ada","last_name":"Lovelace"}`,
			extra: []string{"--log-type", "Tail"}, wantStatus: 200, wantOut: `{"message":"Hello Ada Lovelace!"}`, wantLog: "greeting Ada Lovelace"},
		{name: "python echo", url: srv.URL(), function: "pyecho", payload: `{"n":1}`, python: true, wantStatus: 200,
			wantOut: `{"echo": {"n": 1}, "function": "pyecho"}`},
		{name: "event", url: srv.URL(), function: "hello", payload: `{}`, extra: []string{"--invocation-type", "Event"}, wantStatus: 202},
		{name: "node function error", url: shared.URL(), function: "nodeecho", payload: `{"fail":"cli says no"}`,
			extra: []string{"--log-type", "Tail"}, wantStatus: 200, wantError: "Handled", wantLog: "Invoke Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.python {
				requirePython(t)
			}
			outFile := filepath.Join(t.TempDir(), "out.json")
			args := append([]string{"invoke", "--function-name", tt.function, "--payload", tt.payload}, binaryFormatArgs(t)...)
			args = append(args, tt.extra...)
			stdout, stderr, err := awsCLI(t, tt.url, append(args, outFile)...)
			if err != nil {
				t.Fatalf("aws lambda invoke: %v\n%s", err, stderr)
			}
			var res cliInvokeResult
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("aws printed %q: %v", stdout, err)
			}
			if res.StatusCode != tt.wantStatus || res.FunctionError != tt.wantError {
				t.Errorf("StatusCode %d, FunctionError %q; want %d, %q", res.StatusCode, res.FunctionError, tt.wantStatus, tt.wantError)
			}
			if tt.wantStatus == 200 && res.ExecutedVersion != "$LATEST" {
				t.Errorf("ExecutedVersion %q", res.ExecutedVersion)
			}
			got, _ := os.ReadFile(outFile)
			if tt.wantOut != "" && string(got) != tt.wantOut {
				t.Errorf("output file holds %s, want %s", got, tt.wantOut)
			}
			if tt.wantError != "" && !strings.Contains(string(got), "cli says no") {
				t.Errorf("output file holds %s, want the error document", got)
			}
			if tt.wantLog != "" {
				logs, _ := base64.StdEncoding.DecodeString(res.LogResult)
				if !strings.Contains(string(logs), tt.wantLog) || !strings.Contains(string(logs), "REPORT RequestId:") {
					t.Errorf("LogResult lacks %q or REPORT:\n%s", tt.wantLog, logs)
				}
			}
		})
	}
	t.Run("unknown function", func(t *testing.T) {
		t.Parallel()
		_, stderr, err := awsCLI(t, srv.URL(), "invoke", "--function-name", "nope", filepath.Join(t.TempDir(), "out.json"))
		if err == nil || !strings.Contains(stderr, "ResourceNotFoundException") ||
			!strings.Contains(stderr, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope") {
			t.Errorf("exit %v, stderr %q; want ResourceNotFoundException and its message", err, stderr)
		}
	})
	t.Run("list functions", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, err := awsCLI(t, srv.URL(), "list-functions")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, name := range srv.Functions() {
			if !strings.Contains(stdout, `"FunctionName": "`+name+`"`) {
				t.Errorf("list-functions lacks %s:\n%s", name, stdout)
			}
		}
	})
}
