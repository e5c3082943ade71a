package gateway

import (
	"slices"
	"testing"
)

// TestRestartOnly: each setting bound at start is named when a new file
// changes it, and nothing else is.
func TestRestartOnly(t *testing.T) {
	const base = `{"version": 3, "port": 8080, "read_timeout": "5s", "extra_config": {"lambdagate/server": {"engine": "fasthttp"}}, "endpoints": [{"endpoint": "/a", "backend": [{"host": ["http://h"], "url_pattern": "/a"}]}]}`
	tests := []struct {
		name, file string
		want       []string
	}{
		{"same file", base, nil},
		{"same namespace, other spacing", `{"version": 3, "port": 8080, "read_timeout": "5s", "extra_config": {"lambdagate/server": {"engine":"fasthttp"}}, "endpoints": [{"endpoint": "/b", "backend": [{"host": ["http://h"], "url_pattern": "/b"}]}]}`, nil},
		{"endpoints change only", `{"version": 3, "port": 8080, "read_timeout": "5s", "timeout": "9s", "extra_config": {"lambdagate/server": {"engine": "fasthttp"}}, "endpoints": []}`, nil},
		{"port", `{"version": 3, "port": 9090, "read_timeout": "5s", "extra_config": {"lambdagate/server": {"engine": "fasthttp"}}, "endpoints": []}`, []string{"port"}},
		{"listen_ip and read_timeout", `{"version": 3, "port": 8080, "listen_ip": "127.0.0.1", "read_timeout": "6s", "extra_config": {"lambdagate/server": {"engine": "fasthttp"}}, "endpoints": []}`, []string{"listen_ip", "read_timeout"}},
		{"engine", `{"version": 3, "port": 8080, "read_timeout": "5s", "extra_config": {"lambdagate/server": {"engine": "net/http"}}, "endpoints": []}`, []string{`extra_config["lambdagate/server"]`}},
		{"telemetry added, server namespace removed", `{"version": 3, "port": 8080, "read_timeout": "5s", "extra_config": {"telemetry/logging": {"level": "DEBUG"}}, "endpoints": []}`, []string{`extra_config["lambdagate/server"]`, `extra_config["telemetry/logging"]`}},
		{"tls", `{"version": 3, "port": 8080, "read_timeout": "5s", "tls": {"disabled": true}, "extra_config": {"lambdagate/server": {"engine": "fasthttp"}}, "endpoints": []}`, []string{"tls"}},
		{"max_header_bytes", `{"version": 3, "port": 8080, "read_timeout": "5s", "max_header_bytes": 4096, "extra_config": {"lambdagate/server": {"engine": "fasthttp"}}, "endpoints": []}`, []string{"max_header_bytes"}},
	}
	started := parse(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RestartOnly(started, parse(t, tt.file)); !slices.Equal(got, tt.want) {
				t.Errorf("RestartOnly = %q, want %q", got, tt.want)
			}
		})
	}
}
