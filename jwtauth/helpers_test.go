package jwtauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lambdagate/lambdagate/proxy"
)

// Keys are generated once for the package's tests: RSA generation is slow.
var (
	keysOnce sync.Once
	rsaA     *rsa.PrivateKey // the issuer's key, kid "a"
	rsaB     *rsa.PrivateKey // another issuer key, kid "b"
	rsaEvil  *rsa.PrivateKey // an attacker's
	ecKey    *ecdsa.PrivateKey
)

func testKeys() {
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		rsaA, rsaB, rsaEvil = gen(), gen(), gen()
		var err error
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// jwks returns the JWK set of the public halves of keys, by kid.
func jwks(t testing.TB, keys map[string]any) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for kid, k := range keys {
		jwk := jose.JSONWebKey{Key: k, KeyID: kid, Use: "sig"}
		set.Keys = append(set.Keys, jwk.Public())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes data to a new file in a temporary directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sign returns a compact JWS of claims, signed with key, with the header
// fields given (kid among them).
func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, header map[string]any, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for k, v := range header {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signA returns an RS256 token of key "a" (rsaA) with claims(extra).
func signA(t testing.TB, extra map[string]any) string {
	t.Helper()
	return sign(t, rsaA, jose.RS256, map[string]any{"kid": "a"}, claims(extra))
}

// compact builds a token from raw parts, for tokens no signer makes.
func compact(header, payload any, sig []byte) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// claims returns a valid payload for the test issuer and audience, with
// extra claims over it.
func claims(extra map[string]any) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{
		"iss": "https://idp.test", "aud": []string{"api"}, "sub": "user-1",
		"iat": now, "exp": now + 3600,
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// backend is the handler behind a validator: it counts calls and keeps
// what the last one saw.
type backend struct {
	calls   atomic.Int64
	mu      sync.Mutex
	headers http.Header
	claims  map[string]any
}

func (b *backend) handler(w http.ResponseWriter, r *http.Request, _ []string) {
	b.calls.Add(1)
	b.mu.Lock()
	b.headers = r.Header.Clone()
	b.claims = proxy.ClaimsFrom(r.Context())
	b.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (b *backend) seen() (http.Header, map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.headers, b.claims
}

// guarded is a validator built from options around a backend.
type guarded struct {
	t    testing.TB
	v    *Validator
	be   *backend
	h    func(http.ResponseWriter, *http.Request, []string)
	keys *KeySets
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newGuarded builds the validator of o with its own KeySets, closed when
// the test ends.
func newGuarded(t testing.TB, o Options, deps Deps) *guarded {
	t.Helper()
	if deps.Keys == nil {
		deps.Keys = NewKeySets(quietLogger(), "lambdagate/test")
		t.Cleanup(deps.Keys.Close)
	}
	v, err := New(&o, `endpoints[0].extra_config["auth/validator"]`, deps)
	if err != nil {
		t.Fatal(err)
	}
	be := &backend{}
	return &guarded{t: t, v: v, be: be, h: v.Wrap(be.handler), keys: deps.Keys}
}

// get sends a GET with the headers given and returns the recorder.
func (g *guarded) get(header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/private", nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	g.h(w, r, nil)
	return w
}

func (g *guarded) bearer(token string) *httptest.ResponseRecorder {
	return g.get(map[string]string{"Authorization": "Bearer " + token})
}

// jwksServer serves a JWK set over TLS and counts the fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
	mu      sync.Mutex
	body    []byte
	status  int
	delay   time.Duration
	// caFile is the server certificate's PEM file, for jwk_local_ca.
	caFile string
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		body, status, delay := s.body, s.status, s.delay
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	// Refused handshakes (the tests of untrusted certificates) are expected.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	s.caFile = writeFile(t, "ca.pem", pemCert(s.Certificate().Raw))
	return s
}

func (s *jwksServer) set(body []byte, status int) {
	s.mu.Lock()
	s.body, s.status = body, status
	s.mu.Unlock()
}

func (s *jwksServer) setDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
