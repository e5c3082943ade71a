package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// oidcDir holds the OpenID Connect server the tests run: a pinned
// oauth2-mock-server (package.json, package-lock.json) and server.mjs.
var oidcDir = filepath.Join("testdata", "oidc")

// oidcServer is a running oauth2-mock-server, over HTTPS on 127.0.0.1.
type oidcServer struct {
	issuer, jwksURI, tokenURL string
	// caFile is the PEM file of the certificate it serves (self-signed:
	// its own CA), for jwk_local_ca.
	caFile string
	client *http.Client
	stdin  io.Writer
	lines  chan string
}

var npmCI sync.Once

// startOIDC runs testdata/oidc/server.mjs with a certificate made here and
// reads its discovery document. Without node and npm the test is skipped,
// except in CI (CI set), where it fails: scripts/test.sh installs them and
// the server's packages (npm ci); run alone, the test installs the
// packages itself.
func startOIDC(t *testing.T) *oidcServer {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: the OpenID Connect tests need Node.js and npm (scripts/test.sh installs them)", tool)
			}
			t.Skipf("%s is not installed: skipping the test against a real OpenID Connect server (oauth2-mock-server, Node.js); scripts/test.sh installs it", tool)
		}
	}
	npmCI.Do(func() {
		if _, err := os.Stat(filepath.Join(oidcDir, "node_modules", "oauth2-mock-server", "package.json")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = oidcDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", oidcDir, err, out)
		}
	})
	dir := t.TempDir()
	certFile, keyFile, pool := writeTestCert(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", "server.mjs")
	cmd.Dir = oidcDir
	cmd.Env = append(os.Environ(), "OIDC_TLS_KEY="+keyFile, "OIDC_TLS_CERT="+certFile)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the OpenID Connect server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("OpenID Connect server's stderr:\n%s", stderr.String())
		}
	})
	o := &oidcServer{caFile: certFile, stdin: stdin, lines: make(chan string, 16),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			o.lines <- sc.Text()
		}
		close(o.lines)
	}()
	var first struct{ Issuer string }
	if err := json.Unmarshal([]byte(o.line(t, 30*time.Second)), &first); err != nil || first.Issuer == "" {
		t.Fatalf("the OpenID Connect server said %q (%v); stderr:\n%s", first.Issuer, err, stderr.String())
	}
	o.issuer = first.Issuer
	// Found as a client finds them: from the discovery document.
	var disc struct {
		Issuer        string `json:"issuer"`
		JWKSURI       string `json:"jwks_uri"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	o.getJSON(t, o.issuer+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != o.issuer || !strings.HasPrefix(disc.JWKSURI, "https://127.0.0.1:") || disc.TokenEndpoint == "" {
		t.Fatalf("discovery document: %+v", disc)
	}
	o.jwksURI, o.tokenURL = disc.JWKSURI, disc.TokenEndpoint
	return o
}

// line returns the server's next stdout line.
func (o *oidcServer) line(t *testing.T, wait time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-o.lines:
		if !ok {
			t.Fatal("the OpenID Connect server exited")
		}
		return l
	case <-time.After(wait):
		t.Fatalf("the OpenID Connect server said nothing within %v", wait)
	}
	return ""
}

func (o *oidcServer) getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := o.client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
}

// token asks the server for an access token (client credentials) for
// audience aud, with scope and extra claims.
func (o *oidcServer) token(t *testing.T, aud, scope string, claims map[string]any) string {
	t.Helper()
	extra, _ := json.Marshal(claims)
	form := url.Values{"grant_type": {"client_credentials"}, "aud": {aud}, "scope": {scope}, "claims": {string(extra)}}
	resp, err := o.client.PostForm(o.tokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.AccessToken == "" {
		t.Fatalf("token request: %d %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// kid returns the kid of a token's header.
func kid(t *testing.T, token string) string {
	t.Helper()
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var hdr struct {
		Kid string `json:"kid"`
	}
	json.Unmarshal(h, &hdr)
	return hdr.Kid
}

// TestJWTWithOpenIDProvider puts endpoints behind auth/validator with the
// keys of a real OpenID Connect server (oauth2-mock-server, Node.js), found
// through its discovery document and fetched over HTTPS (jwk_local_ca):
// its tokens pass, with their claims propagated; tokens lacking roles or
// scopes get 403, others 401, and a key the server rotates in is fetched.
func TestJWTWithOpenIDProvider(t *testing.T) {
	t.Parallel()
	idp := startOIDC(t)
	be := testBackend(t, "protected")
	validator := func(extra string) string {
		return `"auth/validator": {"alg": "RS256", "jwk_url": "` + idp.jwksURI + `", "jwk_local_ca": "` + idp.caFile + `",
			"issuer": "` + idp.issuer + `", "audience": ["lambdagate-api"], "cache": true, "failed_jwk_key_cooldown": "1s"` + extra + `}`
	}
	g := startGateway(t, `{"version": 3, "host": ["`+be.URL+`"], "endpoints": [
		{"endpoint": "/api/me", "input_headers": ["X-User", "X-Scope"],
		 "extra_config": {`+validator(`, "roles": ["reader"], "propagate_claims": [["sub", "X-User"], ["scope", "X-Scope"]]`)+`},
		 "backend": [{"url_pattern": "/echo", "allow": ["headers"]}]},
		{"endpoint": "/api/admin",
		 "extra_config": {`+validator(`, "scopes": ["admin"], "scopes_key": "scope"`)+`},
		 "backend": [{"url_pattern": "/whoami"}]}]}`)

	reader := idp.token(t, "lambdagate-api", "read", map[string]any{"sub": "ada", "roles": []string{"reader"}})
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	r := do(t, "GET", g.URL+"/api/me", "", map[string]string{"Authorization": "Bearer " + reader, "X-User": "forged-admin"})
	if r.Status != 200 {
		t.Fatalf("GET /api/me with the provider's token: %d %s", r.Status, r.Body)
	}
	var echoed struct {
		Headers map[string][]string `json:"headers"`
	}
	json.Unmarshal([]byte(r.Body), &echoed)
	if got := echoed.Headers["X-User"]; len(got) != 1 || got[0] != "ada" {
		t.Errorf("X-User at the backend = %q, want [ada] (the claim, not the client's copy)", got)
	}
	if got := echoed.Headers["X-Scope"]; len(got) != 1 || got[0] != "read" {
		t.Errorf("X-Scope at the backend = %q", got)
	}

	for _, tt := range []struct {
		name, path string
		header     map[string]string
		status     int
	}{
		{"no token", "/api/me", nil, 401},
		{"another audience", "/api/me", bearer(idp.token(t, "another-api", "read", map[string]any{"roles": []string{"reader"}})), 401},
		{"no role", "/api/me", bearer(idp.token(t, "lambdagate-api", "read", map[string]any{"roles": []string{"writer"}})), 403},
		{"no admin scope", "/api/admin", bearer(reader), 403},
		{"admin scope", "/api/admin", bearer(idp.token(t, "lambdagate-api", "read admin", nil)), 200},
		{"tampered", "/api/me", bearer(reader[:len(reader)-4] + "AAAA"), 401},
	} {
		if r := do(t, "GET", g.URL+tt.path, "", tt.header); r.Status != tt.status {
			t.Errorf("%s: GET %s: %d, want %d (%s)", tt.name, tt.path, r.Status, tt.status, r.Body)
		}
	}

	// The provider rotates in a new key: its tokens name a kid the gateway
	// has not fetched; it fetches the set again (after the 1s cooldown)
	// and lets them through.
	io.WriteString(idp.stdin, "rotate\n")
	var rotated struct{ Rotated string }
	json.Unmarshal([]byte(idp.line(t, 10*time.Second)), &rotated)
	fresh := idp.token(t, "lambdagate-api", "read", map[string]any{"sub": "grace", "roles": []string{"reader"}})
	if kid(t, fresh) != rotated.Rotated || rotated.Rotated == kid(t, reader) {
		t.Fatalf("rotation: new token's kid %q, rotated %q, old %q", kid(t, fresh), rotated.Rotated, kid(t, reader))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := do(t, "GET", g.URL+"/api/me", "", bearer(fresh))
		if r.Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a token of the rotated key still gets %d", r.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := do(t, "GET", g.URL+"/api/me", "", bearer(reader)); r.Status != 200 {
		t.Errorf("a token of the first key after the rotation: %d", r.Status)
	}
}
