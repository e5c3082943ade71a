package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdagate/lambdagate/internal/fakelambda"
)

// Marker credentials: unique strings that must never appear in anything
// the gateway writes or answers.
const (
	markerKeyID  = "AKIAMARKERKEYID7Q3Z9X"
	markerSecret = "markerSecret/Zx81+never-to-be-seen"
	markerToken  = "markerSessionToken-IQoJb3JpZ2luX2VjEMARKER"
)

// TestCredentialsNeverLeak runs the binary with marker credentials, debug
// logging, return_error_msg and a Prometheus exporter, drives every error
// path (each fault, Lambda and HTTP; refused names; bad bodies; a merge),
// and searches every log line, status line, header, error body and the
// metrics scrape for the markers. The fault server checks that the marker
// credentials were really used to sign.
func TestCredentialsNeverLeak(t *testing.T) {
	t.Parallel()
	fs := fakelambda.Start()
	fs.SlowDelay = 3 * time.Second
	t.Cleanup(fs.Close)
	env := []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + markerKeyID, "AWS_SECRET_ACCESS_KEY=" + markerSecret, "AWS_SESSION_TOKEN=" + markerToken,
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	rc := startOTLPReceiver(t)
	otlpHost, otlpPort := rc.hostPort()
	g := startGatewayEnv(t, env, `{"version": 3, "timeout": "1s",
		"extra_config": {
			"router": {"return_error_msg": true},
			"telemetry/logging": {"level": "DEBUG"},
			"telemetry/opentelemetry": {"service_name": "leaks", "trace_sample_rate": 1, "exporters": {
				"prometheus": [{"name": "p", "listen_ip": "127.0.0.1", "port": 0, "go_metrics": true, "process_metrics": true}],
				"otlp": [{"name": "traces", "host": "`+otlpHost+`", "port": `+otlpPort+`, "use_http": true, "disable_metrics": true}]}}
		},
		"endpoints": [
		{"endpoint": "/l/{function}", "method": "POST", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "function", "allowed_functions": ["*"], "endpoint": "`+fs.URL+`", "log_type": "Tail", "max_retries": 1}}}]},
		{"endpoint": "/v1/{function}", "backend": [{"host": ["ignored"], "url_pattern": "/ignored",
			"extra_config": {"backend/lambda": {"function_param_name": "function", "allowed_functions": ["ok", "hand*", "unh*"], "endpoint": "`+fs.URL+`", "payload_format": "apigateway_v1"}}}]},
		{"endpoint": "/h/{name}", "backend": [{"host": ["`+fs.URL+`"], "url_pattern": "/fault/{name}",
			"extra_config": {"backend/http": {"return_error_details": "details"}}}]},
		{"endpoint": "/m/{name}", "backend": [
			{"host": ["`+fs.URL+`"], "url_pattern": "/fault/{name}", "group": "h"},
			{"host": ["ignored"], "url_pattern": "/ignored", "group": "l",
				"extra_config": {"backend/lambda": {"function_name": "unhandled", "endpoint": "`+fs.URL+`"}}}]}
	]}`)
	murl := metricsURL(t, g)

	var mu sync.Mutex
	var seen strings.Builder
	record := func(what string, resp *http.Response, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			seen.WriteString(what + ": " + err.Error() + "\n")
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		seen.WriteString(what + ": " + resp.Status + "\n")
		resp.Header.Write(&seen)
		seen.Write(b)
		seen.WriteString("\n")
	}
	var wg sync.WaitGroup
	paths := []string{}
	for _, f := range append(fakelambda.All, "ok") {
		paths = append(paths, "POST /l/"+f, "GET /h/"+f, "GET /m/"+f)
	}
	paths = append(paths, "GET /v1/ok", "GET /v1/handled", "GET /v1/unhandled", "GET /v1/billing", "GET /v1/a%2Fb",
		"POST /l/..", "POST /l/not%20a%20name", "GET /nowhere", "DELETE /h/x")
	for _, p := range paths {
		method, path, _ := strings.Cut(p, " ")
		wg.Go(func() {
			req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(`{"a":1}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			record(p, resp, err)
		})
	}
	wg.Go(func() {
		req, _ := http.NewRequest("POST", g.URL+"/l/ok", strings.NewReader(`not json`))
		resp, err := client.Do(req)
		record("non-JSON body", resp, err)
	})
	wg.Go(func() {
		req, _ := http.NewRequest("POST", g.URL+"/l/ok", strings.NewReader(strings.Repeat("x", 7<<20)))
		resp, err := client.Do(req)
		record("body too large", resp, err)
	})
	wg.Wait()
	resp, err := client.Get(murl)
	record("metrics", resp, err)
	if !strings.Contains(seen.String(), "lambdagate_") && !strings.Contains(seen.String(), "http_server") {
		t.Errorf("the metrics scrape looks empty:\n%.2000s", seen.String())
	}
	code := g.Stop(t) // flushes the spans
	spans := rc.dump()
	if !strings.Contains(spans, "lambda") {
		t.Errorf("no Lambda span reached the trace receiver: the traces were not searched")
	}
	all := seen.String() + "\n" + g.Logs() + "\n" + spans
	for _, m := range []string{markerKeyID, markerSecret, markerToken, "markerSecret", "markerSessionToken"} {
		if i := strings.Index(all, m); i >= 0 {
			t.Errorf("credential marker %q found in the gateway's output: %q", m, all[max(0, i-300):min(len(all), i+100)])
		}
	}
	if code != 0 {
		t.Errorf("exit code %d", code)
	}
	// The markers were in use: the invocations were signed with them.
	signed := false
	for _, c := range fs.Calls() {
		if c.Lambda && strings.Contains(c.Header.Get("Authorization"), "Credential="+markerKeyID+"/") &&
			c.Header.Get("X-Amz-Security-Token") == markerToken {
			signed = true
		}
		if strings.Contains(c.Header.Get("Authorization"), markerSecret) {
			t.Error("the secret key was sent")
		}
	}
	if !signed {
		t.Error("no invocation was signed with the marker credentials: the test proves nothing")
	}
	for _, want := range []string{"answered status", "TooManyRequestsException", "connection reset", "failed (Unhandled)", "msg=request"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q is in no output: the error paths were not driven; logs:\n%.3000s", want, g.Logs())
		}
	}
}

// TestListenerTLS serves the binary over TLS with a certificate generated
// here: TLS 1.2 and 1.3 handshakes succeed, TLS 1.1 is refused, HTTP/2 is
// negotiated, and min_version TLS13 refuses TLS 1.2.
func TestListenerTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, pool := writeTestCert(t, dir)
	be := fakelambda.Start()
	t.Cleanup(be.Close)
	cfg := func(min string) string {
		return `{"version": 3, "tls": {"public_key": "` + certFile + `", "private_key": "` + keyFile + `", "min_version": "` + min + `"},
			"endpoints": [{"endpoint": "/ok", "backend": [{"host": ["` + be.URL + `"], "url_pattern": "/fault/ok"}]}]}`
	}
	g := startGateway(t, cfg("TLS12"))
	if !strings.HasPrefix(g.URL, "https://") {
		t.Fatalf("listening on %s, want https", g.URL)
	}
	addr := strings.TrimPrefix(g.URL, "https://")
	handshake := func(minV, maxV uint16) (*tls.ConnectionState, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
			&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: minV, MaxVersion: maxV, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			return nil, err
		}
		defer c.Close()
		st := c.ConnectionState()
		return &st, nil
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		st, err := handshake(v, v)
		if err != nil || st.Version != v {
			t.Errorf("%s: %v", tls.VersionName(v), err)
		}
	}
	if _, err := handshake(tls.VersionTLS10, tls.VersionTLS11); err == nil {
		t.Error("a TLS 1.1 handshake succeeded")
	}
	h2 := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := h2.Get(g.URL + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" || string(b) != fakelambda.OKBody {
		t.Errorf("over HTTPS: %d %s %q, want 200 over HTTP/2.0", resp.StatusCode, resp.Proto, b)
	}

	g13 := startGateway(t, cfg("TLS13"))
	addr = strings.TrimPrefix(g13.URL, "https://")
	if _, err := handshake(tls.VersionTLS12, tls.VersionTLS12); err == nil {
		t.Error("min_version TLS13: a TLS 1.2 handshake succeeded")
	}
	if st, err := handshake(tls.VersionTLS13, tls.VersionTLS13); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("min_version TLS13: TLS 1.3: %v", err)
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its key,
// and returns their paths and a pool trusting it.
func writeTestCert(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lambdagate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
