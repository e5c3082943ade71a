package lambdalocal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Defaults and bounds of the settings a function.json may hold.
const (
	defaultTimeout     = 3 * time.Second
	maxTimeout         = 900 * time.Second
	defaultMemoryMB    = 128
	minMemoryMB        = 128
	maxMemoryMB        = 10240
	defaultConcurrency = 4
	maxConcurrency     = 1000
)

// functionSettings is what a function.json may set; zero values mean "not
// set" and are replaced by the defaults above.
type functionSettings struct {
	Handler     string
	Timeout     time.Duration
	MemoryMB    int
	Environment map[string]string
	Concurrency int
}

// envNamePattern is Lambda's rule for environment variable names.
var envNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)

// reservedEnv are variables the runtime sets itself; a function.json may not
// override them because the runtime clients depend on them.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT",
	"LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_LAMBDA_INITIALIZATION_TYPE",
}

// readFunctionJSON reads dir/function.json. A missing file gives the zero
// settings; every other problem is an error naming the file and the key.
func readFunctionJSON(dir string) (functionSettings, error) {
	var s functionSettings
	path := filepath.Join(dir, "function.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return parseFunctionJSON(path, data)
}

// parseFunctionJSON decodes a function.json's bytes; path only names the
// file in errors.
func parseFunctionJSON(path string, data []byte) (functionSettings, error) {
	var s functionSettings
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return s, fmt.Errorf("%s: not a JSON object: %v", path, err)
	}
	if raw == nil {
		return s, fmt.Errorf("%s: not a JSON object (got null); write {} or delete the file", path)
	}
	if dec.More() {
		return s, fmt.Errorf("%s: unexpected data after the JSON object", path)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		value := raw[key]
		var err error
		switch key {
		case "handler":
			err = decodeHandler(value, &s.Handler)
		case "timeout":
			err = decodeTimeout(value, &s.Timeout)
		case "memory":
			err = decodeWhole(value, minMemoryMB, maxMemoryMB, "megabytes", &s.MemoryMB)
		case "concurrency":
			err = decodeWhole(value, 1, maxConcurrency, "processes", &s.Concurrency)
		case "environment":
			err = decodeEnvironment(value, &s.Environment)
		default:
			err = errors.New("unknown key; the keys are handler, timeout, memory, environment and concurrency")
		}
		if err != nil {
			return functionSettings{}, fmt.Errorf("%s: %q: %w", path, key, err)
		}
	}
	return s, nil
}

func decodeHandler(value json.RawMessage, out *string) error {
	var h string
	if err := json.Unmarshal(value, &h); err != nil {
		return fmt.Errorf("must be a string like \"index.handler\", got %s", value)
	}
	if h == "" || strings.ContainsAny(h, " \t\r\n\x00") {
		return fmt.Errorf("must be a non-empty handler name without spaces like \"index.handler\", got %q", h)
	}
	*out = h
	return nil
}

func decodeTimeout(value json.RawMessage, out *time.Duration) error {
	var secs float64
	if err := json.Unmarshal(value, &secs); err != nil || secs <= 0 || secs > maxTimeout.Seconds() || math.IsNaN(secs) {
		return fmt.Errorf("must be a number of seconds above 0 and at most %d, got %s", int(maxTimeout.Seconds()), value)
	}
	d := time.Duration(secs * float64(time.Second))
	if d < time.Millisecond {
		return fmt.Errorf("must be at least 0.001 seconds, got %s", value)
	}
	*out = d
	return nil
}

func decodeWhole(value json.RawMessage, lo, hi int, unit string, out *int) error {
	var f float64
	if err := json.Unmarshal(value, &f); err != nil || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return fmt.Errorf("must be a whole number of %s from %d to %d, got %s", unit, lo, hi, value)
	}
	*out = int(f)
	return nil
}

func decodeEnvironment(value json.RawMessage, out *map[string]string) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(value, &raw); err != nil || raw == nil {
		return fmt.Errorf("must be an object of string values like {\"STAGE\": \"local\"}, got %s", value)
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		if slices.Contains(reservedEnv, k) {
			return fmt.Errorf("variable %q is set by the runtime and cannot be overridden", k)
		}
		if !envNamePattern.MatchString(k) {
			return fmt.Errorf("variable %q: names start with a letter and hold only letters, digits and _", k)
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("variable %q must be a string (quote numbers and booleans), got %s", k, v)
		}
		env[k] = s
	}
	*out = env
	return nil
}
