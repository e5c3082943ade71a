package gateway

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lambdagate/lambdagate/backend"
	"github.com/lambdagate/lambdagate/config"
	"github.com/lambdagate/lambdagate/proxy"
)

// jwtFixture is an RSA key, its JWK set in a file, and tokens it signs.
type jwtFixture struct {
	key  *rsa.PrivateKey
	jwks string // the file's path
}

func newJWTFixture(t testing.TB) *jwtFixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "RS256"}}}
	b, _ := json.Marshal(set)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &jwtFixture{key: key, jwks: path}
}

func (f *jwtFixture) token(t testing.TB, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]any{"iss": "https://idp.test", "sub": "ada", "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	payload, _ := json.Marshal(c)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := obj.CompactSerialize()
	return tok
}

// recorder is a kind that answers {} and keeps the requests it gets.
type recorder struct {
	mu   sync.Mutex
	reqs []*proxy.Request
}

func (r *recorder) kind(backend.Deps) (backend.Kind, error) { return r, nil }
func (r *recorder) Name() string                            { return "recorder" }
func (r *recorder) Claims(*config.Backend) bool             { return true }
func (r *recorder) Close()                                  {}
func (r *recorder) Build(backend.Spec) (backend.Transport, error) {
	return backend.Transport{Call: func(_ context.Context, req *proxy.Request) (*proxy.Response, error) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req)
		r.mu.Unlock()
		return &proxy.Response{IsComplete: true, Raw: []byte(`{}`), Metadata: proxy.Metadata{StatusCode: 200}}, nil
	}}, nil
}

func (r *recorder) calls() []*proxy.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*proxy.Request(nil), r.reqs...)
}

// An endpoint with auth/validator refuses requests without a valid token
// before any backend; a valid token's claims reach the backend, as
// proxy.Request.Claims and as the propagated headers input_headers lets
// through. Endpoints without it are as before.
func TestJWTValidatorWired(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t)
	rec := &recorder{}
	cfg := parse(t, `{"version": 3, "host": ["h"],
		"extra_config": {"auth/validator": {"shared_cache_duration": 900}},
		"endpoints": [
		{"endpoint": "/private", "input_headers": ["X-User"],
		 "extra_config": {"auth/validator": {"alg": "RS256", "jwk_local_path": "`+f.jwks+`", "issuer": "https://idp.test",
			"roles": ["admin"], "propagate_claims": [["sub", "X-User"], ["email", "X-Email"]]}},
		 "backend": [{"url_pattern": "/p"}]},
		{"endpoint": "/legacy",
		 "extra_config": {"github.com/devopsfaith/krakend-jose/validator": {"alg": "RS256", "jwk_local_path": "`+f.jwks+`"}},
		 "backend": [{"url_pattern": "/l"}]},
		{"endpoint": "/public", "backend": [{"url_pattern": "/o"}]}]}`)
	g, warns, err := New(cfg, Options{Logger: quiet, Kinds: []backend.NewKind{rec.kind}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if len(warns) != 1 || warns[0] != `extra_config["auth/validator"]: shared_cache_duration is not used: lambdagate keeps one key set per jwk_url, shared by every endpoint, and each endpoint's cache_duration applies` {
		t.Errorf("warnings = %q", warns)
	}
	call := func(path, token string, header map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		g.Handler().ServeHTTP(w, r)
		return w
	}
	admin := f.token(t, map[string]any{"roles": []string{"admin"}, "email": "ada@example.com"})
	for _, tt := range []struct {
		path, token string
		status      int
	}{
		{"/private", "", 401},
		{"/private", "garbage", 401},
		{"/private", f.token(t, map[string]any{"iss": "https://other.test", "roles": []string{"admin"}}), 401},
		{"/private", f.token(t, map[string]any{"roles": []string{"user"}}), 403},
		{"/legacy", "", 401},
	} {
		if w := call(tt.path, tt.token, nil); w.Code != tt.status {
			t.Errorf("%s with %.20q: status %d, want %d", tt.path, tt.token, w.Code, tt.status)
		}
	}
	if n := len(rec.calls()); n != 0 {
		t.Fatalf("%d refused request(s) reached a backend", n)
	}
	if w := call("/private", admin, map[string]string{"X-User": "forged", "X-Email": "forged"}); w.Code != 200 {
		t.Fatalf("/private with a valid token: status %d", w.Code)
	}
	if w := call("/legacy", admin, nil); w.Code != 200 {
		t.Fatalf("/legacy with a valid token: status %d", w.Code)
	}
	if w := call("/public", "", nil); w.Code != 200 {
		t.Fatalf("/public: status %d", w.Code)
	}
	reqs := rec.calls()
	if len(reqs) != 3 {
		t.Fatalf("%d backend calls, want 3", len(reqs))
	}
	p := reqs[0]
	if p.Claims["sub"] != "ada" || p.Headers.Get("X-User") != "ada" {
		t.Errorf("/private: claims %v, X-User %q", p.Claims, p.Headers.Get("X-User"))
	}
	// X-Email is propagated but not in input_headers: as in KrakenD, it
	// does not reach the backend, and neither does the client's copy.
	if v, ok := p.Headers["X-Email"]; ok {
		t.Errorf("/private: X-Email = %q, want none", v)
	}
	if reqs[2].Claims != nil {
		t.Errorf("/public: claims %v, want none", reqs[2].Claims)
	}
}

// auth/validator is read on endpoints (and the service); on a backend it
// is refused, and a broken one names its JSON path.
func TestJWTValidatorErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ endpoint, backend, want string }{
		{`{}`, `{"auth/validator": {"alg": "RS256", "jwk_url": "https://idp/jwks"}}`,
			`endpoints[0].backend[0].extra_config["auth/validator"]: lambdagate reads "auth/validator" on the service and on endpoints only`},
		{`{}`, `{"github.com/devopsfaith/krakend-jose/validator": {}}`,
			`endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-jose/validator"]: lambdagate reads "github.com/devopsfaith/krakend-jose/validator" on endpoints only`},
		{`{"auth/validator": {"alg": "RS256", "jwk_url": "http://idp/jwks"}}`, `{}`,
			`endpoints[0].extra_config["auth/validator"].jwk_url: "http://idp/jwks" is plain http`},
		{`{"auth/validator": {"alg": "RS256"}}`, `{}`,
			`endpoints[0].extra_config["auth/validator"]: needs jwk_url (where the JWK set is fetched) or jwk_local_path (a file holding it)`},
	} {
		cfg := parse(t, `{"version": 3, "host": ["http://127.0.0.1:1"],
			"endpoints": [{"endpoint": "/a", "extra_config": `+tt.endpoint+`, "backend": [{"url_pattern": "/x", "extra_config": `+tt.backend+`}]}]}`)
		g, _, err := New(cfg, Options{Logger: quiet})
		if err == nil || g != nil {
			t.Errorf("New = %v, %v; want %q", g, err, tt.want)
			continue
		}
		if got := err.Error(); !slices.ContainsFunc(strings.Split(got, "\n"), func(l string) bool { return strings.HasPrefix(l, tt.want) }) {
			t.Errorf("error =\n%s\nwant a line starting %q", got, tt.want)
		}
	}
}

// {JWT.x} placeholders fill a real HTTP backend's URL from a validated,
// signed token; a claim the token lacks is a 400, and the backend is not
// called; without auth/validator the url_pattern is a start-up error.
func TestJWTPlaceholders(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t)
	var mu sync.Mutex
	var uris []string
	host := backendServer(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}})
	cfg := parse(t, `{"version": 3, "host": ["`+host+`"],
		"endpoints": [{"endpoint": "/me/{id}",
		 "extra_config": {"auth/validator": {"alg": "RS256", "jwk_local_path": "`+f.jwks+`"}},
		 "backend": [{"url_pattern": "/users/{JWT.sub}/{id}?org={JWT.org.id}"}]}]}`)
	g, _, err := New(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	call := func(token string) int {
		r := httptest.NewRequest(http.MethodGet, "/me/7", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		g.Handler().ServeHTTP(w, r)
		return w.Code
	}
	if c := call(f.token(t, map[string]any{"sub": "ada lovelace/1", "org": map[string]any{"id": "a&b"}})); c != 200 {
		t.Fatalf("valid token: status %d", c)
	}
	if c := call(f.token(t, nil)); c != 400 {
		t.Errorf("token without org.id: status %d, want 400", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"/users/ada%20lovelace%2F1/7?org=a%26b"}; !slices.Equal(uris, want) {
		t.Errorf("backend URIs = %q, want %q", uris, want)
	}

	cfg = parse(t, `{"version": 3, "host": ["`+host+`"],
		"endpoints": [{"endpoint": "/me", "backend": [{"url_pattern": "/users/{JWT.sub}"}]}]}`)
	want := `endpoints[0].backend[0].url_pattern: placeholder {JWT.sub} reads a claim of the request's JWT, which needs the endpoint's extra_config auth/validator`
	if g, _, err := New(cfg, Options{Logger: quiet}); err == nil || g != nil || !strings.Contains(err.Error(), want) {
		t.Errorf("without auth/validator: New = %v, %v; want %q", g, err, want)
	}
}
