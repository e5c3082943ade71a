package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdagate/lambdagate/config"
)

func extra(t *testing.T, ns string) *config.ExtraConfig {
	t.Helper()
	src := `{"version": 3}`
	if ns != "" {
		src = `{"version": 3, "extra_config": {"telemetry/logging": ` + ns + `}}`
	}
	s, _, err := config.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return &s.ExtraConfig
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    slog.Level
		wantErr string
	}{
		{"DEBUG", slog.LevelDebug, ""},
		{"debug", slog.LevelDebug, ""},
		{"INFO", slog.LevelInfo, ""},
		{"", slog.LevelInfo, ""},
		{"WARNING", slog.LevelWarn, ""},
		{"WARN", slog.LevelWarn, ""},
		{"ERROR", slog.LevelError, ""},
		{"CRITICAL", slog.LevelError + 4, ""},
		{"LOUD", 0, `"LOUD" is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL`},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseLevel(%q) error = %v", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestNewLoggerLevels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level string
		want  []string // messages written, in order
	}{
		{"DEBUG", []string{"d", "i", "w", "e", "c"}},
		{"INFO", []string{"i", "w", "e", "c"}},
		{"WARNING", []string{"w", "e", "c"}},
		{"ERROR", []string{"e", "c"}},
		{"CRITICAL", []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			l, warns, err := NewLogger(extra(t, `{"level": "`+tt.level+`", "format": "json"}`), nil, &out)
			if err != nil || len(warns) != 0 {
				t.Fatalf("NewLogger = %v, %v", warns, err)
			}
			ctx := context.Background()
			l.Debug("d")
			l.Info("i")
			l.Warn("w")
			l.Error("e")
			l.Log(ctx, LevelCritical, "c")
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if line == "" {
					continue
				}
				i := strings.Index(line, `"msg":"`)
				got = append(got, line[i+7:i+8])
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages = %q, want %q\n%s", got, tt.want, out.String())
			}
		})
	}
}

func TestNewLoggerFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ns         string
		toStdout   bool
		wantPrefix string
		wantParts  []string
	}{
		{"default text to stderr", ``, false, "time=", []string{"level=INFO", "msg=hello", "k=v"}},
		{"text", `{"format": "text"}`, false, "time=", []string{"level=INFO", "msg=hello"}},
		{"krakend default", `{"format": "default", "stdout": true}`, true, "time=", []string{"msg=hello"}},
		{"json", `{"format": "json", "prefix": "[GW]"}`, false, `{"time":`,
			[]string{`"level":"INFO"`, `"msg":"hello"`, `"prefix":"[GW]"`, `"k":"v"`}},
		{"logstash", `{"format": "logstash", "stdout": true}`, true, `{"time":`, []string{`"msg":"hello"`}},
		{"critical name", `{"format": "json", "level": "CRITICAL"}`, false, `{"time":`, []string{`"level":"CRITICAL"`}},
		{"critical name in text", `{"level": "CRITICAL"}`, false, `time=`, []string{`level=CRITICAL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			l, _, err := NewLogger(extra(t, tt.ns), &stdout, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tt.name, "critical") {
				l.Log(context.Background(), LevelCritical, "hello")
			} else {
				l.Info("hello", "k", "v")
			}
			out, other := stderr.String(), stdout.String()
			if tt.toStdout {
				out, other = other, out
			}
			if other != "" {
				t.Errorf("wrong stream got %q", other)
			}
			if !strings.HasPrefix(out, tt.wantPrefix) {
				t.Errorf("line %q does not start with %q", out, tt.wantPrefix)
			}
			for _, p := range tt.wantParts {
				if !strings.Contains(out, p) {
					t.Errorf("line %q lacks %q", out, p)
				}
			}
		})
	}
}

func TestNewLoggerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ns   string
		want string
	}{
		{"bad level", `{"level": "LOUD"}`,
			`extra_config["telemetry/logging"].level: "LOUD" is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL`},
		{"bad format", `{"format": "xml"}`, `extra_config["telemetry/logging"].format: "xml" is not a format: use text or json`},
		{"unknown key", `{"levle": "DEBUG"}`,
			`extra_config["telemetry/logging"].levle: unknown key (check its spelling against the documentation)`},
		{"wrong type", `{"stdout": "yes"}`, `extra_config["telemetry/logging"].stdout: must be true or false, got a JSON string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, _, err := NewLogger(extra(t, tt.ns), nil, nil)
			if l != nil || err == nil || err.Error() != tt.want {
				t.Errorf("NewLogger error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewLoggerSyslogWarning(t *testing.T) {
	t.Parallel()
	x := extra(t, `{"syslog": true, "syslog_facility": "local3", "custom_format": "%s", "stdout": true}`)
	_, warns, err := NewLogger(x, &bytes.Buffer{}, nil)
	want := []string{
		`extra_config["telemetry/logging"].syslog: syslog is not supported, ignored; lines go to stdout`,
		`extra_config["telemetry/logging"].syslog_facility: not supported by lambdagate, ignored (the log lines keep lambdagate's format)`,
		`extra_config["telemetry/logging"].custom_format: not supported by lambdagate, ignored (the log lines keep lambdagate's format)`,
	}
	if err != nil || !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings = %q, %v; want %q", warns, err, want)
	}
	if got := x.Unused(); len(got) != 0 {
		t.Errorf("namespace unused after NewLogger: %q", got)
	}
}
