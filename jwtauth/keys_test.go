package jwtauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"go.uber.org/goleak"
)

// remoteOpts are the options of a validator of the keys s serves, over
// TLS with s's certificate as jwk_local_ca.
func remoteOpts(s *jwksServer) Options {
	return Options{Alg: "RS256", JWKURL: s.URL + "/jwks", JWKLocalCA: s.caFile}
}

// serveKeyA serves a JWK set of key "a" over TLS.
func serveKeyA(t *testing.T) *jwksServer {
	t.Helper()
	testKeys()
	return newJWKSServer(t, jwks(t, map[string]any{"a": rsaA}))
}

// Endpoints naming one jwk_url share its key set: it is fetched once, when
// the first token needs it, and kept.
func TestRemoteKeysSharedAndCached(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	keys := NewKeySets(quietLogger(), "lambdagate/test")
	defer keys.Close()
	one := newGuarded(t, remoteOpts(s), Deps{Keys: keys})
	two := newGuarded(t, Options{Alg: "RS256", JWKURL: s.URL + "/jwks", JWKLocalCA: s.caFile, Roles: []string{"r"}}, Deps{Keys: keys})
	if n := s.fetches.Load(); n != 0 {
		t.Fatalf("fetched %d times at start-up, want none before a token needs keys", n)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := one
			if i%2 == 1 {
				g = two
			}
			tok := signA(t, map[string]any{"roles": []string{"r"}, "n": i})
			if w := g.bearer(tok); w.Code != http.StatusOK {
				t.Errorf("request %d: status %d", i, w.Code)
			}
		}()
	}
	wg.Wait()
	if n := s.fetches.Load(); n != 1 {
		t.Errorf("the JWK set was fetched %d times for 20 requests on two endpoints, want 1", n)
	}
}

// A flood of unknown kids costs at most one fetch per cooldown; a key
// rotated in is found once the cooldown has passed.
func TestUnknownKidsBoundedByCooldown(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	o := remoteOpts(s)
	o.FailedJWKKeyCooldown = "1s"
	g := newGuarded(t, o, Deps{})
	if w := g.bearer(signA(t, nil)); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	// The tokens are signed before the flood: RSA signing under -race on
	// a busy machine could stretch the flood past the cooldown.
	forged := make([]string, 200)
	for i := range forged {
		forged[i] = sign(t, rsaEvil, jose.RS256, map[string]any{"kid": fmt.Sprintf("forged-%d", i)}, claims(nil))
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := forged[i]
			if w := g.bearer(tok); w.Code != http.StatusUnauthorized {
				t.Errorf("forged kid %d: status %d", i, w.Code)
			}
		}()
	}
	wg.Wait()
	if n := s.fetches.Load(); n > 2 {
		t.Errorf("200 forged kids caused %d fetches, want at most 2 (the first, one refetch)", n)
	}

	// The issuer rotates in key b: within the cooldown it is not fetched
	// yet, after it it is.
	s.set(jwks(t, map[string]any{"a": rsaA, "b": rsaB}), http.StatusOK)
	tokB := sign(t, rsaB, jose.RS256, map[string]any{"kid": "b"}, claims(nil))
	deadline := time.Now().Add(5 * time.Second)
	for g.bearer(tokB).Code != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the rotated key was never fetched")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := s.fetches.Load(); n > 4 {
		t.Errorf("%d fetches in all, want at most 4", n)
	}
}

// With cache, keys older than cache_duration are fetched again in the
// background; when that fails, the old keys keep serving.
func TestStaleKeysServeOnFailedRefresh(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	o := remoteOpts(s)
	o.Cache, o.CacheDuration, o.FailedJWKKeyCooldown = true, ptr(1), "1s"
	g := newGuarded(t, o, Deps{})
	tok := func() string { return signA(t, nil) }
	if w := g.bearer(tok()); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	s.set([]byte("identity provider down"), http.StatusServiceUnavailable)
	time.Sleep(1100 * time.Millisecond)
	for i := range 3 {
		if w := g.bearer(tok()); w.Code != 200 {
			t.Fatalf("request %d with stale keys: status %d", i, w.Code)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.fetches.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no refresh was tried after cache_duration")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if w := g.bearer(tok()); w.Code != 200 {
		t.Errorf("after the failed refresh: status %d, want the stale keys to serve", w.Code)
	}
}

func ptr[T any](v T) *T { return &v }

// An unreachable JWK server with no key fetched yet costs a request no
// more than its wait bound, then 401; within the cooldown the next
// requests are refused at once, without fetching.
func TestFetchTimeoutGives401(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	s.setDelay(time.Minute)
	o := remoteOpts(s)
	o.FailedJWKKeyCooldown = "1m"
	g := newGuarded(t, o, Deps{Wait: 300 * time.Millisecond})
	tok := signA(t, nil)
	start := time.Now()
	if w := g.bearer(tok); w.Code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", w.Code)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refused after %v, want about the 300ms wait", d)
	}
	// The next request waits for the same fetch, no other.
	start = time.Now()
	if w := g.bearer(tok); w.Code != http.StatusUnauthorized {
		t.Errorf("second request: status %d, want 401", w.Code)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second request refused after %v", d)
	}
	if n := s.fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// After a failed fetch, requests within the cooldown are refused at once,
// without fetching again.
func TestFailedFetchCooldown(t *testing.T) {
	t.Parallel()
	testKeys()
	s := newJWKSServer(t, []byte("down"))
	s.set([]byte("down"), http.StatusInternalServerError)
	g := newGuarded(t, remoteOpts(s), Deps{})
	tok := signA(t, nil)
	for i := range 5 {
		start := time.Now()
		if w := g.bearer(tok); w.Code != http.StatusUnauthorized {
			t.Errorf("request %d: status %d, want 401", i, w.Code)
		}
		if d := time.Since(start); i > 0 && d > 100*time.Millisecond {
			t.Errorf("request %d refused after %v, want at once", i, d)
		}
	}
	if n := s.fetches.Load(); n != 1 {
		t.Errorf("%d fetches within the 5s cooldown, want 1", n)
	}
}

// Close stops a fetch in flight and leaves no goroutine behind.
func TestCloseStopsFetches(t *testing.T) {
	s := serveKeyA(t)
	s.setDelay(time.Minute)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	keys := NewKeySets(quietLogger(), "lambdagate/test")
	v, err := New(&Options{Alg: "RS256", JWKURL: s.URL, JWKLocalCA: s.caFile}, "x", Deps{Keys: keys, Wait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	v.validate(t.Context(), signA(t, nil), time.Now())
	done := make(chan struct{})
	go func() { keys.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return while a fetch was in flight")
	}
}

// Plain http is refused unless disable_jwk_security allows it.
func TestPlainHTTPNeedsDisableJWKSecurity(t *testing.T) {
	t.Parallel()
	testKeys()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(jwks(t, map[string]any{"a": rsaA}))
	}))
	defer srv.Close()
	keys := NewKeySets(quietLogger(), "t")
	defer keys.Close()
	_, err := New(&Options{JWKURL: srv.URL}, "p", Deps{Keys: keys})
	if err == nil || !strings.Contains(err.Error(), "p.jwk_url: ") || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("error = %v", err)
	}
	g := newGuarded(t, Options{JWKURL: srv.URL, DisableJWKSecurity: true}, Deps{})
	if w := g.bearer(signA(t, nil)); w.Code != 200 {
		t.Errorf("with disable_jwk_security: status %d", w.Code)
	}
}

// An https JWK server is verified: without jwk_local_ca its test
// certificate is not trusted, and a redirect to plain http is not followed.
func TestTLSVerified(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	tok := signA(t, nil)
	if w := newGuarded(t, Options{JWKURL: s.URL}, Deps{}).bearer(tok); w.Code != http.StatusUnauthorized {
		t.Errorf("untrusted certificate: status %d, want 401", w.Code)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(jwks(t, map[string]any{"a": rsaA}))
	}))
	defer plain.Close()
	redirect := httptest.NewTLSServer(http.RedirectHandler(plain.URL, http.StatusFound))
	defer redirect.Close()
	ca := writeFile(t, "redirect-ca.pem", pemCert(redirect.Certificate().Raw))
	if w := newGuarded(t, Options{JWKURL: redirect.URL, JWKLocalCA: ca}, Deps{}).bearer(tok); w.Code != http.StatusUnauthorized {
		t.Errorf("redirected to http: status %d, want 401", w.Code)
	}
}

// jwk_fingerprints pins the server's public key.
func TestFingerprints(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	sum := sha256.Sum256(s.Certificate().RawSubjectPublicKeyInfo)
	other := sha256.Sum256([]byte("another key"))
	tok := signA(t, nil)
	for name, tt := range map[string]struct {
		pins   []string
		status int
	}{
		"pinned (standard base64)": {[]string{base64.StdEncoding.EncodeToString(other[:]), base64.StdEncoding.EncodeToString(sum[:])}, 200},
		"pinned (URL base64)":      {[]string{base64.URLEncoding.EncodeToString(sum[:])}, 200},
		"another key pinned":       {[]string{base64.StdEncoding.EncodeToString(other[:])}, 401},
	} {
		o := remoteOpts(s)
		o.JWKFingerprints = tt.pins
		if w := newGuarded(t, o, Deps{}).bearer(tok); w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", name, w.Code, tt.status)
		}
	}
}

// cipher_suites limits the TLS 1.2 suites offered.
func TestCipherSuites(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	o := remoteOpts(s)
	o.CipherSuites = []int{49199, 49195, 52392} // ECDHE-RSA-AES128-GCM, ECDHE-ECDSA-AES128-GCM, ECDHE-RSA-CHACHA20
	tok := signA(t, nil)
	if w := newGuarded(t, o, Deps{}).bearer(tok); w.Code != 200 {
		t.Errorf("status %d", w.Code)
	}
}

// Endpoints sharing a jwk_url must reach it the same way.
func TestSharedURLNeedsSameClient(t *testing.T) {
	t.Parallel()
	s := serveKeyA(t)
	keys := NewKeySets(quietLogger(), "t")
	defer keys.Close()
	if _, err := New(ptr(remoteOpts(s)), "e0", Deps{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	o := remoteOpts(s)
	o.JWKLocalCA = ""
	_, err := New(&o, "e1", Deps{Keys: keys})
	if err == nil || !strings.Contains(err.Error(), "e1.jwk_url: another endpoint fetches") {
		t.Errorf("error = %v", err)
	}
}

// Each algorithm verifies with its own kind of key only.
func TestAlgorithms(t *testing.T) {
	t.Parallel()
	testKeys()
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte(strings.Repeat("s", 32))
	tests := []struct {
		alg      jose.SignatureAlgorithm
		key, pub any
	}{
		{jose.RS256, rsaA, rsaA}, {jose.PS384, rsaA, rsaA}, {jose.ES256, ecKey, ecKey}, {jose.EdDSA, edPriv, edPriv}, {jose.HS256, secret, secret},
	}
	for _, tt := range tests {
		set := []byte(`{"keys": [{"kty": "oct", "kid": "k", "k": "` + base64.RawURLEncoding.EncodeToString(secret) + `"}]}`)
		if _, ok := tt.pub.([]byte); !ok {
			set = jwks(t, map[string]any{"k": tt.pub})
		}
		g := newGuarded(t, Options{Alg: string(tt.alg), JWKLocalPath: writeFile(t, "jwks.json", set)}, Deps{})
		if w := g.bearer(sign(t, tt.key, tt.alg, map[string]any{"kid": "k"}, claims(nil))); w.Code != 200 {
			t.Errorf("%s: status %d, want 200", tt.alg, w.Code)
		}
		for _, o := range tests {
			if o.alg == tt.alg {
				continue
			}
			if w := g.bearer(sign(t, o.key, o.alg, map[string]any{"kid": "k"}, claims(nil))); w.Code != 401 {
				t.Errorf("%s validator, %s token: status %d, want 401", tt.alg, o.alg, w.Code)
			}
		}
	}
}

// key_identify_strategy picks the key by kid, x5t, x5t#S256 or both.
func TestKeyIdentifyStrategies(t *testing.T) {
	t.Parallel()
	testKeys()
	thumbA, thumbB := []byte("aaaaaaaaaaaaaaaaaaaa"), []byte("bbbbbbbbbbbbbbbbbbbb")
	sA, sB := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	var set jose.JSONWebKeySet
	for _, k := range []jose.JSONWebKey{
		{Key: &rsaA.PublicKey, KeyID: "a", CertificateThumbprintSHA1: thumbA, CertificateThumbprintSHA256: sA[:]},
		{Key: &rsaB.PublicKey, KeyID: "b", CertificateThumbprintSHA1: thumbB, CertificateThumbprintSHA256: sB[:]},
	} {
		set.Keys = append(set.Keys, k)
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "jwks.json", data)
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		strategy string
		header   map[string]any
		status   int
	}{
		{"kid", map[string]any{"kid": "a"}, 200},
		{"x5t", map[string]any{"x5t": b64(thumbA)}, 200},
		{"x5t", map[string]any{"x5t": b64(thumbB)}, 401},
		{"x5t", map[string]any{"kid": "a"}, 200}, // falls back to kid
		{"x5t#S256", map[string]any{"x5t#S256": b64(sA[:])}, 200},
		{"x5t#S256", map[string]any{"x5t#S256": b64(sB[:])}, 401},
		{"kid_x5t", map[string]any{"kid": "a", "x5t": b64(thumbA)}, 200},
		{"kid_x5t", map[string]any{"kid": "a", "x5t": b64(thumbB)}, 401},
		{"kid_x5t", map[string]any{"kid": "a"}, 401},
	}
	for _, tt := range tests {
		g := newGuarded(t, Options{JWKLocalPath: file, KeyIdentifyStrategy: tt.strategy}, Deps{})
		if w := g.bearer(sign(t, rsaA, jose.RS256, tt.header, claims(nil))); w.Code != tt.status {
			t.Errorf("%s %v: status %d, want %d", tt.strategy, tt.header, w.Code, tt.status)
		}
	}
}
